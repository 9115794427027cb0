import { graphql } from "@/gql";

export const ConnectionLogQuery = graphql(`
  query ConnectionLog($agentNumber: String, $days: Int!, $from: Date, $to: Date, $events: [ConnectionEvent!], $after: String) {
    connectionLog(agentNumber: $agentNumber, days: $days, from: $from, to: $to, events: $events, first: 100, after: $after) {
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
