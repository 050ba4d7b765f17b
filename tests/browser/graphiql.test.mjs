// GraphiQL works offline, under its Content-Security-Policy, against a running server.
//
//   cd tests/browser && npm ci
//   BASE_URL=http://127.0.0.1:8080 TOKEN=<bearer token> EXPECT_TEXT=ada@example.com node graphiql.test.mjs
//
// Drives Debian's Chromium (CHROMIUM, default /usr/bin/chromium) headless with a fresh profile,
// aborts every request to a host other than BASE_URL's, opens /graphiql?query={ me { email } },
// puts `{"Authorization": "Bearer $TOKEN"}` in GraphiQL's header editor, runs the query and
// waits for EXPECT_TEXT in the result pane, then opens and closes the settings dialog. Fails on
// a console error, an uncaught page error, a CSP violation, any attempt to reach another host,
// or a page CSP that is missing or allows more than 'self' ('unsafe-inline', other hosts).
// Exit 0 on success, 1 otherwise.
// Optional: TIMEOUT_MS (default 30000), SCREENSHOT (a PNG written on failure).

import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const QUERY = "{ me { email } }";
const CHROME_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// Console lines can carry whole data: URLs; keep the report readable.
const clip = (line, max = 400) => (line.length > max ? `${line.slice(0, max)}… (${line.length} chars)` : line);

