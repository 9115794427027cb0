import type { Client } from "@urql/core";
import { createContext, useContext, type ReactNode } from "react";
import { Provider } from "urql";

/**
 * The two APIs the espace professionnel talks to: the gateway (same origin, the default urql client) and, for the
 * Caf's console, the moderation service (another origin, CORS; null when the gateway was given no
 * GATEWAY_MODERATION_URL). A screen's subtree picks its endpoint with <OnModeration> or <OnGateway>.
 */
export interface ApiClients {
  gateway: Client;
  moderation: Client | null;
}

const ClientsContext = createContext<ApiClients | null>(null);

export function ApiClientsProvider({ clients, children }: { clients: ApiClients; children: ReactNode }) {
  return (
    <ClientsContext.Provider value={clients}>
      <Provider value={clients.gateway}>{children}</Provider>
    </ClientsContext.Provider>
  );
}

function useClients(): ApiClients {
  const clients = useContext(ClientsContext);
  if (clients === null) throw new Error("useClients outside ApiClientsProvider");
  return clients;
}

/** Its children's operations go to the moderation service; `unavailable` is shown when none is configured. */
export function OnModeration({ children, unavailable }: { children: ReactNode; unavailable: ReactNode }) {
  const { moderation } = useClients();
  return moderation === null ? <>{unavailable}</> : <Provider value={moderation}>{children}</Provider>;
}

/** Its children's operations go to the gateway again (inside a moderation screen). */
export function OnGateway({ children }: { children: ReactNode }) {
  return <Provider value={useClients().gateway}>{children}</Provider>;
}
