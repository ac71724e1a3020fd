// A mixed cluster on one real redis-server: two switchboard nodes and a real
// Node.js socket.io server with @socket.io/redis-adapter (same key), each with
// a socket.io-client in room "team". The Node server counts the switchboard
// nodes (`PUBSUB NUMSUB` of the request channel: serverCount() is 3) and gets
// their answers: fetchSockets() (request type 5) and serverSideEmitWithAck()
// (6) list or answer for every node, and a broadcast with acks (7) reaches
// the switchboard nodes' clients and collects their acks. allSockets requests
// (type 0, which adapter versions before 8 send) are answered with socket ids.
// A fetched switchboard socket's join/leave/disconnect (RemoteSocket: adapter 8
// sends them as socketsJoin & co. of the socket's own room) act on it, and so
// do socket.io-redis 6 peers' remoteJoin/remoteLeave/remoteDisconnect by sid
// (types 2/3/4 with a requestId), answered by the socket's node only.
//
// socket.io, @socket.io/redis-adapter and redis are the benchmark reference
// server's (bench/reference: `npm ci` there, or SB_REFERENCE_MODULES).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { clusterNodeIds, startCluster } from "./lib/cluster.mjs";
import { apiEmit, connect, namespace, once, waitFor } from "./lib/server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.SB_REFERENCE_MODULES ?? path.join(here, "../../bench/reference/node_modules");
const requireRef = createRequire(path.join(modules, "..", "package.json"));
const load = (name) => import(pathToFileURL(requireRef.resolve(name)).href);

const SECRET = "e2e-secret";
const KEY = "test-key";
const token = (sub) => jwt.sign({ sub }, SECRET, { expiresIn: 60 });

const NODE_CONFIG = `
[auth]
allow_anonymous = true
jwt_secret = "${SECRET}"
[api]
keys = ["${KEY}"]
${namespace("/")}
`;

