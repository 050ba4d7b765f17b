import { ApolloClient, InMemoryCache } from "@apollo/client";
import UploadHttpLink from "apollo-upload-client/UploadHttpLink.mjs";

import { check, CheckFailed, checkEqual, pass } from "./check.js";
import { CLIENT_NAME, CLIENT_VERSION, type Config } from "./config.js";
import { graphql } from "./gql/index.js";

export const UploadLabReportMutation = graphql(`
  mutation UploadLabReport($file: Upload!) {
    uploadMedicalReport(file: $file, reportType: LAB_RESULT, title: "CI labs") {
      report {
        id
        downloadUrl
        fileName
        fileSize
      }
    }
  }
`);

export const LAB_CSV = "test,value,unit,range\nHemoglobin,13.5,g/dL,12-16\nGlucose,92,mg/dL,70-99\n";

/** Apollo Client whose terminating link is apollo-upload-client's (GraphQL multipart request). */
export function createUploadClient(config: Config): ApolloClient {
  return new ApolloClient({
    link: new UploadHttpLink({
      uri: config.graphqlUrl,
      headers: { authorization: `Bearer ${config.token}` },
    }),
    cache: new InMemoryCache(),
    clientAwareness: { name: CLIENT_NAME, version: CLIENT_VERSION },
  });
}

export async function runUpload(client: ApolloClient): Promise<void> {
  const bytes = new TextEncoder().encode(LAB_CSV);
  const file = new File([bytes], "labs.csv", { type: "text/csv" });

  const result = await client.mutate({ mutation: UploadLabReportMutation, variables: { file } });
  const report = result.data?.uploadMedicalReport.report;
  check(report, "uploadMedicalReport: no report in the result");
  check(report.id.length > 0, "uploadMedicalReport: empty id");
  checkEqual(report.fileName, "labs.csv", "uploadMedicalReport.fileName");
  checkEqual(report.fileSize, bytes.byteLength, "uploadMedicalReport.fileSize");
  pass(`apollo-upload-client uploadMedicalReport: ${report.fileName}, ${report.fileSize} bytes (id ${report.id})`);

  let url: URL;
  try {
    url = new URL(report.downloadUrl);
  } catch {
    throw new CheckFailed(
      `downloadUrl ${JSON.stringify(report.downloadUrl)} is relative: the server must return an ` +
        "absolute, short-lived signed URL that works without the Authorization header",
    );
  }
  check(
    url.protocol === "http:" || url.protocol === "https:",
    `downloadUrl ${JSON.stringify(report.downloadUrl)} is not an http(s) URL`,
  );
  pass(`downloadUrl is absolute: ${url.origin}${url.pathname}`);

  // No Authorization header: the URL itself must grant access.
  const response = await fetch(url, { redirect: "follow" });
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    throw new CheckFailed(
      `GET downloadUrl without Authorization: HTTP ${response.status} ${response.statusText} ${text.slice(0, 300)}`,
    );
  }
  const downloaded = new Uint8Array(await response.arrayBuffer());
  check(
    Buffer.from(downloaded).equals(Buffer.from(bytes)),
    `GET downloadUrl returned ${downloaded.byteLength} bytes that differ from the ${bytes.byteLength} uploaded: ` +
      JSON.stringify(new TextDecoder().decode(downloaded).slice(0, 200)),
  );
  pass(`GET downloadUrl without Authorization returned the ${downloaded.byteLength} uploaded bytes`);
}
