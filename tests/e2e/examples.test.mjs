// The example programs of examples/ (built on the public C++ API only),
// each started on a free port with a config of the test and driven with the
// official npm clients: socket.io-client, a NestJS ClientProxy over a real
// redis-server, and eventsource. CTest passes the binaries' paths
// (SB_EXAMPLE_<NAME>_BIN); by hand they default to ../../build/example-<name>.
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { connect, connectError, once, sleep, startServer, waitFor as until } from "./lib/server.mjs";
import { startRedis } from "./lib/brokers.mjs";
import { nestClient, Transport } from "./lib/nest.mjs";
import { openSource, record } from "./lib/sse.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const example = (name) =>
  process.env[`SB_EXAMPLE_${name.toUpperCase()}_BIN`] ||
  path.resolve(here, `../../build/example-${name}`);

const SECRET = "examples-e2e-secret";
const token = (sub) => jwt.sign({ sub }, SECRET, { expiresIn: 60 });


// Every `event` a socket receives, in order, with a waiter.
function collect(socket, event) {
  const got = [];
  socket.on(event, (...args) => got.push(args.length > 1 ? args : args[0]));
  got.count = (n, what = `${n} "${event}"`) => until(() => got.length >= n, what);
  return got;
}

// Runs the cleanups, each bounded (a client of a stopped broker may hang).
async function runCleanups(list) {
  for (const f of list.reverse()) {
    let t;
    const bounded = new Promise((r) => (t = setTimeout(r, 3000)));
    await Promise.race([Promise.resolve().then(f).catch(() => {}), bounded]);
    clearTimeout(t);
  }
}

describe("examples/notifications", () => {
  const cleanup = [];
  let redis, server;

  before(async () => {
    redis = await startRedis();
    server = await startServer(
      `
[auth]
jwt_secret = "${SECRET}"

[dashboard]
enabled = false

[[brokers]]
name = "redis"
kind = "redis"
url = "redis://127.0.0.1:${redis.port}"
`,
      { bin: example("notifications") },
    );
    await until(async () => (await fetch(`${server.url}/readyz`)).status === 200, "redis up");
  });
  after(async () => {
    await runCleanups(cleanup);
    try {
      await server?.stop(); // throws unless the example exited cleanly (status 0)
    } finally {
      await redis?.stop();
    }
  });

  it("refuses a client without a JWT", async () => {
    const err = await connectError(server.url);
    assert.match(err.message, /token|jwt|auth/i);
  });

  it("answers get_notifications with the user's (empty) list", async () => {
    const s = await connect(server.url, { auth: { token: token("7") } });
    cleanup.push(() => s.close());
    assert.deepEqual(await s.emitWithAck("get_notifications", {}), { items: [] });
  });

  it("notifies the user of a NestJS user.created emit, live and in get_notifications", async () => {
    const alice = await connect(server.url, { auth: { token: token("42") } });
    const bob = await connect(server.url, { auth: { token: token("43") } });
    cleanup.push(() => alice.close(), () => bob.close());
    const a = collect(alice, "new_notification");
    const b = collect(bob, "new_notification");

    const nest = await nestClient(Transport.REDIS, redis.port);
    cleanup.push(() => nest.close());
    await nest.emit("user.created", { id: "42", name: "Ada" });
    await a.count(1);
    assert.equal(a[0].content.text, "Welcome, Ada!");
    assert.equal(a[0].read, false);

    const list = await alice.emitWithAck("get_notifications", { limit: 10 });
    assert.equal(list.items.length, 1);
    assert.deepEqual(list.items[0], a[0]);
    assert.deepEqual(await bob.emitWithAck("get_notifications", {}), { items: [] });

    assert.deepEqual(await alice.emitWithAck("mark_read", { ids: [a[0].id] }), { updated: 1 });
    assert.deepEqual(await alice.emitWithAck("get_notifications", { unread_only: true }), {
      items: [],
    });
    // Bob's socket got nothing meanwhile: a later emit to him arrives first.
    await nest.emit("user.created", { id: 43, name: "Bob" });
    await b.count(1);
    assert.equal(b[0].content.text, "Welcome, Bob!");
  });

  it("turns a bad query into the exception event (WsException) and keeps serving", async () => {
    const s = await connect(server.url, { auth: { token: token("7") } });
    cleanup.push(() => s.close());
    const ex = once(s, "exception");
    s.emit("get_notifications", { limit: 1000 });
    const e = await ex;
    assert.equal(e.status, "error");
    assert.equal(e.message, "limit must be an integer in 1..100");
    assert.deepEqual(e.cause, { pattern: "get_notifications", data: { limit: 1000 } });
    assert.deepEqual(await s.emitWithAck("get_notifications", { limit: 1 }), { items: [] });
  });
});

