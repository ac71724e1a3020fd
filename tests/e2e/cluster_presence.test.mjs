// Presence and cluster-wide operations across three switchboard processes that
// share one real redis-server (then one nats-server) through [cluster]:
// socket.io-client users on different nodes; /api/presence on any node counts
// everyone (node heartbeats); a SIGKILLed node's users vanish from the others'
// presence once its heartbeats stop for node_timeout_ms, then come back through
// a load balancer (lib/tcp_proxy.mjs, switched to a surviving node) and
// appear again. /api/rooms (room counts) and /api/rooms/<room>/sockets
// (fetchSockets) ask every node, /api/server-emit collects every node's answer; a node that
// heartbeats but never answers (a fake one, published from here) makes a
// request time out with what arrived.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { brokerClient } from "./lib/broker_client.mjs";
import { clusterNodeIds, startCluster } from "./lib/cluster.mjs";
import { connect, namespace, waitFor } from "./lib/server.mjs";
import { startTcpProxy } from "./lib/tcp_proxy.mjs";

const SECRET = "e2e-secret";
const KEY = "test-key";
const token = (sub) => jwt.sign({ sub }, SECRET, { expiresIn: 60 });
const HEARTBEAT_MS = 200;
const NODE_TIMEOUT_MS = 1500;

// Polls longer than the shared default.
const until = (pred, what, timeoutMs = 15000) => waitFor(pred, what, timeoutMs);

