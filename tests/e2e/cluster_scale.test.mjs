// The cluster past one message per node, on three switchboard processes that
// share one real redis-server (then one nats-server). Bounds are made small so
// the test needs tens of connections, not tens of thousands:
// cluster.heartbeat_chunk_users = 3 splits every heartbeat into chunks (seen
// raw on the broker), and engineio.max_payload = 2000 bounds every cluster
// message. Presence on every node is complete, stays complete over many
// heartbeats with no presence.offline flapping, follows users leaving, and a
// SIGKILLed node's users vanish after node_timeout_ms. /api/rooms counts the
// rooms of 40 sockets (per-node room counts, small answers) while
// /api/rooms/<room>/sockets says its answer is partial (a node's sockets did
// not fit one message) instead of dropping it silently.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { brokerClient } from "./lib/broker_client.mjs";
import { clusterNodeIds, startCluster } from "./lib/cluster.mjs";
import { connect, namespace, sleep, waitFor } from "./lib/server.mjs";

const SECRET = "e2e-secret";
const KEY = "test-key";
const token = (sub) => jwt.sign({ sub }, SECRET, { expiresIn: 120 });
const HEARTBEAT_MS = 200;
const NODE_TIMEOUT_MS = 1500;
const CHUNK_USERS = 3;
const PER_NODE = [20, 10, 10]; // distinct users on nodes 0, 1, 2

const until = (pred, what, timeoutMs = 20000) => waitFor(pred, what, timeoutMs);

async function api(node, method, p) {
  const r = await fetch(`${node.url}${p}`, { method, headers: { "x-api-key": KEY } });
  return { status: r.status, body: await r.json() };
}

