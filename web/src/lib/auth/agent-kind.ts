import { useQuery } from "urql";
import { graphql } from "@/gql";
import { useAuth } from "./context";

export const AgentKindQuery = graphql(`
  query AgentKind {
    me {
      identifier
      kind
      administrator
      firstName
      lastName
      agentNumber
    }
  }
`);

export type AgentKind = "CAF_AGENT" | "PROVIDER_AGENT";

/** Who is signed in: a Caf agent sees the Caf's screens, a provider's agent the provider's (`me.kind`). */
export function useAgentKind(): AgentKind | null {
  const { status } = useAuth();
  const [{ data }] = useQuery({ query: AgentKindQuery, pause: status !== "signed-in", requestPolicy: "cache-and-network" });
  return status === "signed-in" ? ((data?.me.kind as AgentKind | undefined) ?? null) : null;
}

/** The signed-in agent (`me`), from the gateway. */
export function useMe() {
  const { status } = useAuth();
  const [{ data }] = useQuery({ query: AgentKindQuery, pause: status !== "signed-in", requestPolicy: "cache-and-network" });
  return status === "signed-in" ? (data?.me ?? null) : null;
}
