// Graceful shutdown and SIGHUP reload.
// SIGTERM while stored notifications are being accepted over /api/emit: every
// one that was answered 200 is in the SQLite inbox after a restart, the exit
// status is 0, and a connected socket.io-client reconnects to the restarted
// server by itself. SIGHUP reloads the API keys, the JWT key and the routes
// from the config file; a bad file changes nothing.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { io } from "socket.io-client";
import { apiEmit, connect, connectError, namespace, once, startServer, waitFor } from "./lib/server.mjs";

describe("graceful shutdown", () => {
  it("keeps every notification it answered, exits 0, and clients reconnect", async () => {
    const config = (db) => `[api]
keys = ["test-key"]
[auth]
allow_anonymous = true
[inbox]
enabled = true
path = "${db}"
max_page = 1000
${namespace("/")}`;
    const db = path.join(mkdtempSync(path.join(tmpdir(), "sb-shutdown-")), "inbox.sqlite3");
    let server = await startServer(config(db), { server: "shutdown_timeout_ms = 5000" });
    const { port, dir } = server;

    // A client that reconnects on its own (as socket.io-client does by default).
    const client = io(server.url, { forceNew: true, transports: ["websocket"], reconnectionDelay: 100 });
    let connects = 0;
    client.on("connect", () => connects++);
    await waitFor(() => connects === 1, "the first connect");
    const reason = once(client, "disconnect", 10000);

    // Many stored notifications in flight; SIGTERM once some have been answered.
    const N = 300;
    let answered = 0;
    const results = await (async () => {
      const all = [];
      for (let i = 0; i < N; i++)
        all.push(
          apiEmit(server.url, { user: "u1", event: "note", data: { i }, store: true })
            .then((r) => (answered++, r))
            .catch((e) => ({ status: 0, error: String(e) })),
        );
      await waitFor(() => answered >= 30, "the first answers");
      const stopped = server.stop(); // SIGTERM; checks exit status 0 (killed after 5 s otherwise)
      const out = await Promise.all(all);
      const exit = await stopped;
      assert.equal(exit.code, 0, server.logs());
      return out;
    })();
    const [why] = await reason; // (reason, details)
    assert.equal(why, "transport close"); // an Engine.IO close: the client reconnects
    const accepted = results.filter((r) => r.status === 200).map((r) => r.body.id);
    assert.ok(accepted.length >= 30, `${accepted.length} accepted`);
    for (const r of results)
      if (r.status !== 200 && r.status !== 0) assert.equal(r.status, 503, JSON.stringify(r.body)); // refused, not lost

    // Restart on the same port and file: everything answered is there.
    server = await startServer(config(db), { server: "shutdown_timeout_ms = 5000", dir, port });
    try {
      const r = await fetch(`${server.url}/api/inbox/u1?limit=1000`, { headers: { "x-api-key": "test-key" } });
      const body = await r.json();
      const stored = new Set(body.items.map((n) => n.id));
      const missing = accepted.filter((id) => !stored.has(id));
      assert.deepEqual(missing, [], `${missing.length} of ${accepted.length} accepted notifications lost`);
      await waitFor(() => connects === 2, "the client's reconnect", 20000);
      client.emit("message", "back");
      assert.equal(await once(client, "message-back"), "back");
    } finally {
      client.close();
      await server.stop();
    }
  });
});

describe("SIGHUP reload", () => {
  it("swaps API keys, the JWT key and routes; a bad file changes nothing", async () => {
    const config = ({ key, secret, event }) => `[api]
keys = ["${key}"]
[auth]
jwt_secret = "${secret}"
${namespace("/")}
[[routes]]
from = "bus:ping"
to = ["room:lobby"]
event = "${event}"
`;
    const server = await startServer(config({ key: "k1", secret: "s1", event: "first" }));
    const full = (text) =>
      writeFileSync(server.file, `[server]\nhost = "127.0.0.1"\nport = ${server.port}\nworkers = 2\n\n${text}\n`);
    const status = async (key) => (await apiEmit(server.url, { room: "nobody", event: "x", data: 1 }, key)).status;
    const token = (secret) => jwt.sign({ sub: "u" }, secret, { algorithm: "HS256", expiresIn: 600 });
    const bus = (key) =>
      fetch(`${server.url}/api/events/ping`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": key },
        body: "{}",
      });
    try {
      assert.equal(await status("k1"), 200);
      const member = await connect(server.url, { transports: ["websocket"], auth: { token: token("s1") } });
      assert.equal(await member.emitWithAck("join", "lobby"), true);
      const first = once(member, "first");
      await bus("k1");
      await first;

      full(config({ key: "k2", secret: "s2", event: "second" }));
      process.kill(server.pid, "SIGHUP");
      await waitFor(async () => (await status("k2")) === 200, "the new API key");
      assert.equal(await status("k1"), 401);
      const err = await connectError(server.url, { transports: ["websocket"], auth: { token: token("s1") } });
      assert.equal(err.message, "unauthorized");
      const again = await connect(server.url, { transports: ["websocket"], auth: { token: token("s2") } });
      again.disconnect();
      // The route's new event name; the socket connected before stays connected.
      const second = once(member, "second");
      await bus("k2");
      await second;

      // A file that does not parse: logged, and the running config stays.
      writeFileSync(server.file, "[api\nkeys = ");
      process.kill(server.pid, "SIGHUP");
      await waitFor(() => /reload refused/.test(server.logs()), "the refusal in the log");
      assert.equal(await status("k2"), 200);
      member.disconnect();
    } finally {
      await server.stop();
    }
  });
});
