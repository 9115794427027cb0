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

// What granting a client and renewing its secret answer: the client id, its secret shown once, refusals.
export const TransmissionClientSecretFragment = graphql(`
  fragment TransmissionClientSecret on TransmissionClientPayload {
    clientId
    clientSecret
    userErrors {
      field
      code
      message
    }
  }
`);

export const GrantTransmissionClientMutation = graphql(`
  mutation GrantTransmissionClient($input: GrantTransmissionClientInput!) {
    grantTransmissionClient(input: $input) {
      ...TransmissionClientSecret
    }
  }
`);

export const RotateTransmissionClientSecretMutation = graphql(`
  mutation RotateTransmissionClientSecret($clientId: String!) {
    rotateTransmissionClientSecret(clientId: $clientId) {
      ...TransmissionClientSecret
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