async function presence(node) {
  const r = await api(node, "GET", "/api/presence");
  assert.equal(r.status, 200);
  return { nodes: r.body.nodes, users: Object.fromEntries(r.body.users.map((u) => [u.user, u.connections])) };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

const NODE_CONFIG = `
[engineio]
max_payload = 2000
[auth]
allow_anonymous = true
jwt_secret = "${SECRET}"
[api]
keys = ["${KEY}"]
${namespace("/")}

[[sse.streams]]
name = "presence"
access = "public"

[[routes]]
from = "bus:presence.*"
to = "sse:presence"
event = "{event}"
`;
const CLUSTER_CONFIG = `heartbeat_ms = ${HEARTBEAT_MS}
node_timeout_ms = ${NODE_TIMEOUT_MS}
request_timeout_ms = 3000
presence_events = true
heartbeat_chunk_users = ${CHUNK_USERS}`;

// The users expected online: node i holds "n<i>-u<k>" for k < PER_NODE[i].
function usersOf(nodeIndexes) {
  const out = {};
  for (const i of nodeIndexes) for (let k = 0; k < PER_NODE[i]; ++k) out[`n${i}-u${k}`] = 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

for (const kind of ["redis", "nats"]) {
  describe(`cluster scale over ${kind}`, () => {
    const cleanup = [];
    let nodes = [];
    let ids = [];
    const beats = []; // raw heartbeats seen on the broker
    const clients = [[], [], []];

    before(async () => {
      const cluster = await startCluster({ engine: kind, nodes: 3, config: NODE_CONFIG, cluster: CLUSTER_CONFIG });
      cleanup.push(() => cluster.stop());
      nodes = cluster.nodes;
      ids = await clusterNodeIds(nodes, KEY);
      const tap = await brokerClient(cluster.broker);
      cleanup.push(() => tap.close());
      const heartbeats = kind === "redis" ? "socket.io-presence#" : "socket.io.presence";
      await tap.subscribe(heartbeats, (m) => beats.push(JSON.parse(m)));
      for (let i = 0; i < 3; ++i)
        for (let k = 0; k < PER_NODE[i]; ++k) {
          const s = await connect(nodes[i].url, { auth: { token: token(`n${i}-u${k}`) }, transports: ["websocket"] });
          await s.timeout(3000).emitWithAck("join", "team");
          clients[i].push(s);
        }
      cleanup.push(() => clients.flat().forEach((s) => s.disconnect()));
    });

    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });

    it("a node's heartbeat goes out in chunks of at most heartbeat_chunk_users users", async () => {
      const usersIn = (chunks) => {
        const users = new Set();
        for (const c of chunks) for (const x of c.namespaces) for (const u of Object.keys(x.users)) users.add(u);
        return [...users].sort();
      };
      // The newest complete generation of node 0 (older ones, sent while the
      // users were connecting, hold fewer).
      const gen = await until(() => {
        const mine = beats.filter((b) => b.uid === ids[0] && b.type === "heartbeat" && b.chunks > 1);
        const bySeq = new Map();
        for (const b of mine) bySeq.set(b.seq, [...(bySeq.get(b.seq) ?? []), b]);
        const complete = [...bySeq.values()].filter((chunks) => chunks.length === chunks[0].chunks);
        const last = complete.at(-1);
        return last && same(usersIn(last), Object.keys(usersOf([0]))) && last;
      }, "a complete chunked heartbeat of node 0 with its 20 users");
      for (const c of gen) {
        const n = c.namespaces.reduce((k, x) => k + Object.keys(x.users).length, 0);
        assert.ok(n <= CHUNK_USERS, `chunk ${c.chunk} holds ${n} users`);
      }
      assert.equal(gen.length, Math.ceil(PER_NODE[0] / CHUNK_USERS));
      assert.deepEqual(gen.map((c) => c.chunk).sort((a, b) => a - b), [...Array(gen.length).keys()]);
    });

    it("every node's presence is complete and stays complete over many heartbeats", async () => {
      const want = usersOf([0, 1, 2]);
      for (const n of nodes)
        await until(async () => {
          const p = await presence(n);
          return p.nodes === 3 && same(p.users, want);
        }, `complete presence on ${n.url}`);
      // Watch node 1's presence events while snapshots keep arriving in chunks.
      const sse = await fetch(`${nodes[1].url}/sse/presence`);
      const reader = sse.body.getReader();
      let text = "";
      const dec = new TextDecoder();
      const pump = (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ done: true }));
          if (done) return;
          text += dec.decode(value);
        }
      })();
      // Sample every node across at least 10 heartbeat periods (by the beats
      // seen, not by the clock): each sample is complete.
      const start = beats.filter((b) => b.uid === ids[0]).length;
      let samples = 0;
      while (beats.filter((b) => b.uid === ids[0]).length < start + 10 * Math.ceil(PER_NODE[0] / CHUNK_USERS)) {
        for (const n of nodes) {
          const p = await presence(n);
          assert.equal(p.nodes, 3);
          assert.deepEqual(p.users, want, `sample ${samples} on ${n.url}`);
        }
        ++samples;
        await sleep(HEARTBEAT_MS / 4);
      }
      assert.ok(samples >= 5, `${samples} samples`);
      await reader.cancel();
      await pump;
      assert.ok(!text.includes("presence.offline"), `no user flapped offline: ${text}`);
    });

    it("users leaving a chunked node leave every node's presence", async () => {
      const gone = clients[2].splice(0, 4);
      gone.forEach((s) => s.disconnect());
      const want = usersOf([0, 1, 2]);
      for (let k = 0; k < 4; ++k) delete want[`n2-u${k}`];
      for (const n of nodes)
        await until(async () => same((await presence(n)).users, want), `four of node 2's users gone on ${n.url}`);
    });

    it("/api/rooms counts every node's sockets from per-node room counts", async () => {
      const r = await api(nodes[1], "GET", "/api/rooms");
      assert.equal(r.status, 200);
      assert.deepEqual([r.body.nodes, r.body.nodes_expected], [3, 3]);
      assert.equal(r.body.partial, undefined, JSON.stringify(r.body.truncated));
      const members = Object.fromEntries(r.body.rooms.map((x) => [x.room, x.members]));
      assert.equal(members.team, 36);
      assert.equal(members["user:n0-u19"], 1);
      assert.equal(members["user:n2-u9"], 1);
      assert.equal(members["user:n2-u0"], undefined);
      assert.equal(r.body.total, 1 + 36);
    });

    it("/api/rooms/<room>/sockets says a node's answer was too large instead of dropping it", async () => {
      // 20 sockets of node 0 do not fit one 2000-byte answer.
      const r = await api(nodes[1], "GET", "/api/rooms/team/sockets");
      assert.equal(r.status, 200);
      assert.equal(r.body.nodes, 3, "the truncated answer still counts as an answer");
      assert.equal(r.body.partial, true);
      assert.equal(r.body.error, "answer_too_large");
      const cut = r.body.truncated.find((t) => t.node === ids[0]);
      assert.deepEqual(cut, { node: ids[0], sockets: 20 });
      const fromNode0 = r.body.sockets.filter((s) => s.node === ids[0]);
      assert.ok(fromNode0.length > 0 && fromNode0.length < 20, `${fromNode0.length} of node 0's sockets`);
      // This node's own sockets are read locally: all of them.
      assert.equal(r.body.sockets.filter((s) => s.node === ids[1]).length, 10);
      // A small room fits: no partial flag.
      const one = await api(nodes[1], "GET", `/api/rooms/${encodeURIComponent("user:n0-u3")}/sockets`);
      assert.deepEqual([one.body.total, one.body.partial], [1, undefined]);
    });

    it("a killed chunked node's users vanish within node_timeout_ms", async () => {
      await nodes[0].kill();
      const want = usersOf([1, 2]);
      for (let k = 0; k < 4; ++k) delete want[`n2-u${k}`];
      for (const n of nodes.slice(1))
        await until(async () => {
          const p = await presence(n);
          return p.nodes === 2 && same(p.users, want);
        }, `node 0's users gone from ${n.url}`);
    });
  });
}
