import { graphql } from "@/gql";

export const HabilitationRequestsQuery = graphql(`
  query HabilitationRequests($status: HabilitationRequestStatus) {
    habilitationRequests(status: $status, first: 100) {
      totalCount
      edges {
        node {
          number
          status
          statusLabel
          providerName
          providerSiret
          submittedAt
        }
      }
    }
  }
`);

export const HabilitationRequestFragment = graphql(`
  fragment RequestDetail on HabilitationRequestView {
    number
    status
    statusLabel
    providerName
    providerSiret
    submittedAt
    provider {
      name
      kindLabel
      siret
      street
      postalCode
      communeName
      email
      phone
      representativeName
      representativeTitle
      registered {
        name
        siret
      }
      needsConfirmation
    }
    establishments {
      id
      name
      categoryLabel
      communeName
      currentProvider {
        name
        siret
      }
      standing
      needsConfirmation
      refused
      rights
    }
    persons {
      civility
      lastName
      firstName
      function
      email
      phone
      rights {
        establishmentId
        establishmentName
        right
      }
    }
    history {
      action
      actionLabel
      at
      agentNumber
      note
    }
  }
`);

// What each step of the processing answers: the request as it now stands, the accounts created, refusals.
export const ProcessingOutcomeFragment = graphql(`
  fragment ProcessingOutcome on ProcessingPayload {
    request {
      ...RequestDetail
    }
    accounts
    userErrors {
      field
      code
      message
    }
  }
`);

export const HabilitationRequestDetailQuery = graphql(`
  query HabilitationRequestDetail($number: String!) {
    habilitationRequest(number: $number) {
      ...RequestDetail
    }
  }
`);

export const MarkConventionSentMutation = graphql(`
  mutation MarkConventionSent($input: RequestActionInput!) {
    markConventionSent(input: $input) {
      ...ProcessingOutcome
    }
  }
`);

export const RecordSignedConventionMutation = graphql(`
  mutation RecordSignedConvention($input: SignedConventionInput!) {
    recordSignedConvention(input: $input) {
      ...ProcessingOutcome
    }
  }
`);

export const ActivateHabilitationMutation = graphql(`
  mutation ActivateHabilitation($input: ActivateHabilitationInput!) {
    activateHabilitation(input: $input) {
      ...ProcessingOutcome
    }
  }
`);

export const RejectHabilitationRequestMutation = graphql(`
  mutation RejectHabilitationRequest($input: RejectRequestInput!) {
    rejectHabilitationRequest(input: $input) {
      ...ProcessingOutcome
    }
  }
`);

export const ProviderOfEstablishmentQuery = graphql(`
  query ProviderOfEstablishment($id: ID!) {
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

export const ProviderAgentsQuery = graphql(`
  query ProviderAgents($providerId: ID!) {
    providerAgents(providerId: $providerId, first: 100) {
      totalCount
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
              name
            }
            right {
              label
            }
          }
        }
      }
    }
  }
`);

export const DeactivateAgentMutation = graphql(`
  mutation DeactivateAgent($input: DeactivateAgentInput!) {
    deactivateAgent(input: $input) {
      agentNumber
      userErrors {
        field
        code
        message
      }
    }
  }
`);
