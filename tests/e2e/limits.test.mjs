// [limits] over the wire: each limit set small on its own server, hit with the
// real clients; each refusal is the documented one and is counted in
// switchboard_limit_rejected_total. Also engineio.allowed_origins.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { connect, metric, namespace, once, startServer, waitFor } from "./lib/server.mjs";

const anon = `
[auth]
allow_anonymous = true
${namespace("/")}
`;

function polling(url) {
  return fetch(`${url}/socket.io/?EIO=4&transport=polling`);
}

// The status and JSON body of a refused WebSocket handshake.
function wsRefusal(url) {
  return new Promise((resolve, reject) => {
    const w = new WebSocket(`${url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`);
    w.on("open", () => (w.close(), reject(new Error("opened"))));
    w.on("error", () => {});
    w.on("unexpected-response", (req, res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    });
  });
}

const rejected = (url, limit) => metric(url, "switchboard_limit_rejected_total", `limit="${limit}"`);

describe("limits.max_connections", () => {
  let server;
  before(async () => {
    server = await startServer(`[limits]\nmax_connections = 2\n${anon}`);
  });
  after(() => server.stop());

  it("refuses a session over the cap with 503 and Engine.IO's error JSON, then admits again", async () => {
    const a = await connect(server.url, { transports: ["websocket"] });
    const b = await connect(server.url);
    const r = await polling(server.url);
    assert.equal(r.status, 503);
    assert.equal(r.headers.get("retry-after"), "1");
    assert.deepEqual(await r.json(), { code: 4, message: "Too many connections" });
    assert.deepEqual(await wsRefusal(server.url), {
      status: 503,
      body: { code: 4, message: "Too many connections" },
    });
    assert.equal(await rejected(server.url, "connections"), 2);
    a.disconnect();
    // The freed place is taken again (the close reaches the server asynchronously).
    const c = await waitFor(() => connect(server.url, { transports: ["websocket"] }).catch(() => null), "a free place");
    c.emit("message", 1);
    assert.equal(await once(c, "message-back"), 1);
    b.disconnect();
    c.disconnect();
  });
});

describe("limits.max_connections_per_ip", () => {
  let server;
  before(async () => {
    server = await startServer(`[limits]\nmax_connections_per_ip = 2\n${anon}`);
  });
  after(() => server.stop());

  it("refuses a third session from the same address with 429", async () => {
    const a = await connect(server.url, { transports: ["websocket"] });
    const b = await connect(server.url, { transports: ["websocket"] });
    const r = await polling(server.url);
    assert.equal(r.status, 429);
    assert.deepEqual(await r.json(), { code: 4, message: "Too many connections from this address" });
    const err = await new Promise((resolve) => {
      const s = connect(server.url, { transports: ["websocket"] });
      s.then(() => resolve(null), resolve);
    });
    assert.ok(err, "socket.io-client must get a connect_error");
    assert.ok((await rejected(server.url, "connections_per_ip")) >= 2);
    a.disconnect();
    b.disconnect();
  });
});

describe("limits.handshakes_per_second", () => {
  let server;
  before(async () => {
    server = await startServer(`[limits]\nhandshakes_per_second = 1\nhandshake_burst = 3\n${anon}`);
  });
  after(() => server.stop());

  it("lets a burst through, refuses the next with 429 and recovers at the configured rate", async () => {
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await polling(server.url)).status);
    assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
    assert.ok(statuses.includes(429), statuses.join(","));
    const r = await polling(server.url);
    if (r.status === 429) assert.deepEqual(await r.json(), { code: 4, message: "Too many handshakes" });
    // Over a WebSocket too (a token that came back meanwhile is spent by the try).
    const ws = await waitFor(() => wsRefusal(server.url).catch(() => null), "a refused WebSocket");
    assert.deepEqual(ws, { status: 429, body: { code: 4, message: "Too many handshakes" } });
    assert.ok((await rejected(server.url, "handshake_rate")) >= 1);
    // Tokens come back (one a second): a handshake succeeds again.
    await waitFor(async () => (await polling(server.url)).status === 200, "a refilled token");
  });
});

