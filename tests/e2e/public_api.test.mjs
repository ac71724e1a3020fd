// The public C++ API (include/switchboard/) end to end: sb-public-api-server
// (tests/public_api/server.cpp) registers one handler per feature; the
// official socket.io-client and eventsource drive them. CTest passes the
// program's path as SB_PUBLIC_API_BIN.
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { io } from "socket.io-client";
import { connect, connectError, once, sleep, startServer, waitFor as until } from "./lib/server.mjs";
import { openSource, record } from "./lib/sse.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.SB_PUBLIC_API_BIN || path.resolve(here, "../../build/sb-public-api-server");
const SECRET = "public-api-secret";
const token = (sub) => jwt.sign({ sub }, SECRET, { expiresIn: 60 });

let server;
const sockets = [];

async function client(opts = {}, nsp = "") {
  const s = await connect(server.url + nsp, opts);
  sockets.push(s);
  return s;
}


before(async () => {
  server = await startServer(
    `
[auth]
allow_anonymous = true
jwt_secret = "${SECRET}"

[dashboard]
enabled = false

[[sse.streams]]
name = "news"
access = "public"
`,
    { bin: BIN },
  );
});

after(async () => {
  for (const s of sockets) s.close();
  await server?.stop(); // throws unless the program exited cleanly (status 0)
});

describe("client handlers", () => {
  it("acks with the handler's return value, and runs connection hooks", async () => {
    // Listening before the connection is up: the hook emits right after CONNECT.
    const s = io(server.url, { forceNew: true, reconnection: false, auth: { token: token("u1") } });
    sockets.push(s);
    const welcome = once(s, "welcome");
    const w = await welcome;
    assert.deepEqual(w, { id: s.id, user: "u1" });
    assert.equal(await s.emitWithAck("sum", [1, 2, 3]), 6);
  });

  it("gives the handler the event, every argument, attachments and wants_ack", async () => {
    const s = await client();
    const r = await s.emitWithAck("args", { a: 1 }, "two", Buffer.from([1, 2, 3]));
    assert.equal(r.event, "args");
    assert.deepEqual(r.args.slice(0, 2), [{ a: 1 }, "two"]);
    assert.equal(r.args.length, 3);
    assert.equal(r.attachments, 1);
    assert.equal(r.wants_ack, true);
  });

  it("answers from another thread through Reply, and fails through it", async () => {
    const s = await client();
    assert.equal(await s.emitWithAck("async_sum", [40, 2]), 42);
    const ex = once(s, "exception");
    s.emit("async_sum", "not an array");
    const e = await ex;
    assert.equal(e.message, "expected an array of integers");
    assert.deepEqual(e.cause, { pattern: "async_sum", data: "not an array" });
    assert.equal(await s.emitWithAck("async_sum", [1, 1]), 2);
  });

  it("turns WsException into the exception event, with its payload when given", async () => {
    const s = await client();
    let ex = once(s, "exception");
    s.emit("sum", "x");
    assert.deepEqual(await ex, {
      status: "error",
      message: "expected an array of integers",
      cause: { pattern: "sum", data: "x" },
    });
    ex = once(s, "exception");
    s.emit("ws_payload");
    assert.deepEqual(await ex, { code: 42 });
    ex = once(s, "exception");
    s.emit("boom", 1);
    const e = await ex;
    assert.equal(e.message, "Internal server error");
    assert.equal(await s.emitWithAck("sum", [2]), 2); // still served
  });
});

