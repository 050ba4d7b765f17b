import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents for every `graphql(...)` call under src/, from the server's committed SDL.
// Each custom scalar is mapped, so no field comes out as `unknown` (strictScalars fails the
// run when the schema gains a scalar that is not listed here).
const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  // Imports with `.js` extensions, as Node's ES module resolution (tsconfig `module: node20`) needs.
  emitLegacyCommonJSImports: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
      },
      config: {
        strictScalars: true,
        scalars: {
          // RFC 3339 timestamp, e.g. 2026-01-31T12:34:56.789Z
          DateTime: "string",
          // Calendar date, YYYY-MM-DD.
          Date: "string",
          // Any JSON value (src/json.ts).
          JSON: "../json.js#JsonValue",
          // GraphQL multipart request: what apollo-upload-client extracts from the variables.
          Upload: { input: "File | Blob", output: "never" },
        },
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: false,
      },
    },
  },
};

export default config;
