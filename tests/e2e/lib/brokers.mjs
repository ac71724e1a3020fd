// Real broker servers for the end-to-end tests: redis-server and nats-server
// (Debian packages) on free loopback ports, stopped after. Each is { kind,
// port, url, stop(), restart() }: `restart()` kills the process and starts a
// new one on the same port (a broker outage).
// Kafka: librdkafka's mock cluster (sb-kafka-mock, built with the tests), a
// real Kafka protocol server on loopback.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, sleep } from "./server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const KAFKA_MOCK_BIN =
  process.env.SB_KAFKA_MOCK_BIN || path.resolve(here, "../../../build/sb-kafka-mock");

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

async function startProcess(cmd, args, port, name) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let logs = "";
  child.stdout.on("data", (d) => (logs += d));
  child.stderr.on("data", (d) => (logs += d));
  const exited = new Promise((r) => child.once("exit", r));
  const deadline = Date.now() + 10000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${logs}`);
    if (Date.now() > deadline) throw new Error(`${name} did not start: ${logs}`);
    await sleep(30);
  }
  return { child, exited, logs: () => logs };
}

async function managed(name, argsFor) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), `sb-${name}-`));
  const [cmd, args] = argsFor(port, dir);
  let proc = await startProcess(cmd, args, port, name);
  return {
    kind: name,
    port,
    url: `${name}://127.0.0.1:${port}`,
    async stop() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill("SIGKILL");
        await proc.exited;
      }
    },
    async restart(downMs = 0) {
      await this.stop();
      await sleep(downMs);
      proc = await startProcess(cmd, args, port, name);
    },
  };
}

export function startRedis() {
  return managed("redis", (port, dir) => [
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
  ]);
}

// `jetstream: true` enables JetStream with its store in the server's own temp
// dir (kept across restart(), as a real deployment keeps its store).
export function startNats({ jetstream = false } = {}) {
  return managed("nats", (port, dir) => [
    "nats-server",
    ["-a", "127.0.0.1", "-p", String(port), ...(jetstream ? ["-js", "-sd", dir] : [])],
  ]);
}

// A redis-server or a nats-server (`kind`), with startNats' options.
export function startBroker(kind, opts) {
  return kind === "redis" ? startRedis() : startNats(opts);
}

// librdkafka's mock cluster with `topics` ("name" or "name:partitions")
// created. Resolves with { bootstrap: "127.0.0.1:port", stop() }. The mock
// also exits when this process dies (its stdin closes).
export async function startKafkaMock(topics = []) {
  const child = spawn(KAFKA_MOCK_BIN, topics, { stdio: ["pipe", "pipe", "pipe"] });
  let logs = "";
  child.stderr.on("data", (d) => (logs += d));
  const exited = new Promise((r) => child.once("exit", r));
  const bootstrap = await new Promise((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`sb-kafka-mock did not start: ${logs}`)), 10000);
    child.once("error", (e) => (clearTimeout(t), reject(new Error(`${KAFKA_MOCK_BIN}: ${e.message}`))));
    child.once("exit", (code) => (clearTimeout(t), reject(new Error(`sb-kafka-mock exited ${code}: ${logs}`))));
    child.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) (clearTimeout(t), resolve(out.slice(0, nl).trim()));
    });
  });
  return {
    bootstrap,
    logs: () => logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin.end();
        const t = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
