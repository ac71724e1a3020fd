// The inter-service gateway with real brokers and real npm clients: a NestJS
// service (@nestjs/microservices over Redis and NATS) and a Node service
// using @socket.io/redis-emitter reach socket.io-client users through
// Switchboard, and Switchboard's clients reach NestJS handlers. Real
// redis-server and nats-server processes, started on free ports here.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";
import { connect, sleep, startServer, waitFor as until } from "./lib/server.mjs";
import { startNats, startRedis } from "./lib/brokers.mjs";
import { nestClient, startNestService, Transport } from "./lib/nest.mjs";

const SECRET = "e2e-secret";
const token = (sub) => jwt.sign({ sub }, SECRET, { expiresIn: 60 });
const cleanup = [];
let redis, nats, server;
const nestEvents = { redis: [], nats: [] };

async function metricsText() {
  return (await fetch(`${server.url}/metrics`)).text();
}
async function metric(name, labels) {
  const text = await metricsText();
  const m = new RegExp(`^${name}\\{${labels}\\} (\\d+)$`, "m").exec(text);
  assert.ok(m, `${name}{${labels}} in /metrics`);
  return Number(m[1]);
}
async function readyz() {
  const r = await fetch(`${server.url}/readyz`);
  return { status: r.status, body: await r.json() };
}
// A node-redis client that survives the outage test (errors are expected
// while the server is down) and is closed at the end.
async function redisClient() {
  const c = createClient({ url: `redis://127.0.0.1:${redis.port}` });
  c.on("error", () => {});
  await c.connect();
  cleanup.push(() => c.destroy());
  return c;
}

// Collects every `event` a socket receives.
function collect(socket, event) {
  const got = [];
  socket.on(event, (...args) => got.push(args.length === 1 ? args[0] : args));
  // Not enumerable: deepEqual compares the events only.
  Object.defineProperty(got, "count", {
    value: (n, what = event) => until(() => got.length >= n, `${n} "${what}"`),
  });
  return got;
}

before(async () => {
  [redis, nats] = await Promise.all([startRedis(), startNats()]);
  cleanup.push(() => redis.stop(), () => nats.stop());
  server = await startServer(`
[auth]
allow_anonymous = true
jwt_secret = "${SECRET}"
[api]
keys = ["test-key"]
[[socketio.namespaces]]
name = "/"
[socketio.namespaces.events]
join = "join"

[[brokers]]
name = "redis"
kind = "redis"
url = "redis://127.0.0.1:${redis.port}"
emitter_prefix = "socket.io"
bus = ["audit.>"]
request_timeout_ms = 2000

[[brokers]]
name = "nats"
kind = "nats"
url = "nats://127.0.0.1:${nats.port}"
request_timeout_ms = 2000

# A NestJS emit of user.created notifies the user named in the payload.
[[routes]]
from = "broker:user.created"
to = "user:{data.id}"
event = "new_notification"

[[routes]]
from = "broker:orders.*"
broker = "nats"
to = "room:orders"
event = "{event}"

# Client events to NestJS handlers: with the reply as the ack, or as events.
[[routes]]
from = "client:math.sum"
to = "broker:math.sum"
reply = true

[[routes]]
from = "client:math.sum"
broker = "nats"
to = "broker:math.sum"
reply = true
namespace = "/nats"

[[routes]]
from = "client:chat.send"
to = "broker:chat.messages"
include_sender = true

[[routes]]
from = "client:chat.send"
broker = "nats"
to = "broker:chat.messages"
namespace = "/nats"
include_sender = true

# Bus events fed by the Redis broker (bus = ["audit.>"]) and by serverSideEmit.
[[routes]]
from = "bus:audit.**"
to = "room:auditors"
event = "audit"

[[routes]]
from = "bus:ping"
to = "room:pingers"
event = "pong"

[[socketio.namespaces]]
name = "/nats"
`);
  cleanup.push(() => server.stop());
  for (const [name, t, port] of [
    ["redis", Transport.REDIS, redis.port],
    ["nats", Transport.NATS, nats.port],
  ]) {
    const app = await startNestService(t, port, {
      "math.sum": { kind: "message", fn: (d) => d.reduce((a, x) => a + x, 0) },
      "chat.messages": { kind: "event", fn: (d) => void nestEvents[name].push(d) },
    });
    cleanup.push(() => app.close());
  }
  await until(async () => (await readyz()).status === 200, "both brokers up");
});

after(async () => {
  // Each step bounded: a client of a broker that was restarted may wait forever.
  for (const f of cleanup.reverse()) {
    let t;
    const bounded = new Promise((r) => (t = setTimeout(() => r(`cleanup step timed out: ${f}`), 3000)));
    const r = await Promise.race([Promise.resolve().then(f).catch(() => {}), bounded]);
    clearTimeout(t);
    if (typeof r === "string" && r.startsWith("cleanup")) console.error(r);
  }
});

