// Config routes from the in-process event bus (fed over HTTP by
// POST /api/events/<name>) to Socket.IO users and rooms and to SSE streams;
// routes that cannot be applied are counted and logged, never silent.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { connect, namespace, once, sleep, startServer } from "./lib/server.mjs";
import { busEmit, openSource, record } from "./lib/sse.mjs";

const SECRET = "e2e-secret";
const token = (sub) => jwt.sign({ sub }, SECRET, { expiresIn: 60 });
let server;
const closers = [];

before(async () => {
  server = await startServer(`
[auth]
allow_anonymous = true
jwt_secret = "${SECRET}"
[api]
keys = ["test-key"]
[[sse.streams]]
name = "inbox:*"
access = "user"
[[sse.streams]]
name = "audit"
[[routes]]
from = "inbox.*"
to = ["user:{data.user_id}", "sse:inbox:{data.user_id}"]
event = "new_notification"
[[routes]]
from = "chat.**"
to = "room:{data.room}"
[[routes]]
from = "bus:audit.*"
to = ["sse:audit", "broker:audit.{event}"]
event = "{event}"
[[routes]]
from = "broken.missing"
to = "room:{data.nope}"
[[routes]]
from = "broken.stream"
to = "sse:no-such-stream"
${namespace("/")}
`);
});
after(async () => {
  for (const c of closers) c();
  const r = await server.stop();
  assert.equal(r.code, 0, server.logs());
});

async function metric(name) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)$`, "m").exec(text);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

describe("routes", () => {
  it("delivers a bus event to the user's sockets and the user's SSE stream", async () => {
    const mine = await connect(server.url, { auth: { token: token("42") } });
    const polling = await connect(server.url, { auth: { token: token("42") }, transports: ["polling"] });
    const other = await connect(server.url, { auth: { token: token("7") } });
    closers.push(() => [mine, polling, other].forEach((s) => s.disconnect()));
    const es = openSource(`${server.url}/sse/inbox:42?token=${token("42")}`);
    closers.push(() => es.close());
    const got = record(es, ["ready", "new_notification"]);
    await got.count("ready", 1);
    let otherGot = 0;
    other.on("new_notification", () => otherGot++);
    const a = once(mine, "new_notification");
    const b = once(polling, "new_notification");
    const r = await busEmit(server.url, "inbox.stored", { user_id: "42", text: "hi" });
    assert.deepEqual(r, { status: 200, body: { ok: true, handlers: 0, routed: 2 } });
    assert.deepEqual(await a, { user_id: "42", text: "hi" });
    assert.deepEqual(await b, { user_id: "42", text: "hi" });
    await got.count("new_notification", 1);
    assert.deepEqual(JSON.parse(got[1].data), { user_id: "42", text: "hi" });
    await sleep(100);
    assert.equal(otherGot, 0);
  });

  it("fills a room name from the payload and keeps the source event name", async () => {
    const s = await connect(server.url);
    const outsider = await connect(server.url);
    closers.push(() => [s, outsider].forEach((x) => x.disconnect()));
    assert.equal(await s.emitWithAck("join", "lobby"), true);
    let leaked = 0;
    outsider.on("chat.message.sent", () => leaked++);
    const got = once(s, "chat.message.sent");
    await busEmit(server.url, "chat.message.sent", { room: "lobby", text: "yo" });
    assert.deepEqual(await got, { room: "lobby", text: "yo" });
    await sleep(100);
    assert.equal(leaked, 0);
  });

  it("counts and logs each target that cannot be applied, and still applies the others", async () => {
    const failed = await metric("switchboard_route_failures_total");
    const delivered = await metric("switchboard_route_deliveries_total");
    const es = openSource(`${server.url}/sse/audit`);
    closers.push(() => es.close());
    const got = record(es, ["ready", "audit.login"]);
    await got.count("ready", 1);
    // audit.*: both targets work (the broker is the built-in in-memory one).
    const published = await metric('switchboard_broker_published_total\\{broker="memory"\\}');
    await busEmit(server.url, "audit.login", { who: "ann" });
    await got.count("audit.login", 1);
    assert.deepEqual(JSON.parse(got[1].data), { who: "ann" });
    // A missing payload field and an unknown stream.
    await busEmit(server.url, "broken.missing", { room: "x" });
    await busEmit(server.url, "broken.stream", {});
    assert.equal(await metric("switchboard_route_failures_total"), failed + 2);
    assert.equal(await metric("switchboard_route_deliveries_total"), delivered + 2);
    assert.equal(await metric('switchboard_broker_published_total\\{broker="memory"\\}'), published + 1);
    const logs = server.logs();
    assert.match(logs, /routes: cannot route bus event \\"broken.missing\\".*\{data.nope\}: field is missing/);
    assert.match(logs, /routes: cannot route bus event \\"broken.stream\\".*no stream/);
  });

  it("refuses bad bus requests", async () => {
    const post = (path, body, key = "test-key") =>
      fetch(`${server.url}${path}`, { method: "POST", headers: { "x-api-key": key }, body });
    assert.equal((await post("/api/events/a.*", "{}")).status, 400);
    assert.equal((await post("/api/events/a..b", "{}")).status, 400);
    assert.equal((await post("/api/events/ok", "{nope")).status, 400);
    assert.equal((await post("/api/events/ok", "{}", "bad")).status, 401);
    const unhandled = await metric("switchboard_bus_unhandled_total");
    const r = await post("/api/events/nobody.listens", "");
    assert.deepEqual(await r.json(), { ok: true, handlers: 0, routed: 0 });
    assert.equal(await metric("switchboard_bus_unhandled_total"), unhandled + 1);
  });
});
