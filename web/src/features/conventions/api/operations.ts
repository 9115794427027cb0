import { graphql } from "@/gql";

export const ConventionsQuery = graphql(`
  query Conventions {
    conventions(first: 100) {
      edges {
        node {
          id
          requestNumber
          providerName
          signedOn
          place
          signatories
          deliberationReference
          deliberationDate
          status
          statusLabel
          nextRenewal
          noticeDeadline
          terminationEffectiveOn
          amendments {
            signedOn
            subject
          }
        }
      }
    }
  }
`);

export const RecordTerminationMutation = graphql(`
  mutation RecordTermination($input: RecordTerminationInput!) {
    recordConventionTermination(input: $input) {
      convention {
        id
        status
        statusLabel
        terminationEffectiveOn
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);
