// Browser mode in headless Chromium (Debian's package): a page served from
// ANOTHER origin (another port on the same host: same site, so the
// SameSite=Strict cookie goes along) logs in with
// `fetch(…, {credentials: "include"})`, is reloaded, refreshes through the
// cookie on load, reads `GET /api/users/me` with the access token, and
// logs out. Checked on the way:
// - the refresh cookie as Chromium stored it (`context.cookies()`):
//   HttpOnly, Secure, SameSite=Strict, Path=/api/session, host-only;
// - `document.cookie` never shows it. The page is served under
//   /api/session/ on purpose: cookies are not separated by port, so a
//   readable cookie with Path=/api/session WOULD show there. A control
//   cookie without HttpOnly, set by the page's own server on the same path,
//   must show, or the check proves nothing;
// - no response body holds a refresh token;
// - the refresh rotates the cookie; after logout the cookie is gone and a
//   refresh is refused (401);
// - a page on an origin NOT in GATEHOUSE_CORS_ORIGINS cannot log in.
// Offline: every request to a host other than the two under test fails.
//
// Usage: BASE_URL=http://127.0.0.1:8000 PAGE_PORT=8001 node tests/browser/session_cookie.mjs
// (after `npm ci` in tests/browser). The server must run with
// GATEHOUSE_CORS_ORIGINS=http://<BASE_URL's host>:<PAGE_PORT>. Exits
// non-zero on failure, leaving a screenshot in $SCREENSHOT_DIR.

import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BASE_URL = (process.env.BASE_URL || "").replace(/\/$/, "");
const PAGE_PORT = Number(process.env.PAGE_PORT || 0);
if (!BASE_URL || !PAGE_PORT) {
  console.error("usage: BASE_URL=http://host:port PAGE_PORT=port node session_cookie.mjs");
  process.exit(2);
}
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || tmpdir();
const TIMEOUT_MS = 15_000;
const API_ORIGIN = new URL(BASE_URL).origin;
const HOST = new URL(BASE_URL).hostname;
const PAGE_ORIGIN = `http://${HOST}:${PAGE_PORT}`;
const PAGE_PATH = "/api/session/app.html";
const COOKIE = "__Secure-gatehouse_refresh";

const username = `browser${Date.now()}`;
const password = `${randomBytes(12).toString("base64url")} cookie walk`;

