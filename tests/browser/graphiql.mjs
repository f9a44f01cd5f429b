// A person's path through GraphiQL at /graphql, in headless Chromium
// (Debian's package), OFFLINE: every request to a host other than the
// server's is blocked (and fails the test), so the page must bring all it
// needs itself. Log in with a `tokenAuth` mutation typed into the editor,
// its username and password in the Variables tab, read the token from the
// result pane, set the Authorization header in the Headers tab, run `me`
// and see the user. The user is signed up beforehand with a plain fetch.
// Any Content-Security-Policy violation or script error on the page fails
// the test too, and so does anything GraphiQL left in the browser's storage
// (the documents, variables and results hold passwords and tokens).
//
// Usage: BASE_URL=http://127.0.0.1:8000 node tests/browser/graphiql.mjs
// (after `npm ci` in tests/browser). Exits non-zero on failure, leaving a
// screenshot in $SCREENSHOT_DIR (default: the system's temp folder).

import { chromium } from "playwright-core";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BASE_URL = (process.env.BASE_URL || process.argv[2] || "").replace(/\/$/, "");
if (!BASE_URL) {
  console.error("usage: BASE_URL=http://host:port node graphiql.mjs");
  process.exit(2);
}
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || tmpdir();
const TIMEOUT_MS = 15_000;
const ORIGIN = new URL(BASE_URL).origin;

const username = `graphiql${Date.now()}`;
const password = `${randomBytes(12).toString("base64url")} graphiql walk`;

async function signUp() {
  const resp = await fetch(`${BASE_URL}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      query: `mutation ($username: String!, $email: String!, $password: String!) {
        createUser(username: $username, email: $email, password: $password) { user { username } }
      }`,
      variables: { username, email: `${username}@example.com`, password },
    }),
  });
  const body = await resp.json();
  if (resp.status !== 200 || body.errors || body.data?.createUser?.user?.username !== username) {
    throw new Error(`sign-up failed: ${resp.status} ${JSON.stringify(body)}`);
  }
}

/** Replaces the text of the CodeMirror editor inside `container` as a person would: click, select all, type. */
async function typeInto(page, container, text) {
  const editor = container.locator(".CodeMirror").first();
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  // Typed as one input event (like a paste): key by key, CodeMirror would
  // close brackets and quotes a second time.
  await page.keyboard.insertText(text);
  const value = await editor.evaluate((el) => el.CodeMirror.getValue());
  if (value !== text) throw new Error(`the editor holds ${JSON.stringify(value)}, not ${JSON.stringify(text)}`);
}

/** Clicks the run button and returns the result pane's JSON once it shows a new result. */
async function run(page) {
  const pane = page.locator(".graphiql-response .CodeMirror").first();
  const before = await pane.evaluate((el) => el.CodeMirror.getValue());
  await page.locator("button.graphiql-execute-button").click();
  await page.waitForFunction((previous) => {
    const now = document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue() ?? "";
    return now !== previous && now.trim().startsWith("{");
  }, before);
  // Also what a person sees: the pane's rendered text.
  await page.locator(".graphiql-response").getByText('"data"').first().waitFor();
  const text = await pane.evaluate((el) => el.CodeMirror.getValue());
  return JSON.parse(text);
}

async function main() {
  await signUp();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);

  // Offline: only the server under test answers.
  const blocked = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("data:") || url.startsWith("blob:") || new URL(url).origin === ORIGIN) {
      return route.continue();
    }
    blocked.push(url);
    return route.abort("internetdisconnected");
  });
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/favicon\.ico/.test(msg.location()?.url || "")) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));

  try {
    const resp = await page.goto(`${BASE_URL}/graphql`);
    if (resp.status() !== 200) throw new Error(`GET /graphql answered ${resp.status()}`);
    const csp = resp.headers()["content-security-policy"] || "";
    if (!csp.includes("default-src 'self'")) throw new Error(`no strict Content-Security-Policy: ${JSON.stringify(csp)}`);
    await page.locator(".graphiql-query-editor .CodeMirror").waitFor();
    // The schema was fetched through the page's own fetcher (introspection).
    await page.locator(".graphiql-container").waitFor();

    // Log in: the document names variables; their values go in the Variables tab.
    const editor = page.locator(".graphiql-query-editor");
    await typeInto(
      page,
      editor,
      "mutation ($username: String!, $password: String!) {\n  tokenAuth(username: $username, password: $password) {\n    token\n  }\n}\n",
    );
    await page.locator(".graphiql-editor-tools").getByRole("button", { name: "Variables", exact: true }).click();
    const variables = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden)');
    await typeInto(page, variables, JSON.stringify({ username, password }));
    const login = await run(page);
    const token = login?.data?.tokenAuth?.token;
    if (!token) throw new Error(`no token in the result pane: ${JSON.stringify(login)}`);

    // Headers tab: Authorization.
    await page.locator(".graphiql-editor-tools").getByRole("button", { name: "Headers", exact: true }).click();
    const headers = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden)');
    await typeInto(page, headers, JSON.stringify({ Authorization: `Bearer ${token}` }));

    // Who am I?
    await typeInto(page, editor, "query {\n  me {\n    username\n  }\n}\n");
    const me = await run(page);
    if (me?.data?.me?.username !== username) {
      throw new Error(`expected ${username} in the result pane, got ${JSON.stringify(me)}`);
    }
    await page.locator(".graphiql-response").getByText(username).first().waitFor();

    // Nothing kept in the browser: no tabs, history, variables or headers.
    await page.waitForTimeout(1000); // GraphiQL saves its tabs after a 500 ms pause
    const stored = await page.evaluate(() => ({
      local: Object.keys(window.localStorage),
      session: Object.keys(window.sessionStorage),
    }));
    if (stored.local.length || stored.session.length) {
      throw new Error(`GraphiQL left data in the browser's storage: ${JSON.stringify(stored)}`);
    }

    if (blocked.length) throw new Error(`the page tried to reach other hosts: ${blocked.join(", ")}`);
    if (problems.length) throw new Error(`errors on the page:\n${problems.join("\n")}`);
    console.log(`ok: GraphiQL (offline) logged in as ${username} with tokenAuth and read me with the Authorization header`);
    console.log("1 passed, 0 failed");
  } catch (err) {
    const shot = join(SCREENSHOT_DIR, "gatehouse-graphiql-failure.png");
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`screenshot: ${shot}`);
    if (blocked.length) console.error(`blocked requests: ${blocked.join(", ")}`);
    if (problems.length) console.error(`errors on the page:\n${problems.join("\n")}`);
    throw err;
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(err);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
