// Rooms span nodes: three switchboard processes share one real redis-server
// (then one nats-server) through [cluster]. Official socket.io-client sockets
// on different nodes; every operation issued on one node reaches every member
// on every node exactly once, and goes to the broker exactly once (counted by
// an independent subscriber: node-redis PSUBSCRIBE, a NATS client).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { brokerClient } from "./lib/broker_client.mjs";
import { startCluster } from "./lib/cluster.mjs";
import { apiEmit, connect, namespace, once, sleep, waitFor as until } from "./lib/server.mjs";

const SECRET = "e2e-secret";
const token = (sub) => jwt.sign({ sub }, SECRET, { expiresIn: 60 });
const SETTLE_MS = 300; // after the expected deliveries: time for a duplicate to show up

const NODE_CONFIG = `
[auth]
allow_anonymous = true
jwt_secret = "${SECRET}"
[api]
keys = ["test-key"]
${namespace("/", 'sockets_join = "sockets_join"\nsockets_leave = "sockets_leave"\ndisconnect_sockets = "disconnect_sockets"')}
`;

for (const kind of ["redis", "nats"]) {
  describe(`cluster over ${kind}`, () => {
    const cleanup = [];
    let nodes = [];
    let published = []; // what the independent subscriber saw on the broker
    let publishRaw; // (channel, bytes): a message straight to the broker
    const sockets = {}; // name -> socket
    const got = {}; // name -> [[event, ...args]]

    before(async () => {
      const cluster = await startCluster({ engine: kind, nodes: 3, config: NODE_CONFIG });
      cleanup.push(() => cluster.stop());
      nodes = cluster.nodes;
      const tap = await brokerClient(cluster.broker);
      cleanup.push(() => tap.close());
      publishRaw = (channel, bytes) => tap.publish(channel, bytes);
      // Broadcasts and requests only (not the presence heartbeats).
      const watched =
        kind === "redis" ? ["socket.io#*", "socket.io-request#*"] : ["socket.io.*.broadcast", "socket.io.*.request"];
      const take = (message, channel) => published.push({ channel, message });
      for (const pattern of watched) await tap.subscribe(pattern, take);
      // Per node i: a_i (in room "r"), b_i (not); alice on nodes 0 and 2.
      for (let i = 0; i < 3; i++) {
        for (const p of ["a", "b"]) sockets[`${p}${i}`] = await connect(nodes[i].url);
        await sockets[`a${i}`].emitWithAck("join", "r");
      }
      sockets.alice0 = await connect(nodes[0].url, { auth: { token: token("alice") } });
      sockets.alice2 = await connect(nodes[2].url, { auth: { token: token("alice") } });
      for (const [name, s] of Object.entries(sockets)) {
        got[name] = [];
        s.onAny((event, ...args) => {
          if (event !== "auth") got[name].push([event, ...args]);
        });
      }
      cleanup.push(() => Object.values(sockets).forEach((s) => s.disconnect()));
    });

    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });

    // Runs `op`, waits until `expected` (name -> count of `event`) arrived,
    // then a little more, and checks the exact counts everywhere and that the
    // broker saw exactly `messages` messages.
    async function expectExactly(event, expected, op, messages = 1) {
      const before = published.length;
      const count = (name) => got[name].filter((e) => e[0] === event).length;
      await op();
      await until(
        () => Object.entries(expected).every(([n, c]) => count(n) >= c),
        `${event}: ${JSON.stringify(expected)}`,
      );
      await sleep(SETTLE_MS);
      for (const name of Object.keys(sockets))
        assert.equal(count(name), expected[name] ?? 0, `${name} got ${count(name)} "${event}"`);
      assert.equal(published.length - before, messages, `broker messages for "${event}"`);
    }

    it("an /api/emit to a room on one node reaches its members on every node once", async () => {
      await expectExactly("api_room", { a0: 1, a1: 1, a2: 1 }, async () => {
        const r = await apiEmit(nodes[1].url, { room: "r", event: "api_room", data: { n: 1 } });
        assert.equal(r.status, 200);
      });
      assert.deepEqual(got.a2.find((e) => e[0] === "api_room"), ["api_room", { n: 1 }]);
      if (kind === "redis") assert.equal(published.at(-1).channel, "socket.io#/#r#");
      else assert.equal(published.at(-1).channel, "socket.io./.broadcast");
    });

    it("a client's to_room and broadcast reach every node, the sender excluded", async () => {
      await expectExactly("hello", { a1: 1, a2: 1 }, () => sockets.a0.emitWithAck("to_room", "r", "hello", 1));
      const everyoneBut = (skip) => Object.fromEntries(Object.keys(sockets).filter((n) => n !== skip).map((n) => [n, 1]));
      await expectExactly("shout", everyoneBut("b1"), () => sockets.b1.emitWithAck("broadcast", "shout", "x"));
      assert.deepEqual(got.alice2.find((e) => e[0] === "shout"), ["shout", "x"]);
    });

    it("except works across nodes", async () => {
      await expectExactly("not_r", { b0: 1, b1: 1, b2: 1, alice0: 1, alice2: 1 }, async () => {
        const r = await apiEmit(nodes[2].url, { broadcast: true, except: ["r"], event: "not_r" });
        assert.equal(r.status, 200);
      });
      if (kind === "redis") assert.equal(published.at(-1).channel, "socket.io#/#");
    });

    it("a user connected to two nodes gets a notification on both", async () => {
      await expectExactly("note", { alice0: 1, alice2: 1 }, async () => {
        const r = await apiEmit(nodes[1].url, { user: "alice", event: "note", data: "hi" });
        assert.equal(r.status, 200);
      });
    });

    it("socketsJoin / socketsLeave issued on one node act on every node", async () => {
      // Every member of "r" (one per node) joins "r2"; the request is one message.
      const before = published.length;
      assert.equal(await sockets.b0.emitWithAck("sockets_join", "r", "r2"), true);
      await until(() => published.length > before, "the join request on the broker");
      await sleep(SETTLE_MS);
      assert.equal(published.length - before, 1);
      if (kind === "redis") assert.equal(published.at(-1).channel, "socket.io-request#/#");
      else assert.equal(published.at(-1).channel, "socket.io./.request");
      await expectExactly("in_r2", { a0: 1, a1: 1, a2: 1 }, () =>
        apiEmit(nodes[2].url, { room: "r2", event: "in_r2" }),
      );
      const before2 = published.length;
      assert.equal(await sockets.b2.emitWithAck("sockets_leave", "r", "r2"), true);
      await until(() => published.length > before2, "the leave request on the broker");
      await sleep(SETTLE_MS);
      await expectExactly("in_r2_again", {}, () => apiEmit(nodes[0].url, { room: "r2", event: "in_r2_again" }));
    });

    it("a burst from every node arrives complete and without duplicates", async () => {
      const N = 20;
      const expected = { a0: 3 * N, a1: 3 * N, a2: 3 * N };
      await expectExactly(
        "burst",
        expected,
        () =>
          Promise.all(
            [0, 1, 2].flatMap((i) =>
              Array.from({ length: N }, (_, k) => apiEmit(nodes[i].url, { room: "r", event: "burst", data: [i, k] })),
            ),
          ),
        3 * N,
      );
      // Each (node, k) exactly once at every member.
      for (const name of ["a0", "a1", "a2"]) {
        const keys = got[name].filter((e) => e[0] === "burst").map((e) => JSON.stringify(e[1]));
        assert.equal(new Set(keys).size, 3 * N, name);
      }
    });

    it("disconnectSockets issued on one node disconnects the room's sockets on every node", async () => {
      const kicked = await Promise.all(nodes.map((n) => connect(n.url)));
      for (const k of kicked) assert.equal(await k.emitWithAck("join", "kick"), true);
      const reasons = kicked.map((k) => once(k, "disconnect").then((a) => (Array.isArray(a) ? a[0] : a)));
      const before = published.length;
      assert.equal(await sockets.b1.emitWithAck("disconnect_sockets", "kick"), true);
      assert.deepEqual(await Promise.all(reasons), ["io server disconnect", "io server disconnect", "io server disconnect"]);
      await sleep(SETTLE_MS);
      assert.equal(published.length - before, 1);
      for (const name of Object.keys(sockets)) assert.ok(sockets[name].connected, `${name} still connected`);
    });

    it("garbage from the broker is counted as bad on every node, never fatal", async () => {
      const badOf = async (n) => {
        const text = await (await fetch(`${n.url}/metrics`)).text();
        const m = /^switchboard_broker_bad_total\{broker="cluster"\} (\d+)$/m.exec(text);
        assert.ok(m, "switchboard_broker_bad_total in /metrics");
        return Number(m[1]);
      };
      const before = await Promise.all(nodes.map(badOf));
      const [bch, rch] =
        kind === "redis" ? ["socket.io#/#", "socket.io-request#/#"] : ["socket.io./.broadcast", "socket.io./.request"];
      await publishRaw(bch, "not msgpack");
      await publishRaw(bch, Buffer.from([0x93, 0xa1, 0x78])); // truncated [uid, ...]
      await publishRaw(rch, "{not json");
      await until(
        async () => (await Promise.all(nodes.map(badOf))).every((b, i) => b >= before[i] + 3),
        "3 bad messages on every node",
      );
      await expectExactly("still_alive", { a0: 1, a1: 1, a2: 1 }, () =>
        apiEmit(nodes[0].url, { room: "r", event: "still_alive" }),
      );
    });
  });
}
