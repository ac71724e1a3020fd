// Starts the built switchboard binary on a free loopback port with a config
// written to a temp dir, waits for /healthz, and stops it afterwards.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io } from "socket.io-client";

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.SWITCHBOARD_BIN || path.resolve(here, "../../../build/switchboard");

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// `toml`: config text without [server] (host, port and workers are added;
// `server` adds more [server] keys). `bin`: another program taking
// `--config <file>` (the examples). `nofile`: the open-files limit to run
// under (ulimit -n, through bash, which then execs the server: same pid).
// `dir` and `port`: reuse those of an earlier run (a restart).
export async function startServer(
  toml,
  { workers = 2, bin = BIN, nofile = 0, server = "", dir: reuseDir, port: reusePort } = {},
) {
  const port = reusePort || (await freePort());
  const dir = reuseDir || mkdtempSync(path.join(tmpdir(), "sb-e2e-"));
  const file = path.join(dir, "config.toml");
  writeFileSync(file, `[server]\nhost = "127.0.0.1"\nport = ${port}\nworkers = ${workers}\n${server}\n\n${toml}\n`);
  const child = nofile
    ? spawn("bash", ["-c", `ulimit -n ${nofile} && exec "$0" --config "$1"`, bin, file], {
        stdio: ["ignore", "pipe", "pipe"],
      })
    : spawn(bin, ["--config", file], { stdio: ["ignore", "pipe", "pipe"] });
  let logs = "";
  child.stdout.on("data", (d) => (logs += d));
  child.stderr.on("data", (d) => (logs += d));
  const exited = new Promise((r) => child.once("exit", (code, sig) => r({ code, sig })));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`switchboard exited: ${logs}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`switchboard did not start: ${logs}`);
    await sleep(50);
  }
  return {
    port,
    url,
    dir,
    file,
    pid: child.pid,
    exited,
    logs: () => logs,
    // Ends it abruptly (default SIGKILL: no goodbye, as when a machine dies).
    kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    // Stops with SIGTERM and checks a clean exit (status 0: under the
    // sanitizer build, that also means no leak or error report).
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 5000);
        const r = await exited;
        clearTimeout(t);
        if (r.code !== 0) throw new Error(`switchboard exited with ${JSON.stringify(r)}:\n${logs.slice(-4000)}`);
        return r;
      }
      return exited;
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function once(emitter, event, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for "${event}"`)), timeoutMs);
    emitter.once(event, (...args) => {
      clearTimeout(t);
      resolve(args.length > 1 ? args : args[0]);
    });
  });
}

// A connected socket.io-client socket (no reconnection unless asked).
export async function connect(url, opts = {}) {
  const s = io(url, { forceNew: true, reconnection: false, ...opts });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("connect timeout")), 5000);
    s.once("connect", () => (clearTimeout(t), resolve()));
    s.once("connect_error", (e) => (clearTimeout(t), reject(e)));
  });
  return s;
}

// Resolves with the connect_error a client gets.
export function connectError(url, opts = {}) {
  const s = io(url, { forceNew: true, reconnection: false, ...opts });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no connect_error")), 5000);
    s.once("connect", () => (clearTimeout(t), s.disconnect(), reject(new Error("connected"))));
    s.once("connect_error", (e) => (clearTimeout(t), s.disconnect(), resolve(e)));
  });
}

export async function apiEmit(url, body, key = "test-key") {
  const r = await fetch(`${url}/api/emit`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

// Namespace config with the built-in handlers the tests use.
export function namespace(name, extra = "") {
  return `
[[socketio.namespaces]]
name = "${name}"
on_connect = "emit_auth"
[socketio.namespaces.events]
message = "echo:message-back"
message-with-ack = "ack"
join = "join"
leave = "leave"
to_room = "to_room"
broadcast = "broadcast"
server_ack = "server_ack"
throw = "throw"
drop = "drop"
kick = "disconnect"
${extra}`;
}

// Polls `fn` until it returns a truthy value (returned), or throws after `timeoutMs`.
export async function waitFor(fn, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await sleep(50);
  }
}

// One sample of GET /metrics (Prometheus text): value of `name{labels}`, or 0.
export async function metric(url, name, labels = "") {
  const text = await (await fetch(`${url}/metrics`)).text();
  const key = labels ? `${name}{${labels}} ` : `${name} `;
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(key)) return Number(line.slice(key.length));
    // No labels asked: a labelled family is summed.
    if (!labels && line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
