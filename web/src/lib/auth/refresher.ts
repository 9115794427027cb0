import { print } from "graphql";
import { graphql } from "@/gql";
import { GRAPHQL_URL } from "@/lib/graphql/endpoint";
import type { Refresher, Tokens } from "./session";

export const RefreshSessionMutation = graphql(`
  mutation RefreshSession($input: RefreshSessionInput!) {
    refreshSession(input: $input) {
      session {
        accessToken
        refreshToken
        expiresIn
        mustChangePassword
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

/**
 * `refreshSession` over plain fetch, outside the urql client: the client's auth exchange waits on it, so it must
 * not go through that exchange itself.
 */
export function apiRefresher(fetchFn: typeof fetch = (...args) => fetch(...args)): Refresher {
  return async (refreshToken) => {
    const response = await fetchFn(GRAPHQL_URL, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
      body: JSON.stringify({ query: print(RefreshSessionMutation), variables: { input: { refreshToken } } }),
    });
    if (!response.ok) throw new Error(`refreshSession: HTTP ${response.status}`);
    const body = (await response.json()) as { data?: { refreshSession?: { session: Tokens | null } } };
    const payload = body.data?.refreshSession;
    if (payload === undefined) throw new Error("refreshSession: no data");
    return payload.session ?? "refused";
  };
}
