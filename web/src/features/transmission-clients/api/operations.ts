import { graphql } from "@/gql";

export const TransmissionClientsQuery = graphql(`
  query TransmissionClients {
    transmissionClients {
      clientId
      name
      establishmentIds
      grantedByAgentNumber
      grantedByCaf
      grantedAt
      rotatedAt
      revokedAt
    }
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

export const GrantTransmissionClientMutation = graphql(`
  mutation GrantTransmissionClient($input: GrantTransmissionClientInput!) {
    grantTransmissionClient(input: $input) {
      clientId
      clientSecret
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const RotateTransmissionClientSecretMutation = graphql(`
  mutation RotateTransmissionClientSecret($clientId: String!) {
    rotateTransmissionClientSecret(clientId: $clientId) {
      clientId
      clientSecret
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const RevokeTransmissionClientMutation = graphql(`
  mutation RevokeTransmissionClient($clientId: String!) {
    revokeTransmissionClient(clientId: $clientId) {
      revoked
      userErrors {
        field
        code
        message
      }
    }
  }
`);
