import { graphql } from "@/gql";

export const ConnectionLogQuery = graphql(`
  query ConnectionLog($agentNumber: String, $providerId: ID, $days: Int!, $from: Date, $to: Date, $events: [ConnectionEvent!], $after: String) {
    connectionLog(agentNumber: $agentNumber, providerId: $providerId, days: $days, from: $from, to: $to, events: $events, first: 100, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          at
          identifier
          agentNumber
          event
          eventLabel
          address
          userAgent
        }
      }
    }
  }
`);

export const LogProvidersQuery = graphql(`
  query LogProviders {
    territoryProviders(first: 200) {
      id
      name
      siret
    }
  }
`);
