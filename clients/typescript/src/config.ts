/** What the run is pointed at, from the environment. */
export interface Config {
  /** `${API_URL}/graphql` */
  graphqlUrl: string;
  /** `ws(s)://…/graphql/ws` */
  wsUrl: string;
  /** A signed-in user's bearer token. */
  token: string;
}

export const CLIENT_NAME = "echo-health-ci-typescript";
export const CLIENT_VERSION = "0.1.0";

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const apiUrl = env.API_URL?.trim();
  const token = env.TOKEN?.trim();
  if (!apiUrl) throw new Error("API_URL is not set (e.g. API_URL=http://127.0.0.1:8080)");
  if (!token) throw new Error("TOKEN is not set (a signed-in user's bearer token)");
  let base: URL;
  try {
    base = new URL(apiUrl);
  } catch {
    throw new Error(`API_URL is not an absolute URL: ${JSON.stringify(apiUrl)}`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new Error(`API_URL must be http(s): ${apiUrl}`);
  }
  const root = base.href.replace(/\/+$/, "");
  return {
    graphqlUrl: `${root}/graphql`,
    wsUrl: `${root.replace(/^http/, "ws")}/graphql/ws`,
    token,
  };
}