/** The app: what a real single-page app does in browser mode. */
function pageHtml() {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>browser mode</title></head>
<body><h1 id="who">not logged in</h1><pre id="log"></pre>
<script>
const API = ${JSON.stringify(BASE_URL)};
const session = (path, body) => fetch(API + "/api/session/" + path, {
  method: "POST",
  credentials: "include",
  headers: { "X-Requested-With": "fetch", ...(body ? { "Content-Type": "application/json" } : {}) },
  body: body ? JSON.stringify(body) : undefined,
});
const read = async (resp) => ({ status: resp.status, body: resp.status === 204 ? null : await resp.json() });
window.app = {
  login: async (username, password) => read(await session("login", { username, password })),
  refresh: async () => read(await session("refresh")),
  logout: async () => read(await session("logout")),
  me: async (token) => read(await fetch(API + "/api/users/me", { headers: { Authorization: "Bearer " + token } })),
};
// On every load: try to resume the login through the cookie.
// (From an origin the server does not list, the fetch itself fails.)
window.resumed = (async () => {
  const refreshed = await window.app.refresh().catch((e) => ({ status: 0, error: e.name }));
  if (refreshed.status !== 200) return { refreshed };
  const me = await window.app.me(refreshed.body.access_token);
  document.getElementById("who").textContent = me.body.username || "?";
  return { refreshed, me };
})();
</script></body></html>`;
}

/** Serves the page (and its control cookie) on `port`. */
function servePage(port) {
  const server = createServer((req, res) => {
    if (req.url === PAGE_PATH) {
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      res.setHeader("Cache-Control", "no-store");
      // The control: readable by scripts, on the path the refresh cookie has.
      res.setHeader("Set-Cookie", "control=visible; Path=/api/session; SameSite=Strict");
      res.end(pageHtml());
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => resolve(server));
  });
}

async function signUp() {
  const resp = await fetch(`${BASE_URL}/api/users`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, email: `${username}@example.com`, password }),
  });
  if (resp.status !== 201) throw new Error(`sign-up failed: ${resp.status} ${await resp.text()}`);
}

function check(ok, message) {
  if (!ok) throw new Error(message);
}

async function refreshCookie(context) {
  const all = await context.cookies(API_ORIGIN + "/api/session/refresh");
  return all.find((c) => c.name === COOKIE);
}

/** `document.cookie` must show the control and never the refresh cookie. */
async function assertUnreadable(page, when) {
  const visible = await page.evaluate(() => document.cookie);
  check(visible.includes("control=visible"), `${when}: the control cookie is not readable (${JSON.stringify(visible)}): the check would prove nothing`);
  check(!visible.includes("gatehouse_refresh") && !visible.includes("ghr_"), `${when}: document.cookie shows the refresh cookie: ${JSON.stringify(visible)}`);
}

function assertNoRefreshToken(reply, what) {
  const text = JSON.stringify(reply.body);
  check(!/refresh_token|ghr_/.test(text), `${what}: a refresh token in the body: ${text}`);
}

async function main() {
  await signUp();
  const pageServer = await servePage(PAGE_PORT);
  // Another origin, not listed in GATEHOUSE_CORS_ORIGINS.
  const strangerServer = await servePage(0);
  const strangerOrigin = `http://${HOST}:${strangerServer.address().port}`;
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
  const blocked = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    const origin = new URL(url).origin;
    if ([API_ORIGIN, PAGE_ORIGIN, strangerOrigin].includes(origin)) return route.continue();
    blocked.push(url);
    return route.abort("internetdisconnected");
  });
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));

  try {
    // First visit: no cookie yet, the resume fails as it should.
    await page.goto(PAGE_ORIGIN + PAGE_PATH);
    const first = await page.evaluate(() => window.resumed);
    check(first.refreshed.status === 401 && first.refreshed.body.code === "UNAUTHENTICATED", `resume without a cookie: ${JSON.stringify(first)}`);

    const login = await page.evaluate(([u, p]) => window.app.login(u, p), [username, password]);
    check(login.status === 200 && login.body.access_token && login.body.token_type === "Bearer", `login: ${JSON.stringify(login)}`);
    assertNoRefreshToken(login, "login");
    const stored = await refreshCookie(context);
    check(stored, `no refresh cookie stored after login: ${JSON.stringify(await context.cookies())}`);
    check(stored.httpOnly === true, `not HttpOnly: ${JSON.stringify(stored)}`);
    check(stored.secure === true, `not Secure: ${JSON.stringify(stored)}`);
    check(stored.sameSite === "Strict", `not SameSite=Strict: ${JSON.stringify(stored)}`);
    check(stored.path === "/api/session", `path: ${JSON.stringify(stored)}`);
    check(stored.domain === HOST, `not host-only: ${JSON.stringify(stored)}`);
    check(stored.expires > Date.now() / 1000 + 3600, `expiry: ${JSON.stringify(stored)}`);
    check(stored.value.startsWith("ghr_"), "the cookie holds no refresh token");
    await assertUnreadable(page, "after login");

    // Reload: the page resumes through the cookie alone.
    await page.reload();
    const resumed = await page.evaluate(() => window.resumed);
    check(resumed.refreshed.status === 200, `refresh on load: ${JSON.stringify(resumed)}`);
    assertNoRefreshToken(resumed.refreshed, "refresh");
    check(resumed.me.status === 200 && resumed.me.body.username === username, `me: ${JSON.stringify(resumed.me)}`);
    await page.getByText(username, { exact: true }).waitFor();
    const rotated = await refreshCookie(context);
    check(rotated && rotated.value !== stored.value, "the refresh did not rotate the cookie");
    check(rotated.httpOnly && rotated.secure && rotated.sameSite === "Strict" && rotated.path === "/api/session", `rotated cookie: ${JSON.stringify(rotated)}`);
    await assertUnreadable(page, "after the refresh");

    // Log out: the cookie is gone, and so is the login.
    const out = await page.evaluate(() => window.app.logout());
    check(out.status === 204, `logout: ${JSON.stringify(out)}`);
    check(!(await refreshCookie(context)), `the refresh cookie survived the logout: ${JSON.stringify(await context.cookies())}`);
    await assertUnreadable(page, "after logout");
    const after = await page.evaluate(() => window.app.refresh());
    check(after.status === 401, `refresh after logout: ${JSON.stringify(after)}`);
    // The rotated token itself is revoked, not just forgotten by the browser.
    const direct = await fetch(`${BASE_URL}/api/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: rotated.value }),
    });
    check(direct.status === 400, `the logged-out refresh token still works: ${direct.status}`);

    // A page on an unlisted origin cannot log in (CORS and the Origin rule).
    await page.goto(strangerOrigin + PAGE_PATH);
    const stranger = await page.evaluate(([u, p]) => window.app.login(u, p).then((r) => r.status, (e) => `refused: ${e.name}`), [username, password]);
    check(stranger === "refused: TypeError", `an unlisted origin logged in: ${stranger}`);
    check(!(await refreshCookie(context)), "an unlisted origin got a refresh cookie");

    if (blocked.length) throw new Error(`the page tried to reach other hosts: ${blocked.join(", ")}`);
    if (problems.length) throw new Error(`errors on the page:\n${problems.join("\n")}`);
    console.log(`ok: browser mode from ${PAGE_ORIGIN}: login, reload + refresh through the HttpOnly cookie, me as ${username}, logout`);
    console.log("1 passed, 0 failed");
  } catch (err) {
    const shot = join(SCREENSHOT_DIR, "gatehouse-session-cookie-failure.png");
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`screenshot: ${shot}`);
    if (blocked.length) console.error(`blocked requests: ${blocked.join(", ")}`);
    if (problems.length) console.error(`errors on the page:\n${problems.join("\n")}`);
    throw err;
  } finally {
    await browser.close();
    pageServer.close();
    strangerServer.close();
  }
}

main().catch((err) => {
  console.error(err);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