async function api(node, method, p, body) {
  const h = { "x-api-key": KEY };
  if (body !== undefined) h["content-type"] = "application/json";
  const r = await fetch(`${node.url}${p}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

// user -> connections, from /api/presence
async function presence(node) {
  const r = await api(node, "GET", "/api/presence");
  assert.equal(r.status, 200);
  return { nodes: r.body.nodes, total: r.body.total_sockets, users: Object.fromEntries(r.body.users.map((u) => [u.user, u.connections])) };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

const NODE_CONFIG = `
[auth]
allow_anonymous = true
jwt_secret = "${SECRET}"
[api]
keys = ["${KEY}"]
${namespace("/")}

[[sse.streams]]
name = "pings"
access = "public"

[[sse.streams]]
name = "presence"
access = "public"

[[routes]]
from = "bus:cluster.ping"
to = "sse:pings"

[[routes]]
from = "bus:presence.*"
to = "sse:presence"
event = "{event}"
`;
const CLUSTER_CONFIG = `heartbeat_ms = ${HEARTBEAT_MS}
node_timeout_ms = ${NODE_TIMEOUT_MS}
request_timeout_ms = 1000
presence_events = true`;

for (const kind of ["redis", "nats"]) {
  describe(`cluster presence over ${kind}`, () => {
    const cleanup = [];
    let nodes = [];
    let ids = []; // cluster node ids, from /api/node
    let proxy;
    let publishRaw; // (channel, text): straight to the broker
    const answers = []; // what the nodes publish on the response channel of "/"
    let broker;
    const sockets = {};

    before(async () => {
      const cluster = await startCluster({ engine: kind, nodes: 3, config: NODE_CONFIG, cluster: CLUSTER_CONFIG });
      cleanup.push(() => cluster.stop());
      ({ broker, nodes } = cluster);
      ids = await clusterNodeIds(nodes, KEY);
      assert.equal(new Set(ids).size, 3);
      const tap = await brokerClient(broker);
      cleanup.push(() => tap.close());
      publishRaw = (channel, text) => tap.publish(channel, text);
      const responses = kind === "redis" ? "socket.io-response#/#" : "socket.io./.response";
      await tap.subscribe(responses, (m) => answers.push(JSON.parse(m)));
      proxy = await startTcpProxy(nodes[2].port);
      cleanup.push(() => proxy.close());
      // alice x2 on node 0, bob and an anonymous socket on node 1; carol and
      // dave on node 2 through the proxy, reconnecting as a browser would.
      sockets.alice1 = await connect(nodes[0].url, { auth: { token: token("alice") } });
      sockets.alice2 = await connect(nodes[0].url, { auth: { token: token("alice") } });
      sockets.bob = await connect(nodes[1].url, { auth: { token: token("bob") } });
      sockets.anon = await connect(nodes[1].url);
      for (const u of ["carol", "dave"])
        sockets[u] = await connect(proxy.url, {
          auth: { token: token(u) },
          transports: ["websocket"],
          reconnection: true,
          reconnectionDelay: 100,
          reconnectionDelayMax: 300,
        });
      for (const n of ["alice1", "bob", "carol"]) await sockets[n].timeout(3000).emitWithAck("join", "team");
      cleanup.push(() => Object.values(sockets).forEach((s) => s.disconnect()));
    });

    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });

    it("every node's /api/presence counts every node's users", async () => {
      const want = { alice: 2, bob: 1, carol: 1, dave: 1 };
      for (const n of nodes) {
        const p = await until(async () => {
          const p = await presence(n);
          return same(p.users, want) && p.nodes === 3 && p.total === 6 && p;
        }, `presence on ${n.url}`);
        assert.deepEqual(p.users, want);
      }
      const stats = await api(nodes[2], "GET", "/api/presence/stats");
      assert.deepEqual(stats.body, { users: 4, sockets: 6, anonymous: 1, nodes: 3, namespaces: { "/": { users: 4, sockets: 6 } } });
    });

    it("/api/presence/<user> says which nodes hold the user", async () => {
      const onOther = await api(nodes[1], "GET", "/api/presence/alice");
      assert.equal(onOther.status, 200);
      assert.equal(onOther.body.connections, 2);
      assert.deepEqual(onOther.body.sockets, []); // another node's: counts only
      assert.deepEqual(onOther.body.nodes, [{ node: ids[0], connections: 2 }]);
      const onHome = await api(nodes[0], "GET", "/api/presence/alice");
      assert.deepEqual(onHome.body.sockets.map((s) => s.id).sort(), [sockets.alice1.id, sockets.alice2.id].sort());
      assert.ok(onHome.body.sockets.every((s) => s.node === ids[0]));
      const nobody = await api(nodes[1], "GET", "/api/presence/nobody");
      assert.equal(nobody.status, 404);
      assert.equal(nobody.body.error.code, "unknown_user");
    });

    it("/api/rooms counts members on every node", async () => {
      const r = await api(nodes[1], "GET", "/api/rooms");
      assert.equal(r.status, 200);
      assert.equal(r.body.nodes, 3);
      assert.equal(r.body.nodes_expected, 3);
      const members = Object.fromEntries(r.body.rooms.map((x) => [x.room, x.members]));
      assert.equal(members.team, 3);
      assert.equal(members["user:alice"], 2);
      assert.equal(members["user:dave"], 1);
      for (const s of Object.values(sockets)) assert.equal(members[s.id], undefined, "a socket's own room is not listed");
    });

    it("/api/rooms/<room>/sockets fetches a room's sockets from every node", async () => {
      const r = await api(nodes[0], "GET", "/api/rooms/team/sockets");
      assert.equal(r.status, 200);
      assert.equal(r.body.room, "team");
      assert.equal(r.body.nodes, 3);
      const got = r.body.sockets.map((s) => [s.id, s.user, s.node]).sort();
      const want = [
        [sockets.alice1.id, "alice", ids[0]],
        [sockets.bob.id, "bob", ids[1]],
        [sockets.carol.id, "carol", ids[2]],
      ].sort();
      assert.deepEqual(got, want);
      const enc = await api(nodes[2], "GET", `/api/rooms/${encodeURIComponent("user:bob")}/sockets`);
      assert.deepEqual(enc.body.sockets.map((s) => s.id), [sockets.bob.id]);
      const none = await api(nodes[2], "GET", "/api/rooms/nobody-here/sockets");
      assert.deepEqual([none.status, none.body.total, none.body.nodes], [200, 0, 3]);
      const bad = await api(nodes[0], "GET", "/api/rooms/team/members");
      assert.equal(bad.status, 404);
    });

    it("/api/server-emit runs the event on every node and collects their answers", async () => {
      const sse = await fetch(`${nodes[1].url}/sse/pings`);
      const reader = sse.body.getReader();
      const r = await api(nodes[0], "POST", "/api/server-emit", { event: "cluster.ping", data: { n: 1 } });
      assert.equal(r.status, 200);
      assert.equal(r.body.nodes, 3);
      assert.equal(r.body.nodes_expected, 3);
      assert.deepEqual(r.body.responses.map((x) => x.node).sort(), [...ids].sort());
      assert.equal(r.body.responses[0].node, ids[0], "this node's answer first");
      assert.ok(r.body.responses.every((x) => x.routed === 1), JSON.stringify(r.body.responses));
      // Node 1 ran it: its SSE route got the payload.
      let text = "";
      const dec = new TextDecoder();
      await until(async () => {
        const { value } = await reader.read();
        text += dec.decode(value);
        return text.includes('{"n":1}');
      }, "the ping on node 1's SSE stream");
      await reader.cancel();
      const bad = await api(nodes[0], "POST", "/api/server-emit", { event: "a.*" });
      assert.deepEqual([bad.status, bad.body.error.code], [400, "invalid_event"]);
      const badNsp = await api(nodes[0], "POST", "/api/server-emit", { event: "x", namespace: "/none" });
      assert.deepEqual([badNsp.status, badNsp.body.error.code], [404, "unknown_namespace"]);
    });

    it("presence events: a user coming online anywhere, then going, is seen on every node", async () => {
      const dec = new TextDecoder();
      const streams = await Promise.all(
        nodes.map(async (n) => {
          const r = await fetch(`${n.url}/sse/presence`);
          const st = { reader: r.body.getReader(), text: "" };
          st.pump = (async () => {
            for (;;) {
              const { value, done } = await st.reader.read().catch(() => ({ done: true }));
              if (done) return;
              st.text += dec.decode(value);
            }
          })();
          return st;
        }),
      );
      const seen = (st, ev) => st.text.includes(`event: ${ev}\ndata: {"user":"erin"}`);
      const erin = await connect(nodes[1].url, { auth: { token: token("erin") } });
      await until(() => streams.every((st) => seen(st, "presence.online")), "erin online on every node");
      erin.disconnect();
      await until(() => streams.every((st) => seen(st, "presence.offline")), "erin offline on every node");
      for (const st of streams) {
        assert.equal(st.text.split("presence.online\ndata: {\"user\":\"erin\"}").length - 1, 1, st.text);
        await st.reader.cancel();
      }
    });

    it("/api/disconnect on one node cuts the user's sockets on every node", async () => {
      const frank = [
        await connect(nodes[0].url, { auth: { token: token("frank") } }),
        await connect(nodes[0].url, { auth: { token: token("frank") } }),
        await connect(nodes[2].url, { auth: { token: token("frank") } }),
      ];
      await until(async () => (await presence(nodes[1])).users.frank === 3, "frank x3 in node 1's presence");
      const reasons = frank.map((s) => new Promise((r) => s.once("disconnect", r)));
      const r = await api(nodes[1], "POST", "/api/disconnect", { user: "frank" });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body, { ok: true, disconnected: 3 });
      assert.deepEqual(await Promise.all(reasons), Array(3).fill("io server disconnect"));
      await until(async () => (await presence(nodes[1])).users.frank === undefined, "frank gone");
      const again = await api(nodes[1], "POST", "/api/disconnect", { user: "frank" });
      assert.deepEqual([again.status, again.body.error.code], [404, "unknown_user"]);
    });

    it("a node that heartbeats but does not answer: requests time out with what arrived", async () => {
      const channel = kind === "redis" ? "socket.io-presence#" : "socket.io.presence";
      let seq = 0;
      const beat = () =>
        publishRaw(
          channel,
          JSON.stringify({
            uid: "ghost-node",
            type: "heartbeat",
            seq: ++seq,
            namespaces: [{ nsp: "/", sockets: 1, anonymous: 0, users: { ghost: 1 } }],
          }),
        );
      await beat();
      const timer = setInterval(beat, HEARTBEAT_MS);
      try {
        await until(async () => (await presence(nodes[0])).users.ghost === 1, "the ghost in presence");
        const r = await api(nodes[0], "GET", "/api/rooms");
        assert.deepEqual([r.body.nodes, r.body.nodes_expected], [3, 4]);
        const e = await api(nodes[1], "POST", "/api/server-emit", { event: "cluster.ping", timeout_ms: 300 });
        assert.deepEqual([e.body.nodes, e.body.nodes_expected, e.body.responses.length], [3, 4, 3]);
        // The ghost asks in the Socket.IO Redis adapter's format; an unknown
        // uid (a Node.js peer, which counts us: we SUBSCRIBE) is answered too.
        const requestChannel = kind === "redis" ? "socket.io-request#/#" : "socket.io./.request";
        const ask = (uid, requestId) =>
          publishRaw(requestChannel, JSON.stringify({ uid, requestId, type: 5, opts: { rooms: ["team"], except: [] } }));
        await ask("node-js-peer", "q-unknown");
        await ask("ghost-node", "q-ghost");
        const mine = await until(() => {
          const got = answers.filter((a) => a.requestId === "q-ghost");
          return got.length === 3 && got;
        }, "three answers to the ghost's fetchSockets");
        const fetched = mine.flatMap((a) => a.sockets);
        assert.deepEqual(fetched.map((x) => x.data.user).sort(), ["alice", "bob", "carol"]);
        assert.ok(fetched.every((x) => typeof x.id === "string" && Array.isArray(x.rooms) && x.rooms.includes("team")));
        assert.ok(fetched.every((x) => typeof x.handshake === "object"));
        assert.deepEqual(mine.map((a) => a.node).sort(), [...ids].sort());
        await until(() => answers.filter((a) => a.requestId === "q-unknown").length === 3, "three answers to the peer");
      } finally {
        clearInterval(timer);
      }
      await until(async () => {
        const p = await presence(nodes[0]);
        return p.users.ghost === undefined && p.nodes === 3;
      }, "the ghost expired");
    });

    it("after a broker outage longer than node_timeout_ms the nodes find each other again", async () => {
      await broker.restart(NODE_TIMEOUT_MS + 500);
      const want = { alice: 2, bob: 1, carol: 1, dave: 1 };
      for (const n of nodes)
        await until(async () => {
          const p = await presence(n);
          return p.nodes === 3 && same(p.users, want);
        }, `full presence again on ${n.url}`);
      const r = await api(nodes[0], "GET", "/api/rooms");
      assert.deepEqual([r.body.nodes, r.body.nodes_expected], [3, 3]);
    });

    it("a killed node's users vanish from presence, then reconnect to another node", async () => {
      await nodes[2].kill();
      // No bye: the others drop node 2 when its heartbeats stop for node_timeout_ms.
      for (const n of nodes.slice(0, 2)) {
        await until(async () => {
          const p = await presence(n);
          return p.nodes === 2 && same(p.users, { alice: 2, bob: 1 });
        }, `node 2's users gone from ${n.url}`);
      }
      const rooms = await api(nodes[1], "GET", "/api/rooms");
      assert.deepEqual([rooms.body.nodes, rooms.body.nodes_expected], [2, 2]);
      // The load balancer sends reconnections to node 0.
      proxy.retarget(nodes[0].port);
      for (const n of nodes.slice(0, 2)) {
        await until(async () => {
          const p = await presence(n);
          return p.nodes === 2 && same(p.users, { alice: 2, bob: 1, carol: 1, dave: 1 });
        }, `carol and dave back on ${n.url}`);
      }
      const carol = await api(nodes[1], "GET", "/api/presence/carol");
      assert.deepEqual(carol.body.nodes, [{ node: ids[0], connections: 1 }]);
      assert.ok(sockets.carol.connected && sockets.dave.connected);
    });

    it("a node that stops cleanly says bye and leaves presence at once", async () => {
      // Node 1 stops (SIGTERM): its bye drops it on node 0 without waiting for expiry.
      await nodes[1].stop();
      await until(async () => {
        const p = await presence(nodes[0]);
        return p.nodes === 1 && same(p.users, { alice: 2, carol: 1, dave: 1 });
      }, "node 1 gone from node 0");
      assert.match(nodes[0].logs(), new RegExp(`node ${ids[1]} left \\(bye\\)`));
      assert.match(nodes[0].logs(), new RegExp(`node ${ids[2]} left \\(no heartbeat`));
    });
  });
}
