import type { CodegenConfig } from "@graphql-codegen/cli";

// Operations are typed from the committed SDLs (`structures schemas` writes them), one output per endpoint: the
// gateway's operations (`graphql` from `@/gql`) and the moderation service's (`graphql` from `@/gql-moderation`,
// written only in files named `*.moderation.ts`). Each output has its own persisted-documents manifest.
const presetConfig = {
  fragmentMasking: false,
  // The manifest of every operation (hash → document): each service's trusted documents later.
  persistedDocuments: { mode: "embedHashInDocument", hashAlgorithm: "sha256" },
} as const;
const config = {
  enumsAsTypes: true,
  useTypeImports: true,
  scalars: { Date: "string", DateTime: "string", Time: "string", JSON: "unknown" },
};
const notGenerated = ["!src/gql/**/*", "!src/gql-moderation/**/*", "!src/**/*.test.{ts,tsx}"];

const codegen: CodegenConfig = {
  ignoreNoDocuments: false,
  generates: {
    "./src/gql/": {
      schema: "../gateway/schema.graphql",
      documents: ["src/**/*.{ts,tsx}", "!src/**/*.moderation.ts", ...notGenerated],
      preset: "client",
      presetConfig,
      config,
    },
    "./src/gql-moderation/": {
      schema: "../moderation/schema.graphql",
      documents: ["src/**/*.moderation.ts", ...notGenerated],
      preset: "client",
      presetConfig,
      config,
    },
  },
};

export default codegen;