describe("per-socket limits", () => {
  let server;
  before(async () => {
    server = await startServer(`[limits]
max_rooms_per_socket = 3
max_name_bytes = 16
max_pending_acks = 2
${anon}`);
  });
  after(() => server.stop());

  it("max_rooms_per_socket: a join over the limit is answered with an error", async () => {
    const s = await connect(server.url, { transports: ["websocket"] });
    for (const room of ["r1", "r2", "r3"]) assert.equal(await s.emitWithAck("join", room), true);
    assert.deepEqual(await s.emitWithAck("join", "r4"), { error: "too many rooms" });
    assert.equal(await s.emitWithAck("join", "r1"), true); // already in: not a new room
    assert.equal(await s.emitWithAck("leave", "r3"), true);
    assert.equal(await s.emitWithAck("join", "r4"), true);
    assert.equal(await rejected(server.url, "rooms"), 1);
    s.disconnect();
  });

  it("max_name_bytes: long room and event names are refused", async () => {
    const s = await connect(server.url, { transports: ["websocket"] });
    assert.deepEqual(await s.emitWithAck("join", "x".repeat(17)), { error: "room name too long" });
    assert.equal(await s.emitWithAck("join", "x".repeat(16)), true);
    assert.deepEqual(await s.emitWithAck("e".repeat(17), 1), {
      error: "name_too_long",
      message: "event name too long",
    });
    // Without an ack: an `exception` event says why.
    s.emit("f".repeat(40), 1);
    const ex = await once(s, "exception");
    assert.equal(ex.code, "name_too_long");
    assert.equal(ex.message, "event name too long");
    // to_room with a long room: the handler's error.
    s.emit("to_room", "y".repeat(17), "ev");
    assert.equal((await once(s, "exception")).message, "room name too long");
    assert.equal(await rejected(server.url, "name_length"), 4);
    s.disconnect();
  });

  it("max_pending_acks: a server emit over the limit fails at once", async () => {
    const s = await connect(server.url, { transports: ["websocket"] });
    let asked = 0;
    s.on("silent", () => asked++); // never acknowledges
    const first = s.emitWithAck("server_ack", "silent", 60000);
    const second = s.emitWithAck("server_ack", "silent", 60000);
    await waitFor(() => asked === 2, "two server emits");
    assert.deepEqual(await s.emitWithAck("server_ack", "silent", 60000), {
      ok: false,
      error: "too many pending acks",
    });
    assert.equal(await rejected(server.url, "pending_acks"), 1);
    s.disconnect(); // the two pending ones end with "socket disconnected"
    void first.catch(() => {});
    void second.catch(() => {});
  });
});

describe("limits.events_per_second", () => {
  let server;
  before(async () => {
    server = await startServer(`[limits]\nevents_per_second = 1\nevent_burst = 3\n${anon}`);
  });
  after(() => server.stop());

  it("answers events over the rate with an ack error, or one exception event", async () => {
    const s = await connect(server.url, { transports: ["websocket"] });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => s.emitWithAck("message-with-ack", i)));
    const ok = answers.filter((a) => typeof a === "number");
    const limited = answers.filter((a) => a && a.error === "rate_limited");
    assert.ok(ok.length >= 3, JSON.stringify(answers));
    assert.equal(ok.length + limited.length, 20);
    assert.ok(limited.length >= 1);
    assert.deepEqual(limited[0], { error: "rate_limited", message: "too many events" });
    // Fire-and-forget events over the rate: one exception for the run, not one per event.
    let exceptions = 0;
    s.on("exception", (e) => {
      assert.equal(e.code, "rate_limited");
      exceptions++;
    });
    for (let i = 0; i < 20; i++) s.emit("message", i);
    await waitFor(() => exceptions >= 1, "the exception event");
    // Rate comes back: an event is handled again.
    await waitFor(async () => typeof (await s.emitWithAck("message-with-ack", 7)) === "number", "a token");
    assert.ok(exceptions <= 2, `${exceptions} exception events for one run`);
    assert.ok((await rejected(server.url, "event_rate")) >= limited.length + 1);
    s.disconnect();
  });
});

describe("engineio.allowed_origins", () => {
  let server;
  before(async () => {
    server = await startServer(`[engineio]\nallowed_origins = ["https://app.example"]\n${anon}`);
  });
  after(() => server.stop());

  it("refuses other sites' pages with 403 (polling and WebSocket), admits the listed one", async () => {
    const r = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: "https://evil.example" },
    });
    assert.equal(r.status, 403);
    assert.deepEqual(await r.json(), { code: 4, message: "Forbidden" });
    const refused = await new Promise((resolve, reject) => {
      const w = new WebSocket(`${server.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`, {
        origin: "https://evil.example",
      });
      w.on("open", () => (w.close(), reject(new Error("opened"))));
      w.on("error", () => {});
      w.on("unexpected-response", (req, res) => resolve(res.statusCode));
    });
    assert.equal(refused, 403);
    const ok = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: "https://app.example" },
    });
    assert.equal(ok.status, 200);
    // The browser's origin over both transports, through socket.io-client.
    const s = await connect(server.url, { extraHeaders: { origin: "https://app.example" } });
    s.emit("message", "hi");
    assert.equal(await once(s, "message-back"), "hi");
    s.disconnect();
    // Programs that send no Origin are not what this guards against: admitted.
    const plain = await connect(server.url, { transports: ["websocket"] });
    plain.disconnect();
  });
});
