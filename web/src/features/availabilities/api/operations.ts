import { graphql } from "@/gql";

export const AvailabilityEstablishmentsQuery = graphql(`
  query AvailabilityEstablishments {
    me {
      establishments {
        establishment {
          id
          name
          category
        }
        rights {
          code
        }
      }
    }
  }
`);

export const AvailabilityGridQuery = graphql(`
  query AvailabilityGrid($id: ID!, $from: Date!, $to: Date!) {
    node(id: $id) {
      ... on Establishment {
        id
        name
        address {
          communeInsee
        }
        availabilityStatus {
          label
          updatedAt
        }
        operatingInfo {
          weeklyHours {
            day
          }
          closurePeriods
          datedClosures {
            start
            end
            label
          }
          closedOnPublicHolidays
        }
        availabilities(from: $from, to: $to) {
          date
          slot
          places
        }
      }
    }
  }
`);

export const PublishAvailabilitiesMutation = graphql(`
  mutation PublishAvailabilities($input: PublishAvailabilitiesInput!) {
    publishAvailabilities(input: $input) {
      establishment {
        id
        availabilityStatus {
          state
          label
          updatedAt
        }
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);
