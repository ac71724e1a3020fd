// The notification inbox shared by two nodes: [inbox] store = "redis" and
// [cluster] over that real redis-server (then over a nats-server). Notifications sent through one
// node's API reach the user's sockets on any node exactly once and in order;
// a client cut mid-stream that comes back on the other node has every one
// exactly once (live + missed); under random disconnects and reconnects to
// random nodes, each user's pushes plus inbox hold every notification, none
// pushed twice. Then a Redis outage: storage_error, the server keeps
// serving, the inbox works again when Redis is back.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { io } from "socket.io-client";
import { startRedis } from "./lib/brokers.mjs";
import { startCluster } from "./lib/cluster.mjs";
import { apiEmit, namespace, once, sleep, startServer, waitFor } from "./lib/server.mjs";

const SECRET = "inbox-cluster-secret";
const token = (sub) => jwt.sign({ sub }, SECRET, { algorithm: "HS256", expiresIn: 600 });
const SETTLE_MS = 300; // after the expected pushes: time for a duplicate to show up

// The inbox in the redis-server on `redisPort` (the cluster's [[brokers]] and
// [cluster] come from lib/cluster.mjs).
function config(redisPort) {
  return `[auth]
jwt_secret = "${SECRET}"
[api]
keys = ["test-key"]
[inbox]
enabled = true
store = "redis"
redis_url = "redis://127.0.0.1:${redisPort}/0"
key_prefix = "e2e:inbox:"
${namespace("/")}
`;
}

const cleanup = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function notify(url, user, data) {
  const r = await apiEmit(url, { user, event: "new_notification", data, store: true });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.match(r.body.id, /^\d+$/);
  return r.body.id;
}

// A socket of `user` on `url` whose pushes go to `got` ({id, n, missed}):
// listeners before the connect, since missed pushes follow it at once.
async function open(url, user, got, transports = ["websocket"]) {
  const s = io(url, { forceNew: true, reconnection: false, transports, auth: { token: token(user) } });
  s.on("new_notification", (data, meta) => got.push({ id: meta.id, n: data.n, missed: meta.missed === true }));
  await once(s, "connect", 10000);
  return s;
}

// Every item of the user's inbox, newest first, following the cursor.
async function fetchAll(s) {
  const items = [];
  let before = null;
  for (;;) {
    const r = await s.emitWithAck("get_notifications", { limit: 50, before });
    assert.ok(!r.error, JSON.stringify(r));
    items.push(...r.items);
    if (!r.next) return { items, total: r.total, unread: r.unread };
    before = r.next;
  }
}

