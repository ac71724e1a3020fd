// The HTTP server API over real HTTP against the binary, with socket.io-client
// sockets on the other end: every /api endpoint, its error cases, and the
// binary's client commands (emit, api, token).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { BIN, connect, freePort, namespace, once, sleep, startServer } from "./lib/server.mjs";

const SECRET = "api-test-secret";
const KEY = "test-key";
let server;

before(async () => {
  server = await startServer(`
[engineio]
max_payload = 16384
[auth]
allow_anonymous = true
jwt_secret = "${SECRET}"
[api]
keys = ["${KEY}"]
[sse]
history_size = 5
[[sse.streams]]
name = "news"
[[sse.streams]]
name = "quiet"
${namespace("/")}
${namespace("/chat")}
`);
});
after(async () => {
  const r = await server.stop();
  assert.equal(r.code, 0, server.logs());
});

async function api(method, p, body, { key = KEY, headers = {} } = {}) {
  const h = { ...headers };
  if (key !== null) h["x-api-key"] = key;
  if (body !== undefined) h["content-type"] = "application/json";
  const r = await fetch(`${server.url}${p}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, body: json };
}

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error.code, code, JSON.stringify(r.body));
  assert.equal(typeof r.body.error.message, "string");
}

const token = (sub) => jwt.sign({ sub }, SECRET, { expiresIn: 60 });
const userSocket = (sub, opts = {}) => connect(opts.nsp ? `${server.url}${opts.nsp}` : server.url, { auth: { token: token(sub) } });

// Collects `event` arguments per socket.
function collect(sockets, event) {
  const got = sockets.map(() => []);
  sockets.forEach((s, i) => s.on(event, (...a) => got[i].push(a)));
  return got;
}

// socket.io-client passes (reason, details) to "disconnect"; `once` gives both then.
const reasonOf = (v) => (Array.isArray(v) ? v[0] : v);

function run(args, env = {}) {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { ...process.env, ...env }, timeout: 15000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("authentication and routing", () => {
  it("refuses a missing or wrong key with 401 on every endpoint", async () => {
    for (const [m, p] of [
      ["POST", "/api/emit"],
      ["POST", "/api/broadcast"],
      ["POST", "/api/batch"],
      ["POST", "/api/disconnect"],
      ["GET", "/api/presence"],
      ["GET", "/api/presence/stats"],
      ["GET", "/api/presence/42"],
      ["GET", "/api/rooms"],
      ["GET", "/api/node"],
      ["GET", "/api/sse/news"],
    ]) {
      assertError(await api(m, p, undefined, { key: null }), 401, "unauthorized");
      assertError(await api(m, p, undefined, { key: "wrong" }), 401, "unauthorized");
    }
  });

  it("takes the key in Authorization: apikey", async () => {
    const r = await api("GET", "/api/node", undefined, { key: null, headers: { authorization: `apikey ${KEY}` } });
    assert.equal(r.status, 200);
  });

  it("answers 404 not_found for an unknown path", async () => {
    assertError(await api("GET", "/api/nope"), 404, "not_found");
  });

  it("answers 413 for a body over the limit", async () => {
    const r = await api("POST", "/api/emit", { room: "r", event: "e", data: "x".repeat(40000) });
    assertError(r, 413, "payload_too_large");
  });
});

describe("POST /api/emit", () => {
  it("reaches a room, a user, a namespace, with except and volatile", async () => {
    const a = await userSocket("42");
    const b = await connect(server.url);
    const c = await userSocket("42", { nsp: "/chat" });
    assert.equal(await b.timeout(3000).emitWithAck("join", "lobby"), true);
    assert.equal(await a.timeout(3000).emitWithAck("join", "lobby"), true);
    const got = collect([a, b, c], "hi");
    assert.equal((await api("POST", "/api/emit", { room: "lobby", event: "hi", data: 1 })).status, 200);
    assert.equal((await api("POST", "/api/emit", { user: 42, event: "hi", data: 2 })).status, 200);
    assert.equal((await api("POST", "/api/emit", { user: "42", namespace: "chat", event: "hi", data: 3 })).status, 200);
    assert.equal((await api("POST", "/api/emit", { room: "lobby", except: ["user:42"], event: "hi", data: 4 })).status, 200);
    assert.equal((await api("POST", "/api/emit", { room: "lobby", volatile: true, event: "hi", args: [5, 6] })).status, 200);
    await sleep(300);
    assert.deepEqual(got[0], [[1], [2], [5, 6]]);
    assert.deepEqual(got[1], [[1], [4], [5, 6]]);
    assert.deepEqual(got[2], [[3]]);
    [a, b, c].forEach((s) => s.disconnect());
  });

  it("refuses bad JSON, a bad body, an unknown namespace and the wrong method", async () => {
    assertError(await api("POST", "/api/emit", "{nope"), 400, "invalid_json");
    assertError(await api("POST", "/api/emit", { room: "r" }), 400, "invalid_request");
    assertError(await api("POST", "/api/emit", { event: "e" }), 400, "invalid_request");
    // The emit options are read as /api/broadcast reads them (one helper).
    assertError(await api("POST", "/api/emit", { room: "r", event: "e", volatile: "yes" }), 400, "invalid_request");
    assertError(await api("POST", "/api/emit", { room: "r", event: "e", except: "x" }), 400, "invalid_request");
    assertError(await api("POST", "/api/emit", { room: "r", event: "e", args: {} }), 400, "invalid_request");
    assertError(await api("POST", "/api/emit", { room: "r", event: "e", namespace: "/none" }), 404, "unknown_namespace");
    assertError(await api("GET", "/api/emit"), 405, "method_not_allowed");
  });
});

describe("POST /api/broadcast", () => {
  it("delivers once to each socket in any of the rooms and users", async () => {
    const [a, b, c, d] = await Promise.all([connect(server.url), connect(server.url), connect(server.url), userSocket("u9")]);
    await a.timeout(3000).emitWithAck("join", "ra");
    await b.timeout(3000).emitWithAck("join", "rb");
    await c.timeout(3000).emitWithAck("join", "ra");
    await c.timeout(3000).emitWithAck("join", "rb");
    const got = collect([a, b, c, d], "multi");
    const r = await api("POST", "/api/broadcast", { rooms: ["ra", "rb"], users: ["u9"], event: "multi", data: { x: 1 } });
    assert.deepEqual(r, { status: 200, body: { ok: true, targets: 3 } });
    const r2 = await api("POST", "/api/broadcast", { rooms: ["ra", "rb"], except: ["rb"], event: "multi", data: 2 });
    assert.equal(r2.status, 200);
    await sleep(300);
    assert.deepEqual(got, [[[{ x: 1 }], [2]], [[{ x: 1 }]], [[{ x: 1 }]], [[{ x: 1 }]]]);
    [a, b, c, d].forEach((s) => s.disconnect());
  });

  it("refuses a call with no targets, bad types, too many targets and the wrong method", async () => {
    assertError(await api("POST", "/api/broadcast", { event: "e" }), 400, "invalid_request");
    assertError(await api("POST", "/api/broadcast", { rooms: "a", event: "e" }), 400, "invalid_request");
    assertError(await api("POST", "/api/broadcast", { rooms: [1], event: "e" }), 400, "invalid_request");
    assertError(await api("POST", "/api/broadcast", { rooms: ["a"] }), 400, "invalid_request");
    assertError(await api("POST", "/api/broadcast", { rooms: ["a"], event: "e", volatile: "yes" }), 400, "invalid_request");
    assertError(await api("POST", "/api/broadcast", { rooms: ["a"], event: "e", namespace: "/x" }), 404, "unknown_namespace");
    const many = Array.from({ length: 1001 }, (_, i) => `r${i}`);
    assertError(await api("POST", "/api/broadcast", { rooms: many, event: "e" }), 413, "too_many_targets");
    assertError(await api("POST", "/api/broadcast", "[1"), 400, "invalid_json");
    assertError(await api("GET", "/api/broadcast"), 405, "method_not_allowed");
  });
});

describe("presence, rooms and node info", () => {
  let sockets;
  before(async () => {
    sockets = [
      await userSocket("p1"),
      await userSocket("p1"),
      await userSocket("p1", { nsp: "/chat" }),
      await userSocket("p2"),
      await connect(server.url),
    ];
    await sockets[0].timeout(3000).emitWithAck("join", "presence-room");
    await sockets[3].timeout(3000).emitWithAck("join", "presence-room");
  });
  after(() => sockets.forEach((s) => s.disconnect()));

  it("lists online users with their connection counts", async () => {
    const r = await api("GET", "/api/presence");
    assert.equal(r.status, 200);
    const byUser = Object.fromEntries(r.body.users.map((u) => [u.user, u.connections]));
    assert.equal(byUser.p1, 3);
    assert.equal(byUser.p2, 1);
    assert.ok(r.body.total_sockets >= 5);
    const chat = await api("GET", "/api/presence?namespace=/chat");
    assert.deepEqual(chat.body.users.find((u) => u.user === "p1"), { user: "p1", connections: 1 });
    assertError(await api("GET", "/api/presence?namespace=/none"), 404, "unknown_namespace");
  });

  it("lists one user's sockets, 404 for a user who is not online", async () => {
    const r = await api("GET", "/api/presence/p1");
    assert.equal(r.status, 200);
    assert.equal(r.body.connections, 3);
    const ids = r.body.sockets.map((s) => s.id).sort();
    assert.deepEqual(ids, [sockets[0].id, sockets[1].id, sockets[2].id].sort());
    const first = r.body.sockets.find((s) => s.id === sockets[0].id);
    assert.equal(first.namespace, "/");
    assert.ok(first.rooms.includes("presence-room"));
    assert.ok(first.rooms.includes("user:p1"));
    assertError(await api("GET", "/api/presence/nobody"), 404, "unknown_user");
  });

  it("gives stats per namespace", async () => {
    const r = await api("GET", "/api/presence/stats");
    assert.equal(r.status, 200);
    assert.ok(r.body.users >= 2);
    assert.ok(r.body.sockets >= 5);
    assert.ok(r.body.anonymous >= 1);
    assert.ok(r.body.namespaces["/"].sockets >= 4);
    assert.ok(r.body.namespaces["/chat"].users >= 1);
  });

  it("lists rooms with member counts", async () => {
    const r = await api("GET", "/api/rooms");
    assert.equal(r.status, 200);
    assert.equal(r.body.namespace, "/");
    assert.deepEqual(r.body.rooms.find((x) => x.room === "presence-room"), { room: "presence-room", members: 2 });
    assert.ok(!r.body.rooms.some((x) => x.room === sockets[0].id), "a socket's own id is not a listed room");
    const chat = await api("GET", "/api/rooms?namespace=chat");
    assert.deepEqual(chat.body.rooms.find((x) => x.room === "user:p1"), { room: "user:p1", members: 1 });
  });

  it("lists a room's sockets (fetchSockets), 404 for another path under a room", async () => {
    const r = await api("GET", "/api/rooms/presence-room/sockets");
    assert.equal(r.status, 200);
    assert.equal(r.body.namespace, "/");
    assert.equal(r.body.room, "presence-room");
    assert.deepEqual([r.body.total, r.body.nodes, r.body.nodes_expected], [2, 1, 1]);
    const byId = Object.fromEntries(r.body.sockets.map((s) => [s.id, s]));
    assert.equal(byId[sockets[0].id].user, "p1");
    assert.equal(byId[sockets[3].id].user, "p2");
    assert.ok(byId[sockets[0].id].rooms.includes("presence-room"));
    assert.equal(byId[sockets[0].id].node, undefined, "no node id without a cluster");
    const user = await api("GET", `/api/rooms/${encodeURIComponent("user:p1")}/sockets?namespace=/chat`);
    assert.deepEqual(user.body.sockets.map((s) => s.id), [sockets[2].id]);
    const empty = await api("GET", "/api/rooms/nobody-here/sockets");
    assert.deepEqual([empty.status, empty.body.total], [200, 0]);
    assertError(await api("GET", "/api/rooms/presence-room"), 404, "not_found");
    assertError(await api("GET", "/api/rooms/presence-room/sockets?namespace=/none"), 404, "unknown_namespace");
    assertError(await api("GET", `/api/rooms/${"x".repeat(300)}/sockets`), 400, "invalid_room");
    assertError(await api("POST", "/api/rooms/presence-room/sockets", {}), 405, "method_not_allowed");
  });

  it("describes the node", async () => {
    const r = await api("GET", "/api/node");
    assert.equal(r.status, 200);
    assert.equal(typeof r.body.id, "string");
    assert.equal(r.body.version, "0.1.0");
    assert.equal(r.body.workers, 2);
    assert.ok(r.body.uptime_s >= 0);
    assert.ok(r.body.connections.sockets >= 5);
    assert.ok(r.body.connections.users >= 2);
  });

  it("answers 405 to a write on the read endpoints", async () => {
    for (const p of ["/api/presence", "/api/presence/stats", "/api/presence/p1", "/api/rooms", "/api/node"])
      assertError(await api("POST", p, {}), 405, "method_not_allowed");
  });
});

describe("POST /api/server-emit", () => {
  it("emits on this node's bus and answers what it reached", async () => {
    const r = await api("POST", "/api/server-emit", { event: "server.ping", data: { n: 1 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.nodes, 1);
    assert.equal(r.body.nodes_expected, 1);
    assert.equal(r.body.responses.length, 1);
    assert.equal(typeof r.body.responses[0].node, "string");
    assert.equal(r.body.responses[0].delivered, 0);
    assert.equal(r.body.responses[0].routed, 0);
  });

  it("refuses what is not a server-side emit", async () => {
    assertError(await api("POST", "/api/server-emit", "{nope"), 400, "invalid_json");
    assertError(await api("POST", "/api/server-emit", []), 400, "invalid_request");
    assertError(await api("POST", "/api/server-emit", {}), 400, "invalid_event");
    assertError(await api("POST", "/api/server-emit", { event: "a.**" }), 400, "invalid_event");
    assertError(await api("POST", "/api/server-emit", { event: 7 }), 400, "invalid_event");
    assertError(await api("POST", "/api/server-emit", { event: "e", namespace: 1 }), 400, "invalid_request");
    assertError(await api("POST", "/api/server-emit", { event: "e", namespace: "/none" }), 404, "unknown_namespace");
    assertError(await api("POST", "/api/server-emit", { event: "e", timeout_ms: 0 }), 400, "invalid_request");
    assertError(await api("POST", "/api/server-emit", { event: "e", timeout_ms: "1" }), 400, "invalid_request");
    assertError(await api("GET", "/api/server-emit"), 405, "method_not_allowed");
  });
});

describe("POST /api/disconnect", () => {
  it("disconnects all of a user's sockets, or only in one namespace", async () => {
    const a = await userSocket("d1");
    const b = await userSocket("d1");
    const c = await userSocket("d1", { nsp: "/chat" });
    const other = await userSocket("d2");
    const chatGone = once(c, "disconnect");
    const r1 = await api("POST", "/api/disconnect", { user: "d1", namespace: "/chat" });
    assert.deepEqual(r1, { status: 200, body: { ok: true, disconnected: 1 } });
    assert.equal(reasonOf(await chatGone), "io server disconnect");
    assert.ok(a.connected && b.connected);
    const gone = [once(a, "disconnect"), once(b, "disconnect")];
    const r2 = await api("POST", "/api/disconnect", { user: "d1" });
    assert.deepEqual(r2, { status: 200, body: { ok: true, disconnected: 2 } });
    assert.deepEqual((await Promise.all(gone)).map(reasonOf), ["io server disconnect", "io server disconnect"]);
    assert.ok(other.connected);
    assertError(await api("GET", "/api/presence/d1"), 404, "unknown_user");
    other.disconnect();
  });

  it("refuses an unknown user, a bad body and the wrong method", async () => {
    assertError(await api("POST", "/api/disconnect", { user: "nobody" }), 404, "unknown_user");
    assertError(await api("POST", "/api/disconnect", {}), 400, "invalid_request");
    assertError(await api("POST", "/api/disconnect", { user: "x", close: 1 }), 400, "invalid_request");
    assertError(await api("POST", "/api/disconnect", { user: "x", namespace: "/none" }), 404, "unknown_namespace");
    assertError(await api("POST", "/api/disconnect", "nope"), 400, "invalid_json");
    assertError(await api("GET", "/api/disconnect"), 405, "method_not_allowed");
  });
});

describe("GET /api/sse/<stream>: history", () => {
  it("returns the kept events, oldest first, with their ids", async () => {
    const ids = [];
    for (let i = 0; i < 7; i++) {
      const r = await api("POST", "/api/sse/news", i % 2 ? { event: "headline", data: { i } } : { text: `line ${i}` });
      assert.equal(r.status, 200);
      ids.push(r.body.id);
    }
    const r = await api("GET", "/api/sse/news");
    assert.equal(r.status, 200);
    assert.equal(r.body.stream, "news");
    assert.equal(r.body.kept, 5);
    assert.equal(r.body.last_id, ids[6]);
    assert.deepEqual(r.body.items.map((e) => e.id), ids.slice(2));
    assert.deepEqual(r.body.items[0], { id: ids[2], event: "message", data: "line 2" });
    assert.deepEqual(r.body.items[1], { id: ids[3], event: "headline", data: '{"i":3}' });
    const two = await api("GET", "/api/sse/news?limit=2");
    assert.deepEqual(two.body.items.map((e) => e.id), ids.slice(5));
  });

  it("answers an empty history for a stream never published to", async () => {
    const r = await api("GET", "/api/sse/quiet");
    assert.deepEqual(r.body, { stream: "quiet", kept: 5, items: [], last_id: null });
  });

  it("refuses an unknown stream, a bad limit and the wrong method", async () => {
    assertError(await api("GET", "/api/sse/nope"), 404, "unknown_stream");
    assertError(await api("GET", "/api/sse/news?limit=0"), 400, "invalid_request");
    assertError(await api("GET", "/api/sse/news?limit=abc"), 400, "invalid_request");
    assertError(await api("PUT", "/api/sse/news", {}), 405, "method_not_allowed");
  });
});

describe("POST /api/batch", () => {
  it("runs each command, and a bad one fails alone", async () => {
    const a = await connect(server.url);
    await a.timeout(3000).emitWithAck("join", "batch-room");
    const got = collect([a], "b");
    const r = await api("POST", "/api/batch", {
      commands: [
        { command: "emit", room: "batch-room", event: "b", data: 1 },
        { command: "nope" },
        { command: "emit", event: "b" },
        { command: "broadcast", rooms: ["batch-room"], event: "b", data: 2 },
        { command: "sse_publish", stream: "news", data: { batch: true } },
        { command: "sse_publish", stream: "missing", data: 1 },
        { command: "disconnect", user: "nobody-here" },
        { command: "bus_emit", name: "batch.test", payload: { x: 1 } },
      ],
    });
    assert.equal(r.status, 200);
    const statuses = r.body.results.map((x) => x.status);
    assert.deepEqual(statuses, [200, 400, 400, 200, 200, 404, 404, 200]);
    assert.equal(r.body.results[1].error.code, "unknown_command");
    assert.equal(r.body.results[2].error.code, "invalid_request");
    assert.equal(r.body.results[5].error.code, "unknown_stream");
    assert.equal(r.body.results[6].error.code, "unknown_user");
    assert.match(r.body.results[4].id, /^\d+-\d+$/);
    assert.equal(r.body.succeeded, 4);
    assert.equal(r.body.failed, 4);
    await sleep(300);
    assert.deepEqual(got[0], [[1], [2]]);
    a.disconnect();
  });

  it("refuses a malformed batch, too many commands and the wrong method", async () => {
    assertError(await api("POST", "/api/batch", "{"), 400, "invalid_json");
    assertError(await api("POST", "/api/batch", { commands: "x" }), 400, "invalid_request");
    assertError(await api("POST", "/api/batch", { commands: [] }), 400, "invalid_request");
    const many = Array.from({ length: 101 }, () => ({ command: "bus_emit", name: "x" }));
    assertError(await api("POST", "/api/batch", { commands: many }), 413, "too_many_commands");
    assertError(await api("GET", "/api/batch"), 405, "method_not_allowed");
  });
});

describe("command line", () => {
  it("emit reaches a connected client by room, user and namespace", async () => {
    const a = await userSocket("cli42");
    const u = await userSocket("77", { nsp: "/chat" });
    const got = collect([a, u], "new_notification");
    const r1 = await run(["emit", "--url", server.url, "--key", KEY, "--room", "user:cli42", "--event", "new_notification", "--data", '{"n":1}']);
    assert.equal(r1.status, 0, r1.stderr);
    assert.deepEqual(JSON.parse(r1.stdout), { ok: true });
    const r2 = await run(["emit", "--user", "77", "--namespace", "/chat", "--event", "new_notification", "--data", "[2]"], {
      SWITCHBOARD_URL: server.url,
      SWITCHBOARD_API_KEY: KEY,
    });
    assert.equal(r2.status, 0, r2.stderr);
    await sleep(300);
    assert.deepEqual(got, [[[{ n: 1 }]], [[[2]]]]);
    [a, u].forEach((s) => s.disconnect());
  });

  it("emit fails clearly: server error 1, bad usage 2, unreachable 3", async () => {
    const e1 = await run(["emit", "--url", server.url, "--key", KEY, "--room", "r", "--event", "e", "--namespace", "/none"]);
    assert.equal(e1.status, 1);
    assert.match(e1.stderr, /404 unknown_namespace/);
    const e2 = await run(["emit", "--url", server.url, "--key", "wrong", "--room", "r", "--event", "e"]);
    assert.equal(e2.status, 1);
    assert.match(e2.stderr, /401 unauthorized/);
    const e3 = await run(["emit", "--url", server.url, "--key", KEY, "--room", "r", "--event", "e", "--data", "{bad"]);
    assert.equal(e3.status, 2);
    assert.match(e3.stderr, /--data is not valid JSON/);
    const e4 = await run(["emit", "--url", server.url, "--room", "r", "--event", "e"], { SWITCHBOARD_API_KEY: "" });
    assert.equal(e4.status, 2);
    assert.match(e4.stderr, /API key/);
    const e5 = await run(["emit", "--url", server.url, "--key", KEY, "--event", "e"]);
    assert.equal(e5.status, 2);
    const e6 = await run(["emit", "--url", `http://127.0.0.1:${await freePort()}`, "--key", KEY, "--room", "r", "--event", "e"]);
    assert.equal(e6.status, 3);
    assert.match(e6.stderr, /cannot connect/);
    const e7 = await run(["emit", "--url", "https://x", "--key", KEY, "--room", "r", "--event", "e"]);
    assert.equal(e7.status, 2);
  });

  it("api calls any endpoint", async () => {
    const node = await run(["api", "GET", "/api/node", "--url", server.url, "--key", KEY]);
    assert.equal(node.status, 0, node.stderr);
    assert.equal(JSON.parse(node.stdout).version, "0.1.0");
    const b = await run(["api", "post", "broadcast", '{"rooms":["x"],"event":"e"}', "--url", server.url, "--key", KEY]);
    assert.equal(b.status, 0, b.stderr);
    assert.deepEqual(JSON.parse(b.stdout), { ok: true, targets: 1 });
    const missing = await run(["api", "GET", "/api/presence/nobody", "--url", server.url, "--key", KEY]);
    assert.equal(missing.status, 1);
    assert.equal(JSON.parse(missing.stdout).error.code, "unknown_user");
    const bad = await run(["api", "POST", "/api/emit", "{nope", "--url", server.url, "--key", KEY]);
    assert.equal(bad.status, 2);
  });

  it("token mints a JWT the server accepts", async () => {
    const t = await run(["token", "--user", "minted-1", "--secret", SECRET, "--ttl", "120"]);
    assert.equal(t.status, 0, t.stderr);
    const tok = t.stdout.trim();
    const claims = jwt.verify(tok, SECRET);
    assert.equal(claims.sub, "minted-1");
    assert.ok(claims.exp - claims.iat <= 120 && claims.exp > Date.now() / 1000);
    const s = await connect(server.url, { auth: { token: tok } });
    const r = await api("GET", "/api/presence/minted-1");
    assert.equal(r.status, 200);
    s.disconnect();

    // From a config file: the secret and algorithm the server would use.
    const file = path.join(server.dir, "token.toml");
    writeFileSync(file, `[auth]\njwt_secret = "${SECRET}"\n`);
    const t2 = await run(["token", "--user", "minted-2", "--config", file]);
    assert.equal(t2.status, 0, t2.stderr);
    const s2 = await connect(server.url, { auth: { token: t2.stdout.trim() } });
    assert.equal((await api("GET", "/api/presence/minted-2")).status, 200);
    s2.disconnect();
  });

  it("token refuses to run without a secret or a user", async () => {
    const r = await run(["token", "--user", "1"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /secret/);
    assert.equal((await run(["token", "--secret", "s"])).status, 2);
  });
});
