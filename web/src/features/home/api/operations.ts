import { graphql } from "@/gql";

export const HomeQuery = graphql(`
  query Home {
    me {
      firstName
      lastName
      provider {
        name
      }
      establishments {
        establishment {
          id
          name
          category
          categoryLabel
          eajeTypeLabel
          address {
            oneLine
          }
          availabilityStatus {
            state
            label
            freePlaces
            nextDate
            updatedAt
            channel
            staleAfter
          }
          operatingInfo {
            version
            publishedAt
          }
        }
        rights {
          code
          label
        }
      }
    }
    mySubmissions(first: 50) {
      edges {
        node {
          ...SubmissionSummary
        }
      }
    }
  }
`);