// The inbox is in Redis either way; the cluster broker is that Redis, then NATS.
for (const kind of ["redis", "nats"]) describe(`inbox shared by two nodes (Redis), cluster over ${kind}`, () => {
  let redis;
  let nodes;
  before(async () => {
    redis = await startRedis();
    cleanup.push(() => redis.stop());
    const cluster = await startCluster({
      engine: kind,
      broker: kind === "redis" ? redis : undefined, // the inbox's redis-server, the cluster broker too
      config: config(redis.port),
    });
    cleanup.push(() => cluster.stop());
    nodes = cluster.nodes;
    // Until a notification sent on each node crosses to the other, the
    // subscriptions may not be in place yet.
    for (const [from, to] of [[0, 1], [1, 0]]) {
      const got = [];
      const s = await open(nodes[to].url, `warm${to}`, got);
      await waitFor(async () => {
        await notify(nodes[from].url, `warm${to}`, { n: 0 });
        await sleep(100);
        return got.some((g) => !g.missed);
      }, "a notification crossing nodes");
      s.disconnect();
    }
  });

  it("sent on node A, pushed once and in order to the user's sockets on both nodes; listed on either", async () => {
    const onB = [];
    const onA = [];
    const b = await open(nodes[1].url, "ana", onB);
    const a = await open(nodes[0].url, "ana", onA, ["polling"]);
    const ids = [];
    for (let n = 1; n <= 20; n++) ids.push(await notify(nodes[0].url, "ana", { n }));
    await waitFor(() => onB.length >= 20 && onA.length >= 20, "20 pushes on each node");
    await sleep(SETTLE_MS);
    for (const got of [onB, onA]) {
      assert.deepEqual(got.map((g) => g.id), ids, "each once, in order");
      assert.ok(got.every((g) => !g.missed));
    }
    for (let i = 1; i < ids.length; i++) assert.ok(Number(ids[i]) > Number(ids[i - 1]), "monotonic ids");
    for (const s of [a, b]) {
      const all = await fetchAll(s);
      assert.deepEqual(all.items.map((i) => i.id), ids.slice().reverse());
      assert.equal(all.total, 20);
      assert.equal(all.unread, 20);
    }
    // Marking read on one node is seen on the other.
    const r = await b.emitWithAck("mark_read", { ids: [ids[0], ids[1]] });
    assert.deepEqual(r, { updated: 2, unread: 18, not_found: [] });
    assert.equal((await a.emitWithAck("get_notifications", { limit: 1 })).unread, 18);
    a.disconnect();
    b.disconnect();
  });

  it("a user offline everywhere gets what it missed once, on whichever node it connects to", async () => {
    const ids = [];
    for (let n = 1; n <= 5; n++) ids.push(await notify(nodes[n % 2].url, "cleo", { n }));
    const got = [];
    const s = await open(nodes[1].url, "cleo", got);
    await waitFor(() => got.length >= 5, "5 missed pushes");
    const t = await open(nodes[0].url, "cleo", got);
    await sleep(SETTLE_MS);
    assert.deepEqual(got.map((g) => [g.id, g.missed]), ids.map((id) => [id, true]), "once, oldest first");
    s.disconnect();
    t.disconnect();
  });

  it("a client cut mid-stream that reconnects to the other node has every notification exactly once, in order", async () => {
    const got = [];
    let s = await open(nodes[1].url, "bo", got);
    const ids = [];
    const N = 60;
    const sending = (async () => {
      for (let n = 1; n <= N; n++) {
        ids.push(await notify(nodes[0].url, "bo", { n }));
        await sleep(5);
      }
    })();
    await waitFor(() => got.length >= 15, "the first pushes");
    // Node B cuts the client's whole connection (close: true ends the transport).
    const cut = once(s, "disconnect", 10000);
    const r = await fetch(`${nodes[1].url}/api/disconnect`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "test-key" },
      body: JSON.stringify({ user: "bo", close: true }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    const [reason] = await cut;
    assert.match(reason, /server disconnect|transport close/);
    await sleep(50); // a few are sent while the user is offline everywhere
    s = await open(nodes[0].url, "bo", got);
    await sending;
    await waitFor(() => got.length >= N, `${N} pushes (got ${got.length})`);
    await sleep(SETTLE_MS);
    const gotIds = got.map((g) => g.id);
    const seen = JSON.stringify(got.map((g) => [g.id, g.missed]));
    assert.equal(new Set(gotIds).size, gotIds.length, `none twice: ${seen}`);
    assert.deepEqual(gotIds.slice().sort((a, b) => a - b), ids, `every one: ${seen}`);
    // Live pushes (on B before the cut, on A after the reconnect) come in the
    // order sent; the missed ones follow the reconnect, oldest first. (A push
    // B made to the connection as it went is given back and may come, as
    // missed, after newer ones: the ids give the order.)
    const live = got.filter((g) => !g.missed).map((g) => g.id);
    assert.deepEqual(live, ids.filter((id) => live.includes(id)), `live pushes in order: ${seen}`);
    const firstMissed = got.findIndex((g) => g.missed);
    assert.ok(firstMissed > 0, `some came as missed on the reconnect: ${seen}`);
    const all = await fetchAll(s);
    assert.deepEqual(all.items.map((i) => i.id), ids.slice().reverse());
    s.disconnect();
  });

  it("N notifications to M users over both nodes with random disconnects: pushes + inbox, none missing, none twice", async () => {
    const M = 6;
    const N = 240;
    const users = Array.from({ length: M }, (_, i) => `cu${i}`);
    const pick = () => nodes[Math.floor(Math.random() * nodes.length)].url;
    const clients = [];
    for (const u of users) {
      const got = [];
      clients.push({ user: u, got, s: await open(pick(), u, got, [Math.random() < 0.5 ? "websocket" : "polling"]) });
    }
    let sending = true;
    const churn = clients.map(async (c) => {
      while (sending) {
        await sleep(Math.random() * 60);
        c.s.disconnect();
        await sleep(Math.random() * 40);
        c.s = await open(pick(), c.user, c.got, [Math.random() < 0.5 ? "websocket" : "polling"]);
      }
    });
    const sent = Object.fromEntries(users.map((u) => [u, []]));
    const queue = Array.from({ length: N }, (_, i) => ({ user: users[Math.floor(Math.random() * M)], n: i }));
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) sent[job.user].push(await notify(pick(), job.user, { n: job.n }));
      }),
    );
    sending = false;
    await Promise.all(churn);
    await sleep(SETTLE_MS);
    let pushed = 0;
    for (const c of clients) {
      const mine = new Set(sent[c.user]);
      const gotIds = c.got.map((g) => g.id);
      assert.equal(new Set(gotIds).size, gotIds.length, `${c.user}: a notification was pushed twice`);
      for (const id of gotIds) assert.ok(mine.has(id), `${c.user}: got ${id}, not sent to it`);
      const { items, total } = await fetchAll(c.s);
      assert.equal(total, mine.size, `${c.user}: stored`);
      assert.deepEqual(new Set(items.map((i) => i.id)), mine, `${c.user}: the inbox holds exactly what was sent`);
      // Every notification was pushed, or is still waiting undelivered in
      // the inbox (pushed to a connection that was going away: it stays unread).
      assert.deepEqual(new Set([...gotIds, ...items.map((i) => i.id)]), mine, `${c.user}: pushes + inbox`);
      pushed += gotIds.length;
      c.s.disconnect();
    }
    assert.ok(pushed > 0, `none of ${N} pushed`);
  });
});