for (const [name, t] of [
  ["redis", Transport.REDIS],
  ["nats", Transport.NATS],
]) {
  describe(`NestJS over ${name}`, () => {
    const port = () => (name === "redis" ? redis.port : nats.port);

    it("delivers a Nest emit() to the user's sockets through a route", async () => {
      if (name === "nats") {
        // orders.* is routed from the NATS broker to the "orders" room.
        const s = await connect(server.url);
        cleanup.push(() => s.close());
        await s.emitWithAck("join", "orders");
        const got = collect(s, "orders.placed");
        const client = await nestClient(t, port());
        cleanup.push(() => client.close());
        await client.emit("orders.placed", { id: 7 });
        await got.count(1);
        assert.deepEqual(got, [{ id: 7 }]);
        return;
      }
      const alice = await connect(server.url, { auth: { token: token("42") } });
      const bob = await connect(server.url, { auth: { token: token("43") } });
      cleanup.push(() => alice.close(), () => bob.close());
      const a = collect(alice, "new_notification");
      const b = collect(bob, "new_notification");
      const client = await nestClient(t, port());
      cleanup.push(() => client.close());
      await client.emit("user.created", { id: "42", name: "Alice" });
      await a.count(1);
      await sleep(100);
      assert.deepEqual(a, [{ id: "42", name: "Alice" }]);
      assert.equal(b.length, 0);
    });

    it("answers a Nest send() with the number of deliveries", async () => {
      const client = await nestClient(t, port());
      cleanup.push(() => client.close());
      const pattern = name === "redis" ? "user.created" : "orders.updated";
      assert.deepEqual(await client.send(pattern, { id: "nobody" }), { delivered: 1 });
    });

    it("returns a Nest @MessagePattern handler's answer as the client's ack", async () => {
      const s = await connect(`${server.url}${name === "nats" ? "/nats" : ""}`, {
        auth: { token: token("7") },
      });
      cleanup.push(() => s.close());
      assert.equal(await s.timeout(5000).emitWithAck("math.sum", [1, 2, 3, 4]), 10);
    });

    it("publishes client events to a Nest @EventPattern handler, with the sender", async () => {
      const s = await connect(`${server.url}${name === "nats" ? "/nats" : ""}`, {
        auth: { token: token("alice") },
      });
      cleanup.push(() => s.close());
      const before = nestEvents[name].length;
      const ack = await s.timeout(5000).emitWithAck("chat.send", { text: "hi" });
      assert.deepEqual(ack, { delivered: 1 });
      await until(() => nestEvents[name].length > before, "the Nest event handler");
      assert.deepEqual(nestEvents[name].at(-1), { user: "alice", socket: s.id, data: { text: "hi" } });
    });
  });
}

describe("@socket.io/redis-emitter", () => {
  let emitter, pub;
  before(async () => {
    pub = await redisClient();
    emitter = new Emitter(pub);
  });

  it("reaches rooms, honours except, and carries binary arguments", async () => {
    const a = await connect(server.url);
    const b = await connect(server.url);
    cleanup.push(() => a.close(), () => b.close());
    await a.emitWithAck("join", "room1");
    await b.emitWithAck("join", "room1");
    await b.emitWithAck("join", "muted");
    const ga = collect(a, "hello");
    const gb = collect(b, "hello");
    emitter.to("room1").except("muted").emit("hello", "world", { n: 1 });
    await ga.count(1);
    emitter.to("room1").emit("hello", Buffer.from([1, 2, 3]));
    await ga.count(2);
    await gb.count(1);
    assert.deepEqual(ga[0], ["world", { n: 1 }]);
    assert.deepEqual([...new Uint8Array(ga[1])], [1, 2, 3]);
    assert.deepEqual([...new Uint8Array(gb[0])], [1, 2, 3]);
  });

  it("makes sockets join and leave rooms, and disconnects them", async () => {
    const s = await connect(server.url);
    cleanup.push(() => s.close());
    await s.emitWithAck("join", "lobby");
    const got = collect(s, "news");
    emitter.in("lobby").socketsJoin("vip");
    await sleep(200);
    emitter.to("vip").emit("news", 1);
    await got.count(1);
    emitter.in("lobby").socketsLeave("vip");
    await sleep(200);
    emitter.to("vip").emit("news", 2);
    emitter.to("lobby").emit("news", 3);
    await got.count(2);
    assert.deepEqual(got, [1, 3]);
    const gone = new Promise((resolve) => s.once("disconnect", resolve));
    emitter.in("lobby").disconnectSockets();
    assert.equal(await gone, "io server disconnect");
  });

  it("turns serverSideEmit into a bus event that routes can use", async () => {
    const s = await connect(server.url);
    cleanup.push(() => s.close());
    await s.emitWithAck("join", "pingers");
    const got = collect(s, "pong");
    emitter.serverSideEmit("ping", { n: 5 });
    await got.count(1);
    assert.deepEqual(got, [{ n: 5 }]);
  });
});