describe("guards and interceptors", () => {
  it("runs the guard, then the interceptors in order, then the handler", async () => {
    const s = await client();
    assert.deepEqual(await s.emitWithAck("trace"), ["guard", "first", "second"]);
  });

  it("refuses an event its guard says no to with Forbidden resource", async () => {
    const plain = await client();
    const ex = once(plain, "exception");
    plain.emit("admin_only", {});
    const e = await ex;
    assert.equal(e.message, "Forbidden resource");
    assert.deepEqual(e.cause, { pattern: "admin_only", data: {} });
    const admin = await client({ auth: { admin: true } });
    assert.equal(await admin.emitWithAck("admin_only"), "welcome, admin");
  });

  it("lets an interceptor stop a call with a WsException", async () => {
    const s = await client();
    const ex = once(s, "exception");
    s.emit("intercepted");
    assert.equal((await ex).message, "stopped by an interceptor");
  });

  it("refuses a handshake its connection guard rejects, with the guard's message", async () => {
    const err = await connectError(`${server.url}/admin`, { auth: { key: "wrong" } });
    assert.equal(err.message, "bad key");
    const s = await client({ auth: { key: "letmein", token: token("root") } }, "/admin");
    assert.deepEqual(await s.emitWithAck("whoami"), { nsp: "/admin", user: "root" });
  });
});

describe("rooms, users and broadcasts", () => {
  it("socket.to(room) reaches the room's other members only", async () => {
    const a = await client();
    const b = await client();
    const c = await client();
    assert.ok((await a.emitWithAck("join", "r1")).includes("r1"));
    await b.emitWithAck("join", "r1");
    const gotA = [];
    const gotB = [];
    const gotC = [];
    a.on("shout", (t) => gotA.push(t));
    b.on("shout", (t) => gotB.push(t));
    c.on("shout", (t) => gotC.push(t));
    a.emit("shout", { room: "r1", text: "hey" });
    await until(() => gotB.length === 1, "b's shout");
    // A later round trip on a and c: anything addressed to them would be in by now.
    await a.emitWithAck("sum", [0]);
    await c.emitWithAck("sum", [0]);
    assert.deepEqual(gotB, ["hey"]);
    assert.deepEqual(gotA, []);
    assert.deepEqual(gotC, []);
  });

  it("notify_user reaches every socket of that user and no one else", async () => {
    const u1 = await client({ auth: { token: token("n1") } });
    const u2 = await client({ auth: { token: token("n1") } });
    const other = await client({ auth: { token: token("n2") } });
    const got = { u1: [], u2: [], other: [] };
    u1.on("note", (d) => got.u1.push(d));
    u2.on("note", (d) => got.u2.push(d));
    other.on("note", (d) => got.other.push(d));
    other.emit("notify", { user: "n1", data: { hi: 1 } });
    await until(() => got.u1.length === 1 && got.u2.length === 1, "both sockets of n1");
    await other.emitWithAck("sum", [0]);
    assert.deepEqual(got.u1, [{ hi: 1 }]);
    assert.deepEqual(got.other, []);
  });
});

describe("bus, events and SSE", () => {
  it("bus().request reaches a bus().on handler and its value comes back", async () => {
    const s = await client();
    assert.equal(await s.emitWithAck("bus_sum", [5, 6]), 11);
    const ex = once(s, "exception");
    s.emit("bus_sum", "x"); // the bus handler throws: the request gets the error
    const e = await ex;
    assert.match(e.message, /expected an array of integers/);
  });

  it("events().emit reaches events().on handlers", async () => {
    const s = await client();
    const got = [];
    s.on("app-event", (e) => got.push(e));
    assert.equal(await s.emitWithAck("emit_event", { n: 1 }), 1);
    await until(() => got.length === 1, "app-event");
    assert.deepEqual(got[0], { name: "app.ping", payload: { n: 1 } });
  });

  it("sse().publish reaches an EventSource with the id it returned", async () => {
    const es = openSource(`${server.url}/sse/news`);
    const got = record(es, ["headline"]);
    await new Promise((r) => es.addEventListener("open", r, { once: true }));
    const s = await client();
    const r = await s.emitWithAck("sse", { title: "hi" });
    assert.equal(r.ok, true);
    await got.count("headline", 1);
    es.close();
    assert.deepEqual(JSON.parse(got[0].data), { title: "hi" });
    assert.equal(got[0].id, r.id);
  });
});
