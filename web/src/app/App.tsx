import { graphql } from "@/gql";

export const ServiceQuery = graphql(`
  query Service {
    service {
      name
      version
    }
  }
`);

export function App() {
  return <h1>Espace professionnel</h1>;
}
