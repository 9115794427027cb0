import { graphql } from "@/gql";

export const ConnectionLogQuery = graphql(`
  query ConnectionLog($agentNumber: String, $days: Int!, $after: String) {
    connectionLog(agentNumber: $agentNumber, days: $days, first: 100, after: $after) {
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
