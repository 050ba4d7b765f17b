import type { ApolloClient } from "@apollo/client";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print, type FormattedExecutionResult } from "graphql";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

import { check, CheckFailed, checkEqual, pass, withTimeout } from "./check.js";
import type { Config } from "./config.js";
import { graphql } from "./gql/index.js";
import type { ResultOf } from "./types.js";

export const StartChatSessionMutation = graphql(`
  mutation StartChatSession {
    startChatSession {
      session {
        id
      }
    }
  }
`);

export const ChatEventsSubscription = graphql(`
  subscription ChatEvents($id: ID!) {
    chatEvents(sessionId: $id) {
      kind
      delta
      sequence
      message {
        id
        senderType
        content
      }
    }
  }
`);

export const SendChatMessageMutation = graphql(`
  mutation SendChatMessage($id: ID!) {
    sendChatMessage(sessionId: $id, content: "How much exercise should I aim for each week?") {
      message {
        id
      }
      reply {
        id
        content
        replyDetails {
          provider
          safety { redFlags guidance }
        }
      }
    }
  }
`);

/** Run over the WebSocket after subscribing: its answer shows the socket has read the subscribe. */
export const WsMeQuery = graphql(`
  query WsMe {
    me {
      id
    }
  }
`);

export const CHAT_TIMEOUT_MS = 20_000;

type ChatEvent = ResultOf<typeof ChatEventsSubscription>["chatEvents"];

