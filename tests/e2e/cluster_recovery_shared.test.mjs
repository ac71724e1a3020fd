// Connection state recovery across the nodes of a cluster, on Redis and on
// NATS with JetStream: the history is a Redis Stream (a JetStream stream) and
// the saved sessions are Redis keys (messages of a second stream), so a client
// that drops on node A and comes back through the load balancer (a TCP proxy
// here) on node B recovers there: same id, its rooms, every broadcast it
// missed (issued on either node) exactly once and in the log's order, with the
// same offsets every node gives. An unknown pid or an offset the history no
// longer holds, and the engine down at reconnect time, give a fresh connect
// instead. A NATS server without JetStream: recovery stays per node.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { connect as natsConnect } from "@nats-io/transport-node";
import { io } from "socket.io-client";
import { startCluster } from "./lib/cluster.mjs";
import { apiEmit, namespace, once, waitFor } from "./lib/server.mjs";
import { startTcpProxy } from "./lib/tcp_proxy.mjs";

const STREAM = "socket.io-recovery"; // Redis
const JS_STREAM = "socket_2Eio-recovery"; // JetStream: the prefix with "." as "_2E"

// One RESP command on a fresh connection; resolves with the raw reply text.
function redisCommand(port, ...args) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let out = "";
    s.on("data", (d) => {
      out += d;
      if (out.endsWith("\r\n")) (s.end(), resolve(out));
    });
    s.on("error", reject);
    s.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join(""));
  });
}

// The whole history dropped, as a trim past a client's offset would.
async function dropHistory(kind, port) {
  if (kind === "redis") return redisCommand(port, "XTRIM", STREAM, "MAXLEN", "0");
  const nc = await natsConnect({ servers: `127.0.0.1:${port}` });
  try {
    const reply = JSON.parse(new TextDecoder().decode((await nc.request(`$JS.API.STREAM.PURGE.${JS_STREAM}`, "")).data));
    assert.equal(reply.success, true, JSON.stringify(reply));
  } finally {
    await nc.close();
  }
}

const CONFIG = `[socketio.recovery]
enabled = true
[auth]
allow_anonymous = true
[api]
keys = ["test-key"]
${namespace("/")}`;