describe("inbox on Redis during a Redis outage", () => {
  it("answers storage_error, keeps serving, and works again when Redis is back", async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const node = await startServer(config(redis.port));
    cleanup.push(() => node.stop());
    const got = [];
    const s = await open(node.url, "dan", got);
    const id = await notify(node.url, "dan", { n: 1 });
    await waitFor(() => got.length === 1, "the live push");
    assert.equal(got[0].id, id);

    await redis.stop();
    const r = await s.emitWithAck("get_notifications", {});
    assert.equal(r.error?.code, "storage_error", JSON.stringify(r));
    const m = await s.emitWithAck("mark_read", { all: true });
    assert.equal(m.error?.code, "storage_error", JSON.stringify(m));
    const e = await apiEmit(node.url, { user: "dan", event: "new_notification", data: { n: 2 }, store: true });
    assert.equal(e.body.error?.code, "storage_error", JSON.stringify(e.body));
    const h = await fetch(`${node.url}/api/inbox/dan`, { headers: { "x-api-key": "test-key" } });
    assert.equal(h.status, 500);
    assert.equal((await h.json()).error.code, "storage_error");
    // Everything else still works: the socket answers, new clients connect,
    // notifications without the inbox are delivered.
    assert.equal((await s.emitWithAck("message-with-ack", "still here")), "still here");
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
    const plain = once(s, "plain");
    assert.equal((await apiEmit(node.url, { user: "dan", event: "plain", data: 1 })).status, 200);
    assert.equal(await plain, 1);

    await redis.restart();
    await waitFor(async () => !(await s.emitWithAck("get_notifications", {})).error, "the inbox back");
    const id2 = await notify(node.url, "dan", { n: 3 });
    await waitFor(() => got.length === 2, "the live push after the outage");
    assert.equal(got[1].id, id2);
    s.disconnect();
  });
});
