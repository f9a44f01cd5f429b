// GraphQL Code Generator, configured as a frontend team would: TypeScript
// types for the schema and for each client operation in operations/.
// Codegen validates every operation against the schema (unknown field,
// wrong argument, wrong variable type...) and fails if one does not match.
import type { CodegenConfig } from "@graphql-codegen/cli";

// run.sh passes the schema of the tree it runs in (the repository, or a
// self-test's scratch copy); run by hand, the repository's own.
const schema = process.env.CONTRACT_SCHEMA ?? "../../../schema.graphql";

const config: CodegenConfig = {
  schema,
  documents: ["operations/*.graphql", "client.ts"],
  overwrite: true,
  silent: false,
  errorsOnly: true,
  generates: {
    "generated/graphql.ts": {
      plugins: ["typescript", "typescript-operations"],
      config: {
        // Every custom scalar must be mapped: a new unmapped scalar fails.
        strictScalars: true,
        scalars: {
          GenericScalar: "Record<string, unknown>",
          DateTime: "string",
        },
      },
    },
  },
};

export default config;
