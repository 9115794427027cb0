import { useEffect, useMemo, useState, type ReactNode } from "react";
import { Loading } from "@/components/Failure";
import { apiRefresher } from "@/lib/auth/refresher";
import { AuthProvider } from "@/lib/auth/context";
import { SessionManager } from "@/lib/auth/session";
import { loadConfig, type PageConfig } from "@/lib/config";
import { createGraphQLClient } from "@/lib/graphql/client";
import { ApiClientsProvider } from "@/lib/graphql/clients";

export function AppProviders({ children }: { children: ReactNode }) {
  const session = useMemo(() => new SessionManager(apiRefresher(), window.sessionStorage), []);
  const [config, setConfig] = useState<PageConfig | null>(null);
  useEffect(() => {
    void loadConfig().then(setConfig);
  }, []);
  useEffect(() => {
    const park = () => session.park();
    const unpark = (event: PageTransitionEvent) => event.persisted && session.unpark();
    window.addEventListener("pagehide", park);
    window.addEventListener("pageshow", unpark);
    return () => {
      window.removeEventListener("pagehide", park);
      window.removeEventListener("pageshow", unpark);
    };
  }, [session]);
  const gateway = useMemo(() => createGraphQLClient(session), [session]);
  const clients = useMemo(
    () => ({
      gateway,
      moderation: config?.moderationUrl ? createGraphQLClient(session, undefined, config.moderationUrl) : null,
    }),
    [gateway, session, config],
  );
  if (config === null) return <Loading what="de l'espace professionnel" />;
  return (
    <AuthProvider session={session}>
      <ApiClientsProvider clients={clients}>{children}</ApiClientsProvider>
    </AuthProvider>
  );
}