function fail(message) {
  console.error(`FAIL: ${message}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

const env = (name) => {
  const value = process.env[name];
  if (!value) fail(`set ${name} (see the header of graphiql.test.mjs)`);
  return value;
};
const baseUrl = env("BASE_URL").replace(/\/+$/, "");
const token = env("TOKEN");
const expectText = env("EXPECT_TEXT");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const timeout = Number(process.env.TIMEOUT_MS || 30000);
const screenshotPath = process.env.SCREENSHOT || path.join(os.tmpdir(), "graphiql-test-failure.png");

let base;
try {
  base = new URL(baseUrl);
} catch {
  fail(`BASE_URL is not a URL: ${baseUrl}`);
}
if (!fs.existsSync(executablePath)) {
  fail(`no Chromium at ${executablePath} (apt-get install -y chromium, or set CHROMIUM)`);
}

const consoleLines = []; // every console message, for the report
const problems = []; // console errors, page errors, CSP violations
const blocked = []; // requests to other hosts (aborted)

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "graphiql-test-profile-"));
let context;
let page;
let passed = false;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROME_ARGS,
    viewport: { width: 1280, height: 900 },
    timeout,
  });
  context.setDefaultTimeout(timeout);

  // Only BASE_URL's host may be reached; everything else is aborted and counted.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    let host = null;
    try {
      host = new URL(url).host;
    } catch {}
    if (host === base.host) return route.continue();
    blocked.push(`${route.request().method()} ${url}`);
    return route.abort("blockedbyclient");
  });

  // CSP violations as seen by the page (besides the console message Chromium prints).
  await context.exposeBinding("__reportCspViolation", (_source, violation) => {
    problems.push(`CSP violation: ${violation}`);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__reportCspViolation(
        `${e.violatedDirective} blocked ${e.blockedURI || "(inline)"} at ${e.sourceFile || "?"}:${e.lineNumber}`,
      );
    });
  });

  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (msg) => {
    const line = `[console.${msg.type()}] ${msg.text()}`;
    consoleLines.push(line);
    if (msg.type() === "error") problems.push(line);
  });
  page.on("pageerror", (error) => problems.push(`[uncaught] ${error.stack || error}`));
  page.on("websocket", (ws) => {
    const host = new URL(ws.url()).host;
    if (host !== base.host) blocked.push(`WEBSOCKET ${ws.url()}`);
  });

  const pageUrl = `${baseUrl}/graphiql?query=${encodeURIComponent(QUERY)}`;
  const response = await page.goto(pageUrl, { waitUntil: "load" });
  if (!response || !response.ok()) {
    throw new Error(`GET ${pageUrl} answered ${response ? response.status() : "nothing"}`);
  }
  const csp = response.headers()["content-security-policy"];
  console.log(`page: ${pageUrl}\nContent-Security-Policy: ${csp ?? "(none)"}`);
  // The page must be locked down: same-origin sources only, no inline script or style at large.
  if (!csp || !/(^|;)\s*default-src 'self'\s*(;|$)/.test(csp)) {
    problems.push(`the page's Content-Security-Policy must start from default-src 'self'; it is ${csp ?? "missing"}`);
  } else if (/'unsafe-inline'|'unsafe-eval'|\*|https?:|wss?:/.test(csp)) {
    problems.push(`the page's Content-Security-Policy allows more than this origin: ${csp}`);
  }

  await page.locator(".graphiql-container").waitFor();
  await page.locator(".graphiql-query-editor .CodeMirror").waitFor();

  // The query editor holds ?query=.
  const shownQuery = await page.evaluate(
    () => document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.getValue(),
  );
  if (shownQuery.replace(/\s+/g, " ").trim() !== QUERY) {
    throw new Error(`the query editor shows ${JSON.stringify(shownQuery)}, not ?query=${QUERY}`);
  }

  // The header editor: open the Headers tab, replace its contents by typing.
  const headersTab = page.locator(".graphiql-editor-tools button", { hasText: /^Headers$/ });
  if ((await headersTab.count()) > 0 && !/\bactive\b/.test((await headersTab.first().getAttribute("class")) ?? "")) {
    await headersTab.first().click();
  }
  const headerEditor = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror").last();
  await headerEditor.waitFor();
  const headers = `{"Authorization": "Bearer ${token}"}`;
  await headerEditor.click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(headers);
  const typed = await headerEditor.evaluate((el) => el.CodeMirror.getValue());
  if (typed !== headers) {
    throw new Error(`the header editor holds ${JSON.stringify(typed)} after typing, expected ${JSON.stringify(headers)}`);
  }

  await page.locator("button.graphiql-execute-button").click();
  try {
    await page.waitForFunction(
      (text) => {
        const el = document.querySelector(".result-window .CodeMirror");
        return el && el.CodeMirror && el.CodeMirror.getValue().includes(text);
      },
      expectText,
      { timeout },
    );
  } catch {
    const result = await page
      .evaluate(() => document.querySelector(".result-window .CodeMirror")?.CodeMirror.getValue() ?? "(no result pane)")
      .catch(() => "(unreadable)");
    throw new Error(`the result pane never showed ${JSON.stringify(expectText)}; it shows:\n${result}`);
  }
  console.log(`result pane shows ${JSON.stringify(expectText)}`);

  // A dialog: Radix locks the page's scroll with an injected <style> (react-remove-scroll-bar),
  // which the page's CSP must allow by its hash; Chromium logs an error naming the hash if not.
  await page.locator('button[aria-label="Open settings dialog"]').click();
  await page.getByRole("dialog").waitFor();
  await page.keyboard.press("Escape");
  await page.getByRole("dialog").waitFor({ state: "detached" });

  // Late errors (e.g. a blocked style or font after rendering) count too.
  await page.waitForTimeout(500);
  passed = true;
} catch (error) {
  problems.unshift(`test: ${error.message}`);
} finally {
  if (page && (!passed || problems.length > 0 || blocked.length > 0)) {
    await page.screenshot({ path: screenshotPath, fullPage: true }).then(
      () => console.error(`screenshot: ${screenshotPath}`),
      () => {},
    );
  }
  if (context) await context.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

if (blocked.length > 0) {
  problems.push(`${blocked.length} request(s) to hosts other than ${base.host} (aborted):\n  ${blocked.join("\n  ")}`);
}
if (problems.length > 0) {
  if (consoleLines.length > 0) {
    console.error(`Chromium console (${consoleLines.length} messages):\n  ${consoleLines.map((l) => clip(l)).join("\n  ")}`);
  }
  fail(`${problems.length} problem(s):\n  ${problems.map((p) => clip(p, 2000)).join("\n  ")}`);
}
console.log("PASS: GraphiQL ran the query offline under its CSP (0 requests to other hosts)");
console.log("1 passed, 0 failed");
process.exit(0);
