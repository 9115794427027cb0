import { graphql } from "@/gql";

export const AmendmentRequestQuery = graphql(`
  query AmendmentRequest($number: String!) {
    habilitationRequest(number: $number) {
      number
      status
      providerName
      establishments {
        id
        name
        category
        refused
      }
    }
  }
`);

export const AmendmentProviderQuery = graphql(`
  query AmendmentProvider($id: ID!) {
    node(id: $id) {
      ... on Establishment {
        provider {
          id
          name
        }
      }
    }
  }
`);

export const AnnexQuery = graphql(`
  query Annex($providerId: ID!) {
    providerAgents(providerId: $providerId, first: 100) {
      edges {
        node {
          agentNumber
          lastName
          firstName
          email
          function
          status
          statusLabel
          rights {
            establishment {
              id
              name
            }
            right {
              code
              label
            }
          }
        }
      }
    }
  }
`);

export const ConventionAmendmentsQuery = graphql(`
  query ConventionAmendments {
    conventions(first: 100) {
      edges {
        node {
          id
          requestNumber
          status
          amendments {
            signedOn
            subject
            recordedAt
            changes
          }
        }
      }
    }
  }
`);

export const RecordAmendmentMutation = graphql(`
  mutation RecordAmendment($input: RecordAmendmentInput!) {
    recordAmendment(input: $input) {
      accounts
      userErrors {
        field
        code
        message
      }
    }
  }
`);