describe("a Node.js socket.io server with the Redis adapter next to switchboard nodes", () => {
  const cleanup = [];
  let io;
  let nodeIds = [];
  let nodeUrls = [];
  let rawPub, rawSub; // a plain Redis client, as an older adapter peer
  const clients = {};

  before(async () => {
    const { Server } = await load("socket.io");
    const { createAdapter } = await load("@socket.io/redis-adapter");
    const { createClient } = await load("redis");
    const cluster = await startCluster({
      engine: "redis",
      nodes: 2,
      config: NODE_CONFIG,
      cluster: "heartbeat_ms = 200\nnode_timeout_ms = 1500",
    });
    cleanup.push(() => cluster.stop());
    const { nodes } = cluster;
    const { url } = cluster.broker;
    nodeIds = await clusterNodeIds(nodes, KEY);
    nodeUrls = nodes.map((n) => n.url);
    const pub = createClient({ url });
    const sub = pub.duplicate();
    rawPub = pub.duplicate();
    rawSub = pub.duplicate();
    for (const c of [pub, sub, rawPub, rawSub]) c.on("error", () => {});
    await Promise.all([pub.connect(), sub.connect(), rawPub.connect(), rawSub.connect()]);
    const http = createServer();
    io = new Server(http, { adapter: createAdapter(pub, sub, { requestsTimeout: 3000 }) });
    io.on("connection", (s) => {
      s.join("team");
      s.data.user = "node-user";
    });
    io.on("cluster.ping", (n, ack) => ack?.({ node: "node-js", n }));
    await new Promise((r) => http.listen(0, "127.0.0.1", r));
    cleanup.push(async () => {
      io.close();
      await Promise.allSettled([pub.quit(), sub.quit(), rawPub.quit(), rawSub.quit()]);
    });
    clients.a = await connect(nodes[0].url, { auth: { token: token("alice") } });
    clients.b = await connect(nodes[1].url, { auth: { token: token("bob") } });
    clients.n = await connect(`http://127.0.0.1:${http.address().port}`);
    clients.a.on("ask", (n, cb) => cb(`alice-${n}`));
    clients.b.on("ask", (n, cb) => cb(`bob-${n}`));
    clients.n.on("ask", (n, cb) => cb(`node-${n}`));
    await clients.a.timeout(3000).emitWithAck("join", "team");
    await clients.b.timeout(3000).emitWithAck("join", "team");
    cleanup.push(() => Object.values(clients).forEach((s) => s.disconnect()));
  });

  after(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it("counts the switchboard nodes (PUBSUB NUMSUB)", async () => {
    await waitFor(async () => (await io.of("/").adapter.serverCount()) === 3, "serverCount() 3");
  });

  it("allSockets requests (type 0, as adapter versions before 8 send them) are answered with ids", async () => {
    // @socket.io/redis-adapter 8 answers type 0 but its allSockets() is local:
    // ask as an older peer does, on the wire.
    const answers = [];
    await rawSub.subscribe("socket.io-response#/#", (m) => answers.push(JSON.parse(m)));
    const ask = (requestId, rooms) =>
      rawPub.publish("socket.io-request#/#", JSON.stringify({ uid: "old-peer", requestId, type: 0, rooms }));
    await ask("all-1", []);
    await ask("team-1", ["team"]);
    const got = await waitFor(() => {
      const all = answers.filter((a) => a.requestId === "all-1");
      const team = answers.filter((a) => a.requestId === "team-1");
      // Both switchboard nodes and the Node server answer each.
      return all.length === 3 && team.length === 3 && { all, team };
    }, "three answers to each allSockets request");
    const ids = (list) => list.flatMap((a) => a.sockets).sort();
    assert.deepEqual(ids(got.all), [clients.a.id, clients.b.id, clients.n.id].sort());
    assert.deepEqual(ids(got.team), [clients.a.id, clients.b.id, clients.n.id].sort());
    await ask("alice-1", ["user:alice"]);
    const alice = await waitFor(() => {
      const l = answers.filter((a) => a.requestId === "alice-1");
      return l.length === 3 && l;
    }, "answers for user:alice");
    assert.deepEqual(ids(alice), [clients.a.id]);
  });

  it("fetchSockets() waits for and gets the switchboard nodes' sockets", async () => {
    const got = await io.in("team").fetchSockets();
    const byId = Object.fromEntries(got.map((s) => [s.id, s]));
    assert.equal(got.length, 3);
    assert.equal(byId[clients.a.id].data.user, "alice");
    assert.equal(byId[clients.a.id].data.node, nodeIds[0]);
    assert.equal(byId[clients.b.id].data.node, nodeIds[1]);
    assert.ok(byId[clients.a.id].rooms.has("team"));
  });

  it("serverSideEmitWithAck() gets every switchboard node's answer", async () => {
    const answers = await io.serverSideEmitWithAck("cluster.ping", 1);
    assert.deepEqual(answers.map((a) => a.node).sort(), [...nodeIds].sort());
  });

  it("a broadcast with acks (type 7) reaches the switchboard nodes' clients and gets their acks", async () => {
    const all = await io.timeout(5000).emitWithAck("ask", 1);
    assert.deepEqual([...all].sort(), ["alice-1", "bob-1", "node-1"]);
    const team = await io.to("team").except("user:bob").timeout(5000).emitWithAck("ask", 2);
    assert.deepEqual([...team].sort(), ["alice-2", "node-2"]);
    const bob = await io.to("user:bob").timeout(5000).emitWithAck("ask", 3);
    assert.deepEqual(bob, ["bob-3"]);
  });

  // The rooms a socket has, as the Node server's fetchSockets() sees them.
  const fetchOne = async (id) => (await io.fetchSockets()).find((s) => s.id === id);
  const roomsOf = async (id) => (await fetchOne(id))?.rooms ?? new Set();

  it("join/leave/disconnect(true) of a fetched switchboard socket act on it", async () => {
    const c = await connect(nodeUrls[0], { auth: { token: token("carol") } });
    cleanup.push(() => c.disconnect());
    const got = [];
    c.onAny((event, ...args) => got.push([event, ...args]));
    const has = (event, arg) => got.some((e) => e[0] === event && e[1] === arg);
    const s = await fetchOne(c.id);
    assert.equal(s.data.node, nodeIds[0]);
    // By its id room too, as a Node.js server's own sockets.
    assert.deepEqual((await io.in(c.id).fetchSockets()).map((x) => x.id), [c.id]);

    await s.join("vip");
    await waitFor(async () => (await roomsOf(c.id)).has("vip"), "carol in vip");
    io.to("vip").emit("vip", "from-node");
    await waitFor(() => has("vip", "from-node"), "a Node.js broadcast to vip");
    assert.equal((await apiEmit(nodeUrls[1], { room: "vip", event: "vip", data: "from-sb" })).status, 200);
    await waitFor(() => has("vip", "from-sb"), "a switchboard broadcast to vip");

    await s.leave("vip");
    await waitFor(async () => !(await roomsOf(c.id)).has("vip"), "carol out of vip");
    io.to("vip").emit("vip", "after-leave");
    await apiEmit(nodeUrls[1], { room: "vip", event: "vip", data: "after-leave" });
    // Markers sent after each, on the same paths: once both are here, the room
    // broadcasts would have been too.
    io.to(c.id).emit("marker", "node");
    await apiEmit(nodeUrls[1], { room: c.id, event: "marker", data: "sb" });
    await waitFor(() => has("marker", "node") && has("marker", "sb"), "the markers");
    assert.ok(!has("vip", "after-leave"), "no broadcast to vip after leave");

    const reason = once(c, "disconnect");
    s.disconnect(true);
    assert.equal([].concat(await reason)[0], "io server disconnect");
    await waitFor(async () => !(await fetchOne(c.id)), "carol gone");
  });

  it("remoteJoin/remoteLeave/remoteDisconnect by sid (socket.io-redis 6) are done and answered by the socket's node", async () => {
    const d = await connect(nodeUrls[1], { auth: { token: token("dave") } });
    cleanup.push(() => d.disconnect());
    const answers = [];
    await rawSub.subscribe("socket.io-response#/#", (m) => answers.push(JSON.parse(m)));
    const ask = (req) => rawPub.publish("socket.io-request#/#", JSON.stringify({ uid: "old-peer", ...req }));
    const answersTo = (id) => answers.filter((a) => a.requestId === id);
    const answered = (id) => waitFor(() => answersTo(id).length > 0, `an answer to ${id}`);
    const got = [];
    d.on("old", (x) => got.push(x));

    await ask({ requestId: "rj-1", type: 2, sid: d.id, room: "old" });
    await answered("rj-1");
    assert.deepEqual(answersTo("rj-1"), [{ requestId: "rj-1" }]);
    assert.ok((await roomsOf(d.id)).has("old"));
    io.to("old").emit("old", 1);
    await waitFor(() => got.includes(1), "a broadcast to old");

    // Bad input and sockets that are not here: ignored, unanswered.
    await ask({ requestId: "bad-1", type: 2, sid: 42, room: "old" });
    await ask({ requestId: "bad-2", type: 2, sid: d.id });
    await ask({ requestId: "bad-3", type: 4, sid: d.id, close: "yes" });
    await ask({ requestId: "bad-4", type: 3, sid: "no-such-socket", room: "old" });
    await ask({ requestId: "rl-1", type: 3, sid: d.id, room: "old" });
    await answered("rl-1");
    assert.ok(!(await roomsOf(d.id)).has("old"));
    assert.ok(d.connected);

    const reason = once(d, "disconnect");
    await ask({ requestId: "rd-1", type: 4, sid: d.id, close: true });
    assert.equal([].concat(await reason)[0], "io server disconnect");
    await answered("rd-1");
    // Asked after the others and answered by every node: by then each node
    // has answered what it was going to answer of those.
    await ask({ requestId: "all-2", type: 0, rooms: [] });
    await waitFor(() => answersTo("all-2").length === 3, "three answers to all-2");
    for (const id of ["rj-1", "rl-1", "rd-1"]) assert.equal(answersTo(id).length, 1, id);
    for (const id of ["bad-1", "bad-2", "bad-3", "bad-4"]) assert.equal(answersTo(id).length, 0, id);
  });
});
