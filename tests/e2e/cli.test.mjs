// The switchboard binary's command line: config errors name the key and exit
// non-zero; environment and flags override the file; SIGTERM exits cleanly.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { BIN, freePort, sleep } from "./lib/server.mjs";

const dir = mkdtempSync(path.join(tmpdir(), "sb-cli-"));
function configFile(name, text) {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}
function run(args, env = {}) {
  return spawnSync(BIN, args, { env: { ...process.env, ...env }, encoding: "utf8", timeout: 10000 });
}

describe("invalid configs", () => {
  const cases = [
    ["a wrong type", '[server]\nport = "abc"\n', /server\.port/],
    ["a port out of range", "[server]\nport = 70000\n", /server\.port/],
    ["an unknown key", "[server]\nprot = 3000\n", /server\.prot/],
    ["an unknown algorithm", '[auth]\njwt_algorithm = "none"\njwt_secret = "s"\n', /auth\.jwt_algorithm/],
    ["no key and no anonymous clients", "[server]\nport = 3000\n", /auth/],
    ["broken TOML", "[server\nport = 1\n", /bad\.toml|parse/i],
  ];
  for (const [label, text, pattern] of cases) {
    it(`exits 2 naming the key for ${label}`, () => {
      const r = run(["--config", configFile("bad.toml", text)]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, pattern);
    });
  }

  it("names the variable for a bad environment override", () => {
    const file = configFile("ok.toml", "[auth]\nallow_anonymous = true\n");
    const r = run(["--config", file], { SWITCHBOARD_SERVER_WORKERS: "many" });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /SWITCHBOARD_SERVER_WORKERS|server\.workers/);
  });

  it("refuses an unknown flag and a missing file", () => {
    assert.notEqual(run(["--bogus"]).status, 0);
    const r = run(["--config", path.join(dir, "missing.toml")]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /missing\.toml/);
  });
});

describe("layering", () => {
  it("applies file, then environment, then flags, and masks secrets in --print-config", () => {
    const file = configFile(
      "layers.toml",
      '[server]\nport = 4000\nworkers = 1\n[engineio]\nping_interval_ms = 1000\n[auth]\njwt_secret = "topsecret"\n',
    );
    const r = run(["--config", file, "--port", "4100", "--print-config"], {
      SWITCHBOARD_SERVER_PORT: "4050",
      SWITCHBOARD_SERVER_WORKERS: "3",
      SWITCHBOARD_ENGINEIO_PING_TIMEOUT_MS: "777",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /port = 4100/);
    assert.match(r.stdout, /workers = 3/);
    assert.match(r.stdout, /ping_interval_ms = 1000/);
    assert.match(r.stdout, /ping_timeout_ms = 777/);
    assert.doesNotMatch(r.stdout, /topsecret/);
  });
});

describe("running", () => {
  it("listens on the --port flag and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const file = configFile("run.toml", '[server]\nhost = "127.0.0.1"\nport = 1\n[auth]\nallow_anonymous = true\n');
    const child = spawn(BIN, ["--config", file, "--port", String(port), "--workers", "2"], { stdio: "ignore" });
    const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      try {
        ok = (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
      } catch {
        await sleep(50);
      }
    }
    assert.ok(ok, "server answered /healthz on the flag's port");
    child.kill("SIGTERM");
    assert.deepEqual(await exited, { code: 0, signal: null });
  });
});
