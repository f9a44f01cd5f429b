// A person's path through Swagger UI, in headless Chromium (Debian's
// package): open /docs, log in with "Try it out" on POST /api/token, paste
// the access token into "Authorize", then call GET /api/users/me and see
// the user. The user is signed up beforehand with a plain fetch. The page
// must carry its Content-Security-Policy, and any violation of it (or any
// script error) fails the test.
//
// Usage: BASE_URL=http://127.0.0.1:8000 node tests/browser/swagger.mjs
// (after `npm ci` in tests/browser). Exits non-zero on failure, leaving a
// screenshot in $SCREENSHOT_DIR (default: the system's temp folder).

import { chromium } from "playwright-core";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BASE_URL = (process.env.BASE_URL || process.argv[2] || "").replace(/\/$/, "");
if (!BASE_URL) {
  console.error("usage: BASE_URL=http://host:port node swagger.mjs");
  process.exit(2);
}
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || tmpdir();
const TIMEOUT_MS = 15_000;

const username = `browser${Date.now()}`;
const password = `${randomBytes(12).toString("base64url")} swagger walk`;

async function signUp() {
  const resp = await fetch(`${BASE_URL}/api/users`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, email: `${username}@example.com`, password }),
  });
  if (resp.status !== 201) {
    throw new Error(`sign-up failed: ${resp.status} ${await resp.text()}`);
  }
}

/** The operation block of `operationId` under `tag`, expanded, in "Try it out" mode. */
async function tryOut(page, tag, operationId) {
  const block = page.locator(`#operations-${tag}-${operationId}`);
  await block.locator(".opblock-summary").first().click();
  await block.getByRole("button", { name: "Try it out" }).click();
  return block;
}

/** Executes the block's request and returns the live response's body text. */
async function execute(block) {
  await block.getByRole("button", { name: "Execute" }).click();
  const body = block.locator(".live-responses-table tr.response .response-col_description pre").first();
  await body.waitFor();
  const status = await block.locator(".live-responses-table tr.response .response-col_status").first().innerText();
  return { status: status.trim(), text: await body.innerText() };
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
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/favicon\.ico/.test(msg.location()?.url || "")) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  try {
    const resp = await page.goto(`${BASE_URL}/docs`);
    const csp = resp.headers()["content-security-policy"] || "";
    if (!csp.includes("frame-ancestors 'none'") || !csp.includes("script-src 'sha256-")) {
      throw new Error(`no strict Content-Security-Policy: ${JSON.stringify(csp)}`);
    }
    await page.locator(".swagger-ui .info .title").waitFor();

    // POST /api/token, form-encoded (the default content type).
    const token = await tryOut(page, "Tokens", "token");
    await token.locator('[data-property-name="grant_type"] select').selectOption("password");
    await token.locator('[data-property-name="username"] input[type=\"text\"]').fill(username);
    await token.locator('[data-property-name="password"] input[type=\"text\"]').fill(password);
    const login = await execute(token);
    if (login.status !== "200") throw new Error(`POST /api/token answered ${login.status}: ${login.text}`);
    const accessToken = JSON.parse(login.text).access_token;
    if (!accessToken) throw new Error(`no access_token in ${login.text}`);

    // Authorize: the Bearer scheme takes the bare token.
    await page.locator(".auth-wrapper .authorize").click();
    const dialog = page.locator(".dialog-ux .modal-ux");
    await dialog.locator('input[type="text"], input[type="password"]').first().fill(accessToken);
    // The dialog's buttons carry aria-labels ("Apply credentials"), so by class.
    await dialog.locator("button.modal-btn.authorize").click();
    await dialog.locator("button.modal-btn.btn-done").click();

    // GET /api/users/me, with the token Swagger UI now sends.
    const me = await tryOut(page, "Users", "getMe");
    const result = await execute(me);
    if (result.status !== "200") throw new Error(`GET /api/users/me answered ${result.status}: ${result.text}`);
    if (JSON.parse(result.text).username !== username) {
      throw new Error(`expected ${username} in ${result.text}`);
    }
    if (problems.length) throw new Error(`errors on the page:\n${problems.join("\n")}`);
    console.log(`ok: Swagger UI logged in as ${username} and read /api/users/me`);
    console.log("1 passed, 0 failed");
  } catch (err) {
    const shot = join(SCREENSHOT_DIR, "gatehouse-swagger-failure.png");
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`screenshot: ${shot}`);
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
