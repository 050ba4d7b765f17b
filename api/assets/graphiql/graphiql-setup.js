/*
 * Echo Health API: GraphiQL bootstrap.
 *
 * Loaded by index.html after React, ReactDOM, graphql-ws and GraphiQL (UMD globals `React`,
 * `ReactDOM`, `graphqlWs`, `GraphiQL`), all served by this server, so the page runs under a
 * Content-Security-Policy without 'unsafe-inline' and without any CDN.
 *
 * - Queries and mutations: POST /graphql on this origin, with the headers of GraphiQL's
 *   header editor (GraphiQL sends them as HTTP headers: `Authorization: Bearer <token>`).
 * - Subscriptions: graphql-transport-ws at ws(s)://<this host>/graphql/ws; the server wants the
 *   token in the connection_init payload as { "authorization": "Bearer <token>" }, taken from
 *   the Authorization header in the header editor when the socket connects.
 * - The query editor starts with ?query=... from the page's URL when present (and the
 *   variables editor with ?variables=...), else with the previous session's tabs or an example.
 */
(function () {
  "use strict";

  var EXAMPLE_QUERY = "{\n  me {\n    email\n  }\n}\n";
  var PLACEHOLDER_HEADERS = '{"Authorization": "Bearer <paste a token here>"}';

  var root = document.getElementById("graphiql");
  var missing = ["React", "ReactDOM", "graphqlWs", "GraphiQL"].filter(function (name) {
    return typeof window[name] === "undefined";
  });
  if (missing.length > 0) {
    root.textContent = "GraphiQL could not start: " + missing.join(", ") + " did not load.";
    throw new Error("GraphiQL assets missing: " + missing.join(", "));
  }

  var params = new URLSearchParams(window.location.search);
  var httpUrl = new URL("/graphql", window.location.href).href;
  var wsUrl =
    (window.location.protocol === "https:" ? "wss:" : "ws:") + "//" + window.location.host + "/graphql/ws";

  // The value of the header named Authorization (any case) in a headers object, if a string.
  function authorizationOf(headers) {
    if (!headers || typeof headers !== "object") {
      return undefined;
    }
    for (var name in headers) {
      if (
        Object.prototype.hasOwnProperty.call(headers, name) &&
        name.toLowerCase() === "authorization" &&
        typeof headers[name] === "string"
      ) {
        return headers[name];
      }
    }
    return undefined;
  }

  function parseHeaders(text) {
    try {
      var value = JSON.parse(text && text.trim() ? text : "{}");
      return value && typeof value === "object" && !Array.isArray(value) ? value : null;
    } catch (e) {
      return null; // GraphiQL itself refuses to run with invalid JSON headers
    }
  }

  // The Authorization header currently in GraphiQL's header editor: updated on every edit
  // (onEditHeaders) and with the parsed headers GraphiQL hands to each operation it runs.
  var currentAuthorization = authorizationOf(parseHeaders(PLACEHOLDER_HEADERS));

  function connectionParams() {
    return currentAuthorization ? { authorization: currentAuthorization } : {};
  }

  // One lazy graphql-ws client (it connects on the first subscription, closes when the last
  // one ends, and calls connectionParams on every connect). When the Authorization header has
  // changed since it was made, the next operation gets a new client, so a new token applies
  // even while an earlier subscription keeps the old socket open; that old client closes by
  // itself once its subscriptions end.
  var socket = null;

  function fetcherFor(authorization) {
    if (socket === null || socket.authorization !== authorization) {
      var client = graphqlWs.createClient({
        url: wsUrl,
        lazy: true,
        retryAttempts: 0,
        connectionParams: connectionParams,
      });
      socket = {
        authorization: authorization,
        fetcher: GraphiQL.createFetcher({ url: httpUrl, wsClient: client }),
      };
    }
    return socket.fetcher;
  }

  function fetcher(graphQLParams, options) {
    if (options && options.headers) {
      currentAuthorization = authorizationOf(options.headers);
    }
    return fetcherFor(currentAuthorization)(graphQLParams, options);
  }

  var props = {
    fetcher: fetcher,
    defaultQuery: EXAMPLE_QUERY,
    defaultHeaders: PLACEHOLDER_HEADERS,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false, // tokens are never written to localStorage
    showPersistHeadersSettings: false,
    defaultEditorToolsVisibility: "headers",
    onEditHeaders: function (text) {
      var headers = parseHeaders(text);
      if (headers !== null) {
        currentAuthorization = authorizationOf(headers);
      }
    },
  };
  var query = params.get("query");
  if (query !== null && query !== "") {
    props.query = query;
  }
  var variables = params.get("variables");
  if (variables !== null && variables !== "") {
    props.variables = variables;
  }

  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
})();
