import type { CodegenConfig } from "@graphql-codegen/cli";

// Operations are typed from the committed SDL (`structures schemas` writes it); the Caf console will add
// ../moderation/schema.graphql as a second project with its own output folder.
const config: CodegenConfig = {
  schema: "../gateway/schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*", "!src/**/*.test.{ts,tsx}"],
  ignoreNoDocuments: false,
  generates: {
    "./src/gql/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
        // The manifest of every operation (hash → document): the gateway's trusted documents later.
        persistedDocuments: { mode: "embedHashInDocument", hashAlgorithm: "sha256" },
      },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { Date: "string", DateTime: "string", Time: "string", JSON: "unknown" },
      },
    },
  },
};

export default config;
