// Compile-time proof that every custom scalar of schema.graphql is generated as the intended
// TypeScript type (codegen.ts), not `unknown`/`any`. Nothing here is sent to the server.
import { graphql } from "./gql/index.js";
import type { JsonValue } from "./json.js";
import type { Equal, ResultOf, VariablesOf } from "./types.js";
import type { UploadLabReportMutation } from "./upload.js";

export const ScalarProbeQuery = graphql(`
  query ScalarProbe {
    me {
      createdAt
      dateOfBirth
    }
    currentSession {
      deviceInfo
    }
  }
`);

type Probe = ResultOf<typeof ScalarProbeQuery>;
type Me = NonNullable<Probe["me"]>;

export const scalarTypes: [
  DateTime: Equal<Me["createdAt"], string>,
  Date: Equal<Me["dateOfBirth"], string | null>,
  JSON: Equal<Probe["currentSession"]["deviceInfo"], JsonValue>,
  Upload: Equal<VariablesOf<typeof UploadLabReportMutation>["file"], File | Blob>,
] = [true, true, true, true];