describe("the event bus fed by a broker", () => {
  it("turns topics listed in `bus` into bus events", async () => {
    const s = await connect(server.url);
    cleanup.push(() => s.close());
    await s.emitWithAck("join", "auditors");
    const got = collect(s, "audit");
    const client = await nestClient(Transport.REDIS, redis.port);
    cleanup.push(() => client.close());
    await client.emit("audit.login.ok", { who: "ann" });
    await got.count(1);
    assert.deepEqual(got, [{ who: "ann" }]);
  });
});

describe("bad input and outages", () => {
  it("counts bad broker messages and keeps serving", async () => {
    const pub = await redisClient();
    const bad = await metric("switchboard_broker_bad_total", 'broker="redis"');
    await pub.publish("user.created", '{"pattern":[1,2],"data":1}'); // a pattern Nest cannot make
    await pub.publish("socket.io#/#", Buffer.from([0xc1, 0x00, 0xff])); // not msgpack
    await pub.publish("socket.io-request#/#", "{nope");
    await until(async () => (await metric("switchboard_broker_bad_total", 'broker="redis"')) >= bad + 3, "3 bad");
    assert.match(server.logs(), /broker redis: bad message #\d+: handler refused message on 'user.created': invalid pattern/);
    // Still serving.
    const s = await connect(server.url, { auth: { token: token("42") } });
    cleanup.push(() => s.close());
    const got = collect(s, "new_notification");
    await pub.publish("user.created", JSON.stringify({ pattern: "user.created", data: { id: "42" } }));
    await got.count(1);
  });

  it("passes on broker text that is not UTF-8 with U+FFFD for the bad bytes", async () => {
    // Over WebSocket only: the client closes the connection (1007) on a text
    // frame that is not UTF-8.
    const s = await connect(server.url, { transports: ["websocket"] });
    cleanup.push(() => s.close());
    await s.emitWithAck("join", "utf8");
    const got = collect(s, "hello");
    // What @socket.io/redis-emitter publishes for to("utf8").emit("hello", "w\xFFrld"),
    // a msgpack string with a byte that is not UTF-8 (msgpack str is UTF-8 by definition).
    const str = (b) => Buffer.concat([Buffer.from([0xa0 | b.length]), Buffer.from(b)]);
    const raw = (...bytes) => Buffer.from(bytes);
    const msg = Buffer.concat([
      raw(0x93), str("emitter"),
      raw(0x83), str("type"), raw(0x02), str("data"), raw(0x92), str("hello"),
      str(raw(0x77, 0xff, 0x72, 0x6c, 0x64)), str("nsp"), str("/"),
      raw(0x83), str("rooms"), raw(0x91), str("utf8"), str("flags"), raw(0x80), str("except"), raw(0x90),
    ]);
    const pub = await redisClient();
    await pub.publish("socket.io#/#", msg);
    await got.count(1);
    assert.deepEqual(got, ["w\uFFFDrld"]);
    assert.ok(s.connected);
  });

  it("reports a broker outage on /readyz and the metrics, then recovers and delivers", async () => {
    await redis.stop();
    await until(async () => (await readyz()).status === 503, "/readyz 503");
    const down = await readyz();
    assert.equal(down.body.status, "not_ready");
    assert.notEqual(down.body.brokers.redis.state, "up");
    assert.equal(down.body.brokers.nats.state, "up");
    assert.equal(await metric("switchboard_broker_up", 'broker="redis",kind="redis"'), 0);
    // A client request while the broker is down gets an error ack, not silence.
    const s = await connect(server.url, { auth: { token: token("42") } });
    cleanup.push(() => s.close());
    const ack = await s.timeout(5000).emitWithAck("math.sum", [1]);
    assert.ok(ack.error, JSON.stringify(ack));
    await redis.restart();
    await until(async () => (await readyz()).status === 200, "/readyz 200 again", 15000);
    assert.equal(await metric("switchboard_broker_up", 'broker="redis",kind="redis"'), 1);
    assert.ok((await metric("switchboard_broker_reconnects_total", 'broker="redis"')) >= 1);
    const got = collect(s, "new_notification");
    const client = await nestClient(Transport.REDIS, redis.port);
    cleanup.push(() => client.close());
    await client.emit("user.created", { id: "42", after: "restart" });
    await got.count(1);
    assert.deepEqual(got, [{ id: "42", after: "restart" }]);
  });
});
