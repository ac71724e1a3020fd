// Real broker servers for the end-to-end tests: redis-server and nats-server
// (Debian packages) on free loopback ports, stopped after. `restart()` kills
// the process and starts a new one on the same port (a broker outage).
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, sleep } from "./server.mjs";

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
    port,
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

export function startNats() {
  return managed("nats", (port) => ["nats-server", ["-a", "127.0.0.1", "-p", String(port)]]);
}
