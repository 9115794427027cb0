/** Same origin as the page: the gateway serves both (no CORS, and the page's CSP says connect-src 'self'). */
export const GRAPHQL_URL = "/graphql";
