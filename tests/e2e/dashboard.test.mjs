// The live dashboard in a real browser (Debian's chromium driven by
// playwright-core): it shows connections rising as clients connect, rooms,
// and log lines as they happen; plus /metrics, /healthz, /readyz and the
// dashboard's key check. Saves a screenshot under the build folder.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { connect, namespace, startServer } from "./lib/server.mjs";
import { busEmit, publish } from "./lib/sse.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = process.env.SB_ARTIFACTS_DIR || path.resolve(here, "../../build/artifacts");
const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";

let server;
let browser;
const clients = [];

before(async () => {
  server = await startServer(`
[auth]
allow_anonymous = true
[api]
keys = ["test-key"]
[dashboard]
auth = "api_key"
metrics_interval_ms = 250
[[sse.streams]]
name = "news"
[[routes]]
from = "deploy.*"
to = "room:{data.missing}"
${namespace("/")}
`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
});
after(async () => {
  for (const c of clients) c.disconnect();
  if (browser) await browser.close();
  const r = await server.stop();
  assert.equal(r.code, 0, server.logs());
});

describe("dashboard page", () => {
  it("is locked without the key and serves its files", async () => {
    const locked = await fetch(`${server.url}/dashboard`);
    assert.equal(locked.status, 401);
    assert.match(await locked.text(), /Dashboard locked/);
    const page = await fetch(`${server.url}/dashboard?key=test-key`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type"), /^text\/html/);
    const js = await fetch(`${server.url}/dashboard/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type"), /^text\/javascript/);
    assert.equal((await fetch(`${server.url}/dashboard/nope.js`)).status, 404);
  });

  it("shows connections, rooms and log lines live", async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 1100 } });
    const problems = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    await page.goto(`${server.url}/dashboard?key=test-key`);
    await page.waitForFunction(() => document.getElementById("status").textContent === "live");
    await page.waitForFunction(() => /^\d+$/.test(document.getElementById("conn-total").textContent));
    const base = Number(await page.textContent("#conn-total"));
    // The broker panel: the built-in in-memory broker, up.
    await page.waitForFunction(() => document.getElementById("brokers").textContent.includes("memory"));
    assert.match(await page.textContent("#brokers"), /^memory memory: up in \d+ · out \d+ · refused 0$/);
    assert.ok(base >= 2, "the page's own two SSE connections count");

    for (let i = 0; i < 3; i++) clients.push(await connect(server.url, { transports: ["websocket"] }));
    clients.push(await connect(server.url, { transports: ["polling"] }));
    for (const c of clients.slice(0, 2)) assert.equal(await c.emitWithAck("join", "lobby"), true);
    await page.waitForFunction((n) => Number(document.getElementById("conn-total").textContent) === n, base + 4);
    assert.equal(await page.textContent("#conn-websocket"), "3");
    assert.equal(await page.textContent("#conn-polling"), "1");
    await page.waitForFunction(() => document.getElementById("rooms-body").textContent.includes("lobby"));
    const lobby = await page.$eval("#rooms-body", (tb) =>
      [...tb.rows].map((r) => [...r.cells].map((c) => c.textContent)).find((r) => r[1] === "lobby"));
    assert.deepEqual(lobby, ["/", "lobby", "2"]);

    // Traffic for the chart, and a warning for the log tail.
    for (let i = 0; i < 20; i++) clients[i % 4].emit("message", i);
    for (let i = 0; i < 20; i++) await publish(server.url, "news", { data: i });
    const marker = `deploy-${Date.now()}`;
    await busEmit(server.url, `deploy.${marker}`, { version: "1.2.3" });
    await page.waitForFunction(
      (m) => [...document.querySelectorAll("#log-tail .log-line")].some((l) => l.textContent.includes(m)),
      marker);
    const line = await page.$eval("#log-tail", (t, m) =>
      [...t.querySelectorAll(".log-line")].find((l) => l.textContent.includes(m)).className, marker);
    assert.match(line, /lv-warn/);

    // The level filter reconnects with ?level=error: the warning is gone.
    await page.selectOption("#level", "error");
    await page.waitForFunction(
      (m) => ![...document.querySelectorAll("#log-tail .log-line")].some((l) => l.textContent.includes(m)),
      marker);
    await page.selectOption("#level", "info");
    await page.waitForFunction(
      (m) => [...document.querySelectorAll("#log-tail .log-line")].some((l) => l.textContent.includes(m)),
      marker);

    await page.waitForFunction(() => Number(document.getElementById("rate-in").textContent) > 0 ||
      Number(document.getElementById("rate-out").textContent) > 0);
    await page.waitForTimeout(600); // a few more samples for the chart
    if (!existsSync(ARTIFACTS)) mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(existsSync(shot));
    assert.deepEqual(problems, []);

    // Clients leave: the count goes back down.
    for (const c of clients.splice(0)) c.disconnect();
    await page.waitForFunction((n) => Number(document.getElementById("conn-total").textContent) === n, base);
    await page.close();
  });
});

describe("health and metrics endpoints", () => {
  it("serves Prometheus text, /healthz and /readyz", async () => {
    const s = await connect(server.url, { transports: ["websocket"] });
    try {
      const r = await fetch(`${server.url}/metrics`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
      const text = await r.text();
      assert.match(text, /^# TYPE switchboard_connections gauge$/m);
      assert.match(text, /^switchboard_connections\{transport="websocket"\} [1-9]\d*$/m);
      assert.match(text, /^switchboard_socketio_sockets\{namespace="\/"\} [1-9]\d*$/m);
      assert.match(text, /^switchboard_sse_events_published_total \d+$/m);
      assert.match(text, /^switchboard_worker_loop_lag_seconds\{worker="1"\} [\d.e-]+$/m);
      // Every sample line is "name{labels} value" and every metric has a TYPE.
      for (const line of text.split("\n").filter((l) => l && !l.startsWith("#")))
        assert.match(line, /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[\d.e+-]+$/, line);
      assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: "ok" });
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), {
        status: "ready",
        workers: 2,
        brokers: { memory: { kind: "memory", state: "up" } },
      });
      assert.match(text, /^switchboard_broker_up\{broker="memory",kind="memory"\} 1$/m);
    } finally {
      s.disconnect();
    }
  });
});