/** graphql-ws over the `ws` package (Node 20 has no global WebSocket), authenticated at init. */
export function createWsClient(config: Config): Client {
  return createClient({
    url: config.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${config.token}` },
    lazy: true,
    retryAttempts: 0,
  });
}

/** Why a graphql-ws operation failed: a close event, GraphQL errors or an error. */
export function describeWsError(error: unknown): string {
  if (Array.isArray(error)) {
    return error.map((e: { message?: unknown }) => String(e?.message ?? JSON.stringify(e))).join("; ");
  }
  if (error && typeof error === "object" && "code" in error) {
    const { code, reason } = error as { code: unknown; reason?: unknown };
    return `WebSocket closed with ${String(code)}${reason ? ` "${String(reason)}"` : ""}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/** One result of a query over the WebSocket. */
async function wsQuery<R, V extends Record<string, unknown>>(
  ws: Client,
  document: TypedDocumentNode<R, V>,
  variables: V,
): Promise<FormattedExecutionResult<R, unknown>> {
  const results = ws.iterate<R>({ query: print(document), variables });
  try {
    const first = await results.next();
    if (first.done) throw new CheckFailed("the WebSocket query completed without a result");
    return first.value;
  } catch (error) {
    if (error instanceof CheckFailed) throw error;
    throw new CheckFailed(`WebSocket query failed: ${describeWsError(error)}`);
  } finally {
    await results.return?.();
  }
}

export async function runChat(http: ApolloClient, ws: Client): Promise<void> {
  const started = await http.mutate({ mutation: StartChatSessionMutation });
  const sessionId = started.data?.startChatSession.session.id;
  check(sessionId, "startChatSession: no session id in the result");
  pass(`Apollo Client mutation startChatSession: session ${sessionId}`);

  const events: ChatEvent[] = [];
  let step = "connecting the WebSocket";
  const kinds = () => (events.length ? events.map((e) => e.kind).join(", ") : "none");

  let unsubscribe = () => {};
  const completed = new Promise<ChatEvent>((resolve, reject) => {
    unsubscribe = ws.subscribe<ResultOf<typeof ChatEventsSubscription>>(
      { query: print(ChatEventsSubscription), variables: { id: sessionId } },
      {
        next(result) {
          if (result.errors?.length) {
            reject(new CheckFailed(`chatEvents returned errors: ${describeWsError(result.errors)}`));
            return;
          }
          const event = result.data?.chatEvents;
          if (!event) {
            reject(new CheckFailed(`chatEvents: a result without data: ${JSON.stringify(result)}`));
            return;
          }
          events.push(event);
          if (event.kind === "REPLY_COMPLETED") resolve(event);
        },
        error(error) {
          reject(new CheckFailed(`chatEvents subscription failed: ${describeWsError(error)}`));
        },
        complete() {
          reject(new CheckFailed(`chatEvents completed before REPLY_COMPLETED (events: ${kinds()})`));
        },
      },
    );
  });
  // Observed at once so an early failure is not an unhandled rejection; awaited below.
  completed.catch(() => {});

  try {
    const phase = async () => {
      // graphql-transport-ws has no acknowledgement of `subscribe`; a query answered over the
      // same socket after it shows the server has read it (and proves the token at init).
      step = "waiting for a query over the WebSocket";
      const ready = await Promise.race([wsQuery(ws, WsMeQuery, {}), completed.then(() => never())]);
      check(!ready.errors?.length, `query me over the WebSocket: ${describeWsError(ready.errors)}`);
      check(ready.data?.me?.id, "query me over the WebSocket: null (connection_init token not accepted?)");
      pass("graphql-ws connected with connectionParams.authorization and subscribed to chatEvents");

      step = "sending the chat message over HTTP";
      const sentResult = await http.mutate({ mutation: SendChatMessageMutation, variables: { id: sessionId } });
      const sent = sentResult.data?.sendChatMessage;
      check(sent, "sendChatMessage: no result");
      check(sent.reply, "sendChatMessage: reply is null (the assistant did not answer)");
      const details = sent.reply.replyDetails;
      check(details, "sendChatMessage.reply.replyDetails is null for an assistant reply");
      checkEqual(details.provider, "built_in", "replyDetails.provider (no AI provider configured)");
      const guidance: Array<"EMERGENCY" | "CRISIS"> = details.safety.guidance;
      checkEqual(guidance, [], "replyDetails.safety.guidance for an ordinary question");
      pass(`Apollo Client mutation sendChatMessage: message ${sent.message.id}, reply ${sent.reply.id} (typed replyDetails)`);

      step = "waiting for REPLY_COMPLETED";
      const final = await completed;
      return { sent: { message: sent.message, reply: sent.reply }, final };
    };
    const { sent, final } = await withTimeout(
      phase(),
      CHAT_TIMEOUT_MS,
      () => `chat over the WebSocket timed out after ${CHAT_TIMEOUT_MS / 1000} s while ${step} (events so far: ${kinds()})`,
    );

    const added = events.find((e) => e.kind === "MESSAGE_ADDED" && e.message?.id === sent.message.id);
    check(added, `no MESSAGE_ADDED for the user's message ${sent.message.id} (events: ${kinds()})`);
    checkEqual(added.message?.senderType, "USER", "MESSAGE_ADDED(user message).message.senderType");
    pass(`chatEvents: MESSAGE_ADDED for the user's message ${sent.message.id}`);

    const deltas = events.filter((e) => e.kind === "REPLY_DELTA");
    check(deltas.length > 0, `no REPLY_DELTA before REPLY_COMPLETED (events: ${kinds()})`);
    const ordered = [...deltas].sort((a, b) => (a.sequence ?? -1) - (b.sequence ?? -1));
    checkEqual(
      ordered.map((e) => e.sequence),
      ordered.map((_, i) => i),
      "REPLY_DELTA sequence numbers",
    );
    const streamed = ordered.map((e) => e.delta ?? "").join("");
    checkEqual(streamed, sent.reply.content, "the REPLY_DELTA pieces joined vs sendChatMessage.reply.content");
    pass(`chatEvents: ${deltas.length} REPLY_DELTA pieces join to the stored reply (${streamed.length} characters)`);

    check(final.message, "REPLY_COMPLETED without a message");
    checkEqual(
      { id: final.message.id, content: final.message.content },
      { id: sent.reply.id, content: sent.reply.content },
      "REPLY_COMPLETED.message vs sendChatMessage.reply",
    );
    check(final.message.senderType !== "USER", "REPLY_COMPLETED.message.senderType is USER");
    pass(`chatEvents: REPLY_COMPLETED carries the reply ${final.message.id} (${final.message.senderType})`);
  } finally {
    unsubscribe();
  }
}

function never(): never {
  throw new CheckFailed("chatEvents ended before the WebSocket query was answered");
}
