// End-to-end run of unmodified public JavaScript GraphQL clients against a live server.
//
//   API_URL=http://127.0.0.1:8080 TOKEN=<bearer token> node dist/run.js
//
// Prints `ok - …` per check that held; on the first failure prints `not ok - …` and exits 1.
import type { ApolloClient } from "@apollo/client";
import type { Client } from "graphql-ws";

import { createApolloClient, runApollo, type SentHeaders } from "./apollo.js";
import { runChat, createWsClient, describeWsError } from "./chat.js";
import { CheckFailed } from "./check.js";
import { readConfig } from "./config.js";
import { createUploadClient, runUpload } from "./upload.js";

async function main(): Promise<void> {
  const config = readConfig();
  console.log(`# ${config.graphqlUrl} and ${config.wsUrl}`);

  const sent: SentHeaders = [];
  const clients: ApolloClient[] = [];
  let ws: Client | undefined;
  try {
    const apollo = createApolloClient(config, sent);
    clients.push(apollo);
    await runApollo(config, apollo, sent);

    const upload = createUploadClient(config);
    clients.push(upload);
    await runUpload(upload);

    ws = createWsClient(config);
    await runChat(apollo, ws);
  } finally {
    for (const client of clients) client.stop();
    await ws?.dispose();
  }
}

/** One line for whatever failed: a check, a GraphQL/HTTP error from Apollo, a WebSocket close. */
function describe(error: unknown): string {
  if (error instanceof CheckFailed) return error.message;
  if (error instanceof Error) {
    const details = [error.message];
    const withStatus = error as Error & { statusCode?: number; bodyText?: string; errors?: unknown };
    if (withStatus.statusCode) details.push(`HTTP ${withStatus.statusCode}`);
    if (withStatus.bodyText) details.push(withStatus.bodyText.slice(0, 500));
    if (error.cause) details.push(`cause: ${describe(error.cause)}`);
    return `${error.name}: ${details.join(" | ")}`;
  }
  return describeWsError(error);
}

try {
  await main();
  console.log("# all checks passed");
  process.exitCode = 0;
} catch (error) {
  console.error(`not ok - ${describe(error)}`);
  process.exitCode = 1;
}
