import { graphql } from "@/gql";

export const OperatingInfoEstablishmentsQuery = graphql(`
  query OperatingInfoEstablishments {
    me {
      establishments {
        establishment {
          id
          name
        }
        rights {
          code
        }
      }
    }
  }
`);

export const OperatingInfoEditorQuery = graphql(`
  query OperatingInfoEditor($id: ID!) {
    node(id: $id) {
      ... on Establishment {
        id
        name
        categoryLabel
        eajeTypeLabel
        address {
          oneLine
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
          byAppointment
          closurePeriods
          datedClosures {
            start
            end
            label
          }
          closedOnPublicHolidays
          ageMin {
            value
            unit
          }
          ageMax {
            value
            unit
          }
          capacity
          mealsProvided
          nappiesProvided
          disabilityWelcome
          project
          providerPresentation
          team
          nationalFeeScale
          fees
          funding
          admissionConditions
          registration
          eligibleWorkCommunes
          eligibleHomeCommunes
          servedCommunes {
            name
            postalCode
          }
          careKinds
          languages
          accessibilityUrl
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

export const SubmitOperatingInfoMutation = graphql(`
  mutation SubmitOperatingInfo($input: SubmitOperatingInfoInput!) {
    submitOperatingInfo(input: $input) {
      submission {
        id
        status
        statusLabel
        version
        submittedAt
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);
