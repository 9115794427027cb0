import { cacheExchange, Client, fetchExchange } from "@urql/core";
import { authExchange } from "@urql/exchange-auth";
import type { SessionManager } from "@/lib/auth/session";
import { GRAPHQL_URL } from "./endpoint";
import { isUnauthenticated } from "./errors";

/**
 * The urql client of the espace professionnel: the access token on every operation, renewed before it expires,
 * and on an UNAUTHENTICATED answer renewed once and the operation sent again (urql's auth exchange retries an
 * operation at most once). A refused renewal ends the session as expired. The gateway's client by default; the
 * Caf's console makes a second one for the moderation service (its URL from `/config.json`), sharing the session.
 */
export function createGraphQLClient(session: SessionManager, fetchFn?: typeof fetch, url: string = GRAPHQL_URL): Client {
  return new Client({
    url,
    fetch: fetchFn,
    requestPolicy: "cache-and-network",
    exchanges: [
      cacheExchange,
      authExchange(async (utils) => ({
        addAuthToOperation(operation) {
          const token = session.accessToken;
          return token ? utils.appendHeaders(operation, { Authorization: `Bearer ${token}` }) : operation;
        },
        willAuthError() {
          return session.active && session.needsRefresh();
        },
        didAuthError(error) {
          return isUnauthenticated(error) && session.active;
        },
        async refreshAuth() {
          await session.refresh(); // a network failure rejects: the waiting operations fail, the session stays
        },
      })),
      fetchExchange,
    ],
  });
}
