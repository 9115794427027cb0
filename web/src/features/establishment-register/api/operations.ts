import { graphql } from "@/gql";

export const EstablishmentRegisterQuery = graphql(`
  query EstablishmentRegister($filter: RegisterFilter, $first: Int!, $after: String) {
    establishmentRegister(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          name
          category
          categoryLabel
          eajeType
          eajeTypeLabel
          provider {
            id
            name
            siret
          }
          streetNumber
          streetName
          postalCode
          communeInsee
          communeName
          latitude
          longitude
          capacity
          closedOn
          closureReason
          status
          statusLabel
        }
      }
    }
  }
`);

export const TerritoryProvidersQuery = graphql(`
  query TerritoryProviders {
    territoryProviders(first: 200) {
      id
      name
      siret
    }
  }
`);

export const RecordEstablishmentMutation = graphql(`
  mutation RecordEstablishment($input: EstablishmentRecordInput!) {
    recordEstablishment(input: $input) {
      establishmentId
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const CloseEstablishmentMutation = graphql(`
  mutation CloseEstablishment($input: CloseEstablishmentInput!) {
    closeEstablishment(input: $input) {
      establishmentId
      userErrors {
        field
        code
        message
      }
    }
  }
`);
