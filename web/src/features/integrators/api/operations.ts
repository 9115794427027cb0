import { graphql } from "@/gql";

export const IntegratorsQuery = graphql(`
  query Integrators {
    integrators(first: 100) {
      edges {
        node {
          id
          name
          contactEmail
          departements
          createdAt
          keys {
            id
            createdAt
            createdBy
            lastUsedAt
            revokedAt
          }
        }
      }
    }
  }
`);

export const CreateIntegratorMutation = graphql(`
  mutation CreateIntegrator($input: IntegratorInput!) {
    createIntegrator(input: $input) {
      integratorId
      keyId
      apiKey
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const CreateApiKeyMutation = graphql(`
  mutation CreateApiKey($integratorId: ID!) {
    createApiKey(integratorId: $integratorId) {
      integratorId
      keyId
      apiKey
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const RevokeApiKeyMutation = graphql(`
  mutation RevokeApiKey($keyId: ID!) {
    revokeApiKey(keyId: $keyId) {
      revoked
      userErrors {
        field
        code
        message
      }
    }
  }
`);
