import { graphql } from "@/gql";

export const AccountQuery = graphql(`
  query Account {
    me {
      identifier
      firstName
      lastName
      agentNumber
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