// A WebSocket client on `url`, in `rooms`, that records every "news" as [n, offset].
async function newsClient(url, rooms) {
  const s = io(url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  await once(s, "connect", 15000);
  s.got = [];
  s.on("news", (n, offset) => s.got.push([n, offset]));
  for (const r of rooms) assert.equal(await s.emitWithAck("join", r), true);
  return s;
}

for (const kind of ["redis", "nats"]) {
  describe(`shared recovery over ${kind}`, () => {
    let cluster;
    let engine;
    let nodes = [];
    let proxy;
    before(async () => {
      cluster = await startCluster({ engine: kind, jetstream: kind === "nats", nodes: 2, config: CONFIG });
      ({ broker: engine, nodes } = cluster);
      proxy = await startTcpProxy(nodes[0].port);
      // Each node's log is in place once its broadcasts carry offsets.
      const probes = await Promise.all([0, 1].map((i) => witness(i, [])));
      for (const p of probes) p.on("probe", (_n, offset) => (p.offset = offset));
      await waitFor(async () => {
        for (const i of [0, 1]) await apiEmit(nodes[i].url, { broadcast: true, event: "probe", data: 0 });
        return probes.every((p) => /^\d+-\d+$/.test(p.offset ?? ""));
      }, "the shared log ready");
      probes.forEach((p) => p.disconnect());
    });
    after(async () => {
      await proxy?.close();
      await cluster?.stop();
    });

    // A client through the proxy.
    const client = (rooms) => newsClient(proxy.url, rooms);
    // A client on node `i` directly that sees what a room member sees.
    const witness = (i, rooms) => newsClient(nodes[i].url, rooms);

    const has = (s, n) => s.got.some(([m]) => m === n);

    async function drop(s) {
      const gone = once(s, "disconnect", 15000);
      s.emit("drop");
      const [reason] = await gone;
      assert.equal(reason, "transport close");
    }

    it("a client that drops on node A recovers on node B: same id, its rooms, every missed broadcast once and in order", async () => {
      proxy.retarget(nodes[0].port);
      const s = await client(["r1"]);
      const w = await witness(1, ["r1"]);
      await apiEmit(nodes[1].url, { room: "r1", event: "news", data: 0 });
      await waitFor(() => has(s, 0) && has(w, 0), "first broadcast");
      const id = s.id;
      const [, offset0] = s.got[0];
      assert.match(offset0, /^\d+-\d+$/, "the offset is the stream entry id");
      assert.deepEqual(w.got[0], [0, offset0], "every node gives the same offset");

      proxy.retarget(nodes[1].port);
      await drop(s);
      // Missed meanwhile, from both nodes; each one waited for, so the log order is known.
      const sent = [
        [0, { room: "r1", event: "news", data: 1 }],
        [1, { room: "r1", event: "news", data: 2 }],
        [0, { broadcast: true, event: "news", data: 3 }], // the whole namespace
        [1, { room: "elsewhere", event: "news", data: 100 }], // not for it
        [1, { room: "r1", event: "news", data: 4 }],
        [0, { room: "r1", event: "news", data: 5 }],
      ];
      for (const [i, body] of sent) {
        assert.equal((await apiEmit(nodes[i].url, body)).status, 200);
        if (body.data !== 100) await waitFor(() => has(w, body.data), `broadcast ${body.data}`);
      }

      s.connect(); // through the proxy: node B now
      await once(s, "connect", 15000);
      assert.equal(s.recovered, true);
      assert.equal(s.id, id);
      await waitFor(() => has(s, 5), "the replay");
      // The room is kept: a later room broadcast from either node reaches it.
      await apiEmit(nodes[0].url, { room: "r1", event: "news", data: 6 });
      await apiEmit(nodes[0].url, { room: "elsewhere", event: "news", data: 101 });
      await waitFor(() => has(s, 6) && has(w, 6), "a later room broadcast");
      await apiEmit(nodes[1].url, { room: "r1", event: "news", data: 7 });
      await waitFor(() => has(s, 7) && has(w, 7), "another later room broadcast");
      assert.deepEqual(
        s.got.map(([n]) => n),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
      // Same offsets as the witness on the other node, in the same order.
      assert.deepEqual(s.got, w.got);
      s.disconnect();
      w.disconnect();
    });

    it("an unknown pid or an offset the history no longer holds connects afresh", async () => {
      proxy.retarget(nodes[0].port);
      const s = await client(["r2"]);
      await apiEmit(nodes[0].url, { room: "r2", event: "news", data: 1 });
      await waitFor(() => has(s, 1), "a broadcast");
      const id = s.id;

      proxy.retarget(nodes[1].port);
      await drop(s);
      s._pid = "never-issued"; // what the client sends back as its private id
      s.connect();
      await once(s, "connect", 15000);
      assert.equal(s.recovered, false);
      assert.notEqual(s.id, id);
      assert.equal(await s.emitWithAck("join", "r2"), true); // fresh: no rooms

      // A real pid, but the history was trimmed past its offset.
      await apiEmit(nodes[1].url, { room: "r2", event: "news", data: 2 });
      await waitFor(() => has(s, 2), "a broadcast");
      const id2 = s.id;
      proxy.retarget(nodes[0].port);
      await drop(s);
      await apiEmit(nodes[1].url, { room: "r2", event: "news", data: 3 });
      await dropHistory(kind, engine.port);
      s.connect();
      await once(s, "connect", 15000);
      assert.equal(s.recovered, false);
      assert.notEqual(s.id, id2);
      s.disconnect();
    });

    it(`with ${kind} down at reconnect time the client still connects (afresh), then recovery comes back with it`, async () => {
      proxy.retarget(nodes[0].port);
      const s = await client(["r3"]);
      await apiEmit(nodes[0].url, { room: "r3", event: "news", data: 1 });
      await waitFor(() => has(s, 1), "a broadcast");
      const id = s.id;
      proxy.retarget(nodes[1].port);
      await drop(s);
      await engine.stop();
      s.connect();
      await once(s, "connect", 15000); // bounded by the restore timeout, never hung
      assert.equal(s.recovered, false);
      assert.notEqual(s.id, id);
      // Broadcasts still reach the node's own clients while the log is down.
      assert.equal(await s.emitWithAck("join", "r3"), true);
      await apiEmit(nodes[1].url, { room: "r3", event: "news", data: 2 });
      await waitFor(() => has(s, 2), "a broadcast with the engine down");

      await engine.restart();
      // Both nodes reconnect on their own; recorded broadcasts carry stream
      // offsets again. From both nodes: node B's writer, still waiting to
      // reconnect, would lose the session saved when the client drops there.
      const recorded = (n) => s.got.some(([m, offset]) => m === n && /^\d+-\d+$/.test(offset ?? ""));
      await waitFor(async () => {
        await apiEmit(nodes[0].url, { room: "r3", event: "news", data: 9 });
        await apiEmit(nodes[1].url, { room: "r3", event: "news", data: 8 });
        return recorded(9) && recorded(8);
      }, "the log back", 20000);
      const id2 = s.id;
      proxy.retarget(nodes[0].port);
      await drop(s);
      await apiEmit(nodes[1].url, { room: "r3", event: "news", data: 10 });
      s.got = [];
      s.connect();
      await once(s, "connect", 15000);
      assert.equal(s.recovered, true);
      assert.equal(s.id, id2);
      await waitFor(() => has(s, 10), "the missed broadcast");
      s.disconnect();
    });
  });
}

describe("a NATS server without JetStream", () => {
  let cluster;
  before(async () => {
    cluster = await startCluster({ engine: "nats", nodes: 1, config: CONFIG });
  });
  after(() => cluster?.stop());

  it("says so at start and keeps recovery per node", async () => {
    const [node] = cluster.nodes;
    await waitFor(() => /has no JetStream.*recovery stays per node/.test(node.logs()), "the warning");
    const s = await newsClient(node.url, ["r1"]);
    await apiEmit(node.url, { room: "r1", event: "news", data: 1 });
    await waitFor(() => s.got.length === 1, "a broadcast");
    assert.equal(typeof s.got[0][1], "string", "recorded by this node (an offset)");
    const id = s.id;
    const gone = once(s, "disconnect", 15000);
    s.emit("drop");
    await gone;
    await apiEmit(node.url, { room: "r1", event: "news", data: 2 });
    s.connect();
    await once(s, "connect", 15000);
    assert.equal(s.recovered, true);
    assert.equal(s.id, id);
    await waitFor(() => s.got.some(([n]) => n === 2), "the missed broadcast");
    s.disconnect();
  });
});
