import { graphql } from "@/gql";

export const SubmissionHistoryQuery = graphql(`
  query SubmissionHistory($after: String) {
    mySubmissions(first: 20, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          status
          statusLabel
          version
          submittedAt
          establishment {
            id
            name
          }
          reasons {
            code
            label
          }
          comment
        }
      }
    }
  }
`);

export const TransmissionHistoryQuery = graphql(`
  query TransmissionHistory($from: Date!, $to: Date!) {
    me {
      establishments {
        rights {
          code
        }
        establishment {
          id
          name
          category
          availabilities(from: $from, to: $to) {
            date
            slot
            places
            communicatedAt
            channel
          }
        }
      }
    }
  }
`);
