// Rooms, broadcasts, `except` and POST /api/emit (incl. its errors).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiEmit, connect, namespace, once, sleep, startServer } from "./lib/server.mjs";

let server;
before(async () => {
  server = await startServer(`
[auth]
allow_anonymous = true
[api]
keys = ["test-key", "other-key"]
${namespace("/")}
${namespace("/chat")}
`);
});
after(async () => {
  await server.stop();
});

function counter(sockets, event) {
  const got = sockets.map(() => []);
  sockets.forEach((s, i) => s.on(event, (...a) => got[i].push(a)));
  return got;
}

describe("rooms", () => {
  it("delivers a room emit to each member exactly once, on both workers", async () => {
    const members = await Promise.all(Array.from({ length: 50 }, (_, i) => connect(server.url, { transports: i % 2 ? ["websocket"] : ["polling"] })));
    const outsiders = await Promise.all(Array.from({ length: 5 }, () => connect(server.url)));
    for (const m of members) assert.equal(await m.timeout(3000).emitWithAck("join", "r1"), true);
    // joining twice does not double delivery
    await members[0].timeout(3000).emitWithAck("join", "r1");
    const got = counter(members, "news");
    const gotOut = counter(outsiders, "news");
    const r = await apiEmit(server.url, { room: "r1", event: "news", data: { n: 1 } });
    assert.deepEqual(r, { status: 200, body: { ok: true } });
    await sleep(300);
    for (const g of got) assert.deepEqual(g, [[{ n: 1 }]]);
    for (const g of gotOut) assert.deepEqual(g, []);
    [...members, ...outsiders].forEach((s) => s.disconnect());
  });

  it("leave, to_room (sender excluded), broadcast and except", async () => {
    const [a, b, c] = await Promise.all([connect(server.url), connect(server.url), connect(server.url)]);
    for (const s of [a, b, c]) await s.timeout(3000).emitWithAck("join", "team");
    const got = counter([a, b, c], "chat");
    assert.equal(await a.timeout(3000).emitWithAck("to_room", "team", "chat", "hello"), true);
    await sleep(200);
    assert.deepEqual(got.map((g) => g.length), [0, 1, 1]);
    await c.timeout(3000).emitWithAck("leave", "team");
    await a.timeout(3000).emitWithAck("to_room", "team", "chat", "again");
    await sleep(200);
    assert.deepEqual(got.map((g) => g.length), [0, 2, 1]);
    const all = counter([a, b, c], "everyone");
    await b.timeout(3000).emitWithAck("broadcast", "everyone", 1);
    await sleep(200);
    assert.deepEqual(all.map((g) => g.length), [1, 0, 1]);
    const ex = counter([a, b, c], "ex");
    await apiEmit(server.url, { room: "team", event: "ex", except: [a.id] });
    await apiEmit(server.url, { broadcast: true, event: "ex", except: ["team"] });
    await sleep(200);
    assert.deepEqual(ex.map((g) => g.length), [0, 1, 1]);
    [a, b, c].forEach((s) => s.disconnect());
  });

  it("refuses to let a client join another user's room", async () => {
    const s = await connect(server.url);
    assert.deepEqual(await s.timeout(3000).emitWithAck("join", "user:42"), { error: "forbidden room" });
    s.disconnect();
  });

  it("keeps namespaces apart", async () => {
    const root = await connect(server.url);
    const chat = await connect(`${server.url}/chat`);
    for (const s of [root, chat]) await s.timeout(3000).emitWithAck("join", "same");
    const got = counter([root, chat], "only-chat");
    await apiEmit(server.url, { namespace: "/chat", room: "same", event: "only-chat", args: [1, 2] });
    await sleep(200);
    assert.deepEqual(got, [[], [[1, 2]]]);
    root.disconnect();
    chat.disconnect();
  });
});

describe("POST /api/emit errors", () => {
  it("answers each bad call with its code and the others keep working", async () => {
    const s = await connect(server.url);
    const cases = [
      [{ room: "r", event: "x" }, "nope", 401, "unauthorized"],
      ["{not json", "test-key", 400, "invalid_json"],
      [{ room: "r" }, "test-key", 400, "invalid_request"],
      [{ event: "x" }, "test-key", 400, "invalid_request"],
      [{ room: "r", event: "x", namespace: "/missing" }, "test-key", 404, "unknown_namespace"],
    ];
    for (const [body, key, status, code] of cases) {
      const r = await apiEmit(server.url, body, key);
      assert.equal(r.status, status);
      assert.equal(r.body.error.code, code);
      assert.equal(typeof r.body.error.message, "string");
    }
    const noKey = await fetch(`${server.url}/api/emit`, { method: "POST", body: "{}" });
    assert.equal(noKey.status, 401);
    const alt = await fetch(`${server.url}/api/emit`, {
      method: "POST",
      headers: { authorization: "apikey other-key" },
      body: JSON.stringify({ room: "r", event: "x" }),
    });
    assert.equal(alt.status, 200);
    const big = await fetch(`${server.url}/api/emit`, { method: "POST", headers: { "x-api-key": "test-key" }, body: "x".repeat(1_100_000) });
    assert.equal(big.status, 413);
    assert.equal((await big.json()).error.code, "payload_too_large");
    s.emit("message", "alive");
    assert.equal(await once(s, "message-back"), "alive");
    s.disconnect();
  });
});
