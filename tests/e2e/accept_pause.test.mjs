// Out of file descriptors (the server runs under `ulimit -n 64`): the listener
// sheds the queued connections and pauses accepting (counted in /metrics)
// instead of spinning on EMFILE, and serves again once descriptors are free.
// Not in the asan set: UBSan's vptr check probes memory through a pipe, which
// fails while the process is out of descriptors, and reports a false error.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { connect, metric, namespace, once, startServer, waitFor } from "./lib/server.mjs";

const anon = `
[auth]
allow_anonymous = true
${namespace("/")}
`;

describe("out of file descriptors", () => {
  let server;
  before(async () => {
    server = await startServer(anon, { workers: 1, nofile: 64 });
  });
  after(() => server.stop());

  it("pauses accepting, closes the queued clients, and serves again once descriptors are free", async () => {
    const sockets = [];
    let closedByServer = 0;
    let weClose = false;
    for (let i = 0; i < 120; i++) {
      const c = net.connect(server.port, "127.0.0.1");
      c.on("error", () => {});
      c.on("close", () => {
        if (!weClose) closedByServer++;
      });
      sockets.push(c);
    }
    // Connections beyond the limit are shed (closed at once) instead of hanging.
    await waitFor(() => closedByServer > 0, "a shed connection", 20000);
    weClose = true;
    for (const c of sockets) c.destroy();
    // Descriptors are free again: the server answers and serves Socket.IO.
    await waitFor(async () => (await fetch(`${server.url}/healthz`).catch(() => ({ status: 0 }))).status === 200, "healthz");
    const s = await connect(server.url, { transports: ["websocket"] });
    s.emit("message", "after");
    assert.equal(await once(s, "message-back"), "after");
    s.disconnect();
    assert.ok((await metric(server.url, "switchboard_accept_paused_total")) >= 1);
    assert.ok((await metric(server.url, "switchboard_accept_shed_total")) >= 1);
    assert.match(server.logs(), /out of file descriptors: pausing accepts/);
  });
});