describe("examples/chat", () => {
  const cleanup = [];
  let server;

  before(async () => {
    server = await startServer(
      `
[auth]
jwt_secret = "${SECRET}"

[dashboard]
enabled = false
`,
      { bin: example("chat") },
    );
  });
  after(async () => {
    await runCleanups(cleanup);
    await server?.stop(); // throws unless the example exited cleanly (status 0)
  });

  it("keeps rooms and presence, and delivers messages to the room only", async () => {
    const ann = await connect(server.url, { auth: { token: token("ann") } });
    const ben = await connect(server.url, { auth: { token: token("ben") } });
    const cat = await connect(server.url, { auth: { token: token("cat") } });
    cleanup.push(() => ann.close(), () => ben.close(), () => cat.close());
    const annPresence = collect(ann, "presence");
    const annMessages = collect(ann, "message");
    const catMessages = collect(cat, "message");

    assert.deepEqual(await ann.emitWithAck("join", { room: "lobby" }), {
      room: "lobby",
      members: ["ann"],
    });
    assert.deepEqual(await ben.emitWithAck("join", { room: "lobby" }), {
      room: "lobby",
      members: ["ann", "ben"],
    });
    await cat.emitWithAck("join", { room: "other" });
    await annPresence.count(2); // her own join, then ben's
    assert.deepEqual(annPresence[1], { room: "lobby", user: "ben", online: true, members: ["ann", "ben"] });

    const benMessages = collect(ben, "message");
    const ack = await ben.emitWithAck("message", { room: "lobby", text: "hi all" });
    assert.equal(typeof ack.id, "number");
    await annMessages.count(1);
    await benMessages.count(1); // the sender sees it too
    assert.deepEqual(annMessages[0], { id: ack.id, room: "lobby", user: "ben", text: "hi all" });

    // cat is not in the lobby: the guard refuses, and cat got no lobby message.
    const ex = once(cat, "exception");
    cat.emit("message", { room: "lobby", text: "let me in" });
    assert.equal((await ex).message, "Forbidden resource");
    await cat.emitWithAck("message", { room: "other", text: "alone" });
    await catMessages.count(1);
    assert.deepEqual(
      catMessages.map((m) => m.room),
      ["other"],
    );

    // ben leaves by disconnecting: ann sees him go.
    ben.close();
    await until(() => annPresence.some((p) => p.user === "ben" && !p.online), "ben offline");
    assert.deepEqual(await ann.emitWithAck("who", { room: "lobby" }), { room: "lobby", members: ["ann"] });
  });

  it("answers bad input with the exception event", async () => {
    const s = await connect(server.url, { auth: { token: token("dan") } });
    cleanup.push(() => s.close());
    const ex = once(s, "exception");
    s.emit("join", { room: "x".repeat(100) });
    assert.equal((await ex).message, "room: 1 to 64 characters");
    assert.deepEqual(await s.emitWithAck("join", { room: "ok" }), { room: "ok", members: ["dan"] });
  });
});

describe("examples/metrics_feed", () => {
  const cleanup = [];
  let server;

  before(async () => {
    server = await startServer(
      `
[auth]
allow_anonymous = true

[dashboard]
enabled = false

[[sse.streams]]
name = "stats"
access = "public"
`,
      { bin: example("metrics_feed") },
    );
  });
  after(async () => {
    await runCleanups(cleanup);
    await server?.stop(); // throws unless the example exited cleanly (status 0)
  });

  it("streams samples over SSE that count the tracked events and connections", async () => {
    const es = openSource(`${server.url}/sse/stats`);
    cleanup.push(() => es.close());
    const got = record(es, ["sample"]);
    await got.count("sample", 1);

    const s = await connect(server.url);
    cleanup.push(() => s.close());
    assert.deepEqual(await s.emitWithAck("track", { name: "signup" }), { count: 1 });
    assert.deepEqual(await s.emitWithAck("track", { name: "signup" }), { count: 2 });
    assert.deepEqual(await s.emitWithAck("track", { name: "login" }), { count: 1 });

    const last = () => JSON.parse(got[got.length - 1].data);
    await got.until(() => last().total === 3 && last().connections === 1, 10000, "a sample with the events");
    assert.deepEqual(last().tracked, { login: 1, signup: 2 });
    // Ids increase; each sample's seq is one more than the one before.
    const seqs = got.map((e) => JSON.parse(e.data).seq);
    for (let i = 1; i < seqs.length; ++i) assert.equal(seqs[i], seqs[i - 1] + 1);

    s.close();
    await got.until(() => last().connections === 0, 10000, "the socket gone");
  });

  it("resumes from Last-Event-ID", async () => {
    const first = openSource(`${server.url}/sse/stats`);
    const a = record(first, ["sample"]);
    await a.count("sample", 2);
    first.close();
    const lastId = a[1].id;
    const seq = JSON.parse(a[1].data).seq;
    const again = openSource(`${server.url}/sse/stats`, { headers: { "Last-Event-ID": lastId } });
    cleanup.push(() => again.close());
    const b = record(again, ["sample"]);
    await b.count("sample", 1);
    assert.equal(JSON.parse(b[0].data).seq, seq + 1); // nothing missed, nothing repeated
  });

  it("refuses a bad track with the exception event", async () => {
    const s = await connect(server.url);
    cleanup.push(() => s.close());
    const ex = once(s, "exception");
    s.emit("track", { name: 5 });
    assert.equal((await ex).message, "expected {name: string of 1 to 64 characters}");
  });
});
