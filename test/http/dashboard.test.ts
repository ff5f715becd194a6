// The dashboard of `clawhost serve` (the built bin) in real headless Chromium: the page loads and
// shows the fleet live from the event stream, a stop from the page updates the table, the log tail.
// CLAWHOST_UPDATE_SCREENSHOT=1 writes docs/dashboard.png.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTmp, processesUnder } from "../helpers.js";
import { FAKE_OPENCLAW } from "../helpers.js";
import { clawhost, leasesOf, Running, writeFleet } from "../cli/run.js";

const CHROMIUM = "/usr/bin/chromium";
// One block, 20720-20839 (test/http/api.test.ts has 20480-20719, real.test.ts 20840-20959).
const PORTS = { from: 20720, to: 20839 };

const tmp = makeTmp("http-dashboard");
const cwd = join(tmp.dir, "fleet");
const leaseDir = join(tmp.dir, "leases");
const root = join(cwd, "g");
let serve: Running;
let browser: Browser;
let base: string;
let token: string;

const api = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}` } });
  return (await res.json()) as Record<string, unknown>;
};

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it).`);
  mkdirSync(cwd, { recursive: true });
  // main writes a numbered line every 300 ms: something for the log tail.
  writeFleet(cwd, { root: "./g", leaseDir, ports: PORTS, openclaw: { bin: FAKE_OPENCLAW }, gateways: { main: { env: { FAKE_GATEWAY_LOG_BURST: "1", FAKE_GATEWAY_LOG_BURSTS: "1000000", FAKE_GATEWAY_LOG_BURST_EVERY_MS: "300" } } } });
  serve = new Running(cwd, ["serve", "--port", "0"]);
  const line = await serve.line(/serving http:\/\/127\.0\.0\.1:\d+\/ .*token in /);
  base = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(line)![1]!;
  const tokenFile = /token in (\S+)$/.exec(line)![1]!;
  expect(tokenFile).toBe(join(root, ".http", "token"));
  token = readFileSync(tokenFile, "utf8").trim();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  try {
    await browser?.close();
    if (serve && serve.child.exitCode === null) {
      serve.child.kill("SIGTERM");
      expect(await serve.exited).toBe(130);
    }
    expect(processesUnder([root])).toEqual([]);
    // A foreground run keeps its blocks reserved for the fleet; down gives them back.
    expect((await clawhost(cwd, ["down"])).code).toBe(0);
    expect(leasesOf(leaseDir, root)).toEqual([]);
  } finally {
    tmp.cleanup();
  }
});

describe("the dashboard in headless Chromium", () => {
  it("loads, asks for the token, shows the fleet live, tails logs, and stops a gateway from the page", async () => {
    await serve.line(/main ready/);
    const page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
    const failures: string[] = [];
    page.on("pageerror", (e) => failures.push(e.message));
    page.on("console", (m) => (m.type() === "error" ? failures.push(m.text()) : undefined));
    const res = await page.goto(`${base}/`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()["content-security-policy"]).toContain("script-src 'self'");
    expect(await res!.text()).not.toContain(token);

    await page.fill("#token", token);
    await page.click("#login button[type=submit]");
    const row = page.locator('tr[data-name="main"]');
    await row.and(page.locator('[data-state="ready"]')).waitFor();
    const pid1 = await row.locator("td.pid").textContent();
    expect(Number(pid1)).toBeGreaterThan(0);
    // The token stays in this tab's sessionStorage, nowhere else.
    expect(await page.evaluate(() => [sessionStorage.getItem("clawhost-token"), localStorage.length, document.cookie])).toEqual([token, 0, ""]);

    // Live: a restart from elsewhere (the API) shows up in the table without a reload.
    const restarted = api("/gateways/main/restart", { method: "POST" });
    await page.locator('tr[data-name="main"] td.pid').filter({ hasNotText: pid1! }).filter({ hasText: /\d/ }).waitFor();
    const after = (await restarted) as { pid: number };
    await row.and(page.locator('[data-state="ready"]')).waitFor();
    expect(await row.locator("td.pid").textContent()).toBe(String(after.pid));

    // Memory comes with the sampler's next sample, not with an event: the table refreshes it.
    await row.locator("td.memory").filter({ hasText: /\d+ MB/ }).waitFor();

    // The log tail follows main's lines.
    await row.locator('button[data-op="logs"]').click();
    await page.locator("#logs-lines").filter({ hasText: /burst \d+ line 1 of 1/ }).waitFor();
    const shot = join(tmp.dir, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.CLAWHOST_UPDATE_SCREENSHOT === "1") copyFileSync(shot, new URL("../../docs/dashboard.png", import.meta.url).pathname);

    // Stop from the page: the row goes to stopped, and the host agrees.
    await row.locator('button[data-op="stop"]').click();
    await row.and(page.locator('[data-state="stopped"]')).waitFor();
    expect(((await api("/gateways/main")) as { state: string }).state).toBe("stopped");
    expect(await row.locator("td.pid").textContent()).toBe("");
    expect(failures).toEqual([]);

    // A wrong token sends the page back to the form.
    await page.evaluate(() => sessionStorage.setItem("clawhost-token", "wrong-token-0000000000"));
    await page.reload();
    await page.locator("#login-error").filter({ hasText: "refused" }).waitFor();
    await page.close();
  });
});
