import { graphql } from "@/gql";

/** The establishment as the public catalogue shows it now (the gateway), beside the proposed change. */
export const PublicPageQuery = graphql(`
  query PublicPage($id: ID!) {
    node(id: $id) {
      ... on Establishment {
        id
        name
        categoryLabel
        eajeTypeLabel
        capacity
        phone
        email
        address {
          oneLine
        }
        provider {
          name
        }
        operatingInfo {
          version
          publishedAt
          weeklyHours {
            day
            opens
            closes
          }
          hoursNote
          closurePeriods
          closedOnPublicHolidays
          datedClosures {
            start
            end
            label
          }
          fees
          project
        }
      }
    }
  }
`);

export const WithdrawOperatingInfoMutation = graphql(`
  mutation WithdrawOperatingInfo($input: WithdrawOperatingInfoInput!) {
    withdrawOperatingInfo(input: $input) {
      withdrawnVersion
      userErrors {
        field
        code
        message
      }
    }
  }
`);
