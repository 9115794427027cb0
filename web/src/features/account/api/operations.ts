import { graphql } from "@/gql";

export const AccountQuery = graphql(`
  query Account {
    me {
      identifier
      firstName
      lastName
      agentNumber
      email
      kindLabel
      provider {
        name
      }
      establishments {
        establishment {
          id
          name
        }
        rights {
          code
          label
        }
      }
    }
  }
`);
