import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";

import { check, checkEqual, isRfc3339, pass } from "./check.js";
import { CLIENT_NAME, CLIENT_VERSION, type Config } from "./config.js";
import { graphql } from "./gql/index.js";

export const MeQuery = graphql(`
  query Me {
    me {
      id
      email
      createdAt
    }
  }
`);

export const CreateBmiAssessmentMutation = graphql(`
  mutation CreateBmiAssessment {
    createHealthAssessment(input: { bmi: { heightCm: 175, weightKg: 70 } }) {
      assessment {
        id
        riskLevel
        createdAt
        result {
          __typename
          band
          ... on BmiResult {
            answers { heightCm weightKg }
            details { bmi }
          }
        }
      }
    }
  }
`);

/** The headers of every request the client sent, to check what Apollo puts on the wire. */
export type SentHeaders = Headers[];

/** `fetch` that remembers the request headers, then calls Node's own `fetch`. */
export function recordingFetch(sent: SentHeaders): typeof fetch {
  return (input, init) => {
    sent.push(new Headers(init?.headers));
    return fetch(input, init);
  };
}

/** Apollo Client over HTTP with the bearer token and client awareness (name, version). */
export function createApolloClient(config: Config, sent: SentHeaders): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({
      uri: config.graphqlUrl,
      headers: { authorization: `Bearer ${config.token}` },
      fetch: recordingFetch(sent),
    }),
    cache: new InMemoryCache(),
    clientAwareness: { name: CLIENT_NAME, version: CLIENT_VERSION },
    defaultOptions: {
      query: { fetchPolicy: "network-only" },
      watchQuery: { fetchPolicy: "network-only" },
    },
  });
}

export async function runApollo(config: Config, client: ApolloClient, sent: SentHeaders): Promise<void> {
  const me = await client.query({ query: MeQuery });
  const user = me.data?.me;
  check(user, "Apollo query `me`: got null (is TOKEN a live session's bearer token?)");
  check(user.id.length > 0, "Apollo query `me`: empty id");
  check(user.email.includes("@"), `Apollo query \`me\`: email ${JSON.stringify(user.email)} is not an address`);
  check(isRfc3339(user.createdAt), `Apollo query \`me\`: createdAt ${JSON.stringify(user.createdAt)} is not RFC 3339`);
  pass(`Apollo Client query me: ${user.email} (id ${user.id}, created ${user.createdAt})`);

  const headers = sent.at(-1);
  check(headers, "Apollo Client sent no request through its fetch");
  checkEqual(headers.get("apollographql-client-name"), CLIENT_NAME, "apollographql-client-name header");
  checkEqual(headers.get("apollographql-client-version"), CLIENT_VERSION, "apollographql-client-version header");
  // Not printed either way: the token is a secret.
  check(headers.get("authorization") === `Bearer ${config.token}`, "the authorization header is not `Bearer $TOKEN`");
  pass(`Apollo Client sent apollographql-client-name/-version (${CLIENT_NAME} ${CLIENT_VERSION}) and the bearer token`);

  const created = await client.mutate({ mutation: CreateBmiAssessmentMutation });
  const assessment = created.data?.createHealthAssessment.assessment;
  check(assessment, "Apollo mutation createHealthAssessment: no assessment in the result");
  check(assessment.id.length > 0, "Apollo mutation createHealthAssessment: empty id");
  checkEqual(assessment.riskLevel, "LOW", "createHealthAssessment(bmi 175 cm, 70 kg = 22.9).riskLevel");
  check(
    isRfc3339(assessment.createdAt),
    `createHealthAssessment: createdAt ${JSON.stringify(assessment.createdAt)} is not RFC 3339`,
  );
  // The typed result: narrowing on __typename gives `details.bmi` a number type, no JSON.
  const result = assessment.result;
  check(result.__typename === "BmiResult", `createHealthAssessment.result is ${result.__typename}, not BmiResult`);
  const bmi: number = result.details.bmi;
  const height: number = result.answers.heightCm;
  checkEqual(bmi, 22.9, "createHealthAssessment.result.details.bmi");
  checkEqual(height, 175, "createHealthAssessment.result.answers.heightCm");
  checkEqual(result.band, "normal", "createHealthAssessment.result.band");
  pass(`Apollo Client mutation createHealthAssessment(bmi): ${assessment.riskLevel}, typed BmiResult ${bmi} (id ${assessment.id})`);
}
