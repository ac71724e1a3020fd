// Server-Sent Events with the `eventsource` npm client: ordered delivery, the
// exact wire format, resume after a dropped connection (nothing missed, nothing
// repeated), the history-overflow signal, several topics on one connection,
// auth, slow consumers, and bad input that leaves everyone else served.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { sleep, startServer } from "./lib/server.mjs";
import {
  busEmit, openSource, publish, rawGet, rawStream, record, refusal, seqOf,
} from "./lib/sse.mjs";
import { startTcpProxy } from "./lib/tcp_proxy.mjs";

const SECRET = "e2e-secret";
const token = (sub) => jwt.sign({ sub }, SECRET, { expiresIn: 60 });
let server;
const sources = [];
function source(url, opts) {
  const es = openSource(url, opts);
  sources.push(es);
  return es;
}

before(async () => {
  server = await startServer(`
[auth]
allow_anonymous = true
jwt_secret = "${SECRET}"
[api]
keys = ["test-key"]
[sse]
heartbeat_ms = 200
retry_ms = 100
history_size = 50
max_topics = 3
max_buffer_bytes = 262144
[[sse.streams]]
name = "news"
[[sse.streams]]
name = "wire"
[[sse.streams]]
name = "resume"
[[sse.streams]]
name = "small"
history_size = 3
[[sse.streams]]
name = "a"
[[sse.streams]]
name = "b"
[[sse.streams]]
name = "members"
access = "authenticated"
[[sse.streams]]
name = "bulk"
history_size = 2
[dashboard]
auth = "api_key"
[[routes]]
from = "fail.*"
to = "room:{data.missing}"
`);
});
after(async () => {
  for (const es of sources) es.close();
  const r = await server.stop();
  assert.equal(r.code, 0, server.logs());
});

describe("delivery", () => {
  it("delivers every published event once, in order, with consecutive ids", async () => {
    const es = source(`${server.url}/sse/news`);
    const got = record(es, ["ready", "item"]);
    await got.count("ready", 1);
    for (let i = 0; i < 200; i++) {
      const r = await publish(server.url, "news", { event: "item", data: { i } });
      assert.equal(r.status, 200);
      assert.match(r.body.id, /^\d+-\d+$/);
    }
    try {
      await got.count("item", 200);
    } catch (e) {
      // Say what was lost and whether the client reconnected (one "ready" per connection).
      const seen = new Set(got.filter((x) => x.type === "item").map((x) => JSON.parse(x.data).i));
      const missing = [...Array(200).keys()].filter((i) => !seen.has(i));
      const readies = got.filter((x) => x.type === "ready").map((x) => x.data);
      throw new Error(`${e.message}; missing ${JSON.stringify(missing)}; ready events ${JSON.stringify(readies)}`);
    }
    const items = got.filter((e) => e.type === "item");
    assert.deepEqual(items.map((e) => JSON.parse(e.data).i), [...Array(200).keys()]);
    const seqs = items.map((e) => seqOf(e.id)[0]);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1);
    assert.equal(seqOf(got[0].id)[0] + 1, seqs[0], "ready carries the position before the first event");
  });

  it("writes the exact text/event-stream format, with heartbeats", async () => {
    const raw = await rawStream(`${server.url}/sse/wire`);
    const es = source(`${server.url}/sse/wire`);
    const got = record(es, ["ready", "multi"]);
    await got.count("ready", 1);
    await raw.until((t) => t.includes("event: ready")); // both subscribed
    const r = await publish(server.url, "wire", { event: "multi", text: "line1\nline2\r\nline3" });
    const text = await raw.until((t) => t.includes("data: line3\n") && t.includes(": heartbeat\n\n"));
    raw.close();
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.match(raw.headers.get("cache-control"), /no-cache/);
    assert.ok(text.startsWith("retry: 100\n\n"), JSON.stringify(text.slice(0, 40)));
    assert.match(text, /event: ready\ndata: \{"streams":\["wire"\],"resumed":false\}\nid: \d+-\d+\n\n/);
    assert.ok(text.includes(`event: multi\ndata: line1\ndata: line2\ndata: line3\nid: ${r.body.id}\n\n`), text);
    await got.count("multi", 1);
    assert.equal(got.find((e) => e.type === "multi").data, "line1\nline2\nline3");
    assert.equal(got.find((e) => e.type === "multi").id, r.body.id);
  });
});

describe("resume", () => {
  it("recovers from a dropped connection with nothing missed or repeated", async () => {
    const p = await startTcpProxy(server.port);
    try {
      const es = source(`${p.url}/sse/resume`);
      const got = record(es, ["ready", "n", "reset"]);
      await got.count("ready", 1);
      for (let i = 1; i <= 5; i++) await publish(server.url, "resume", { event: "n", data: i });
      await got.count("n", 5);
      // The network goes away; events keep coming while the client cannot connect.
      p.blocked = true;
      p.cut();
      for (let i = 6; i <= 10; i++) await publish(server.url, "resume", { event: "n", data: i });
      await sleep(300); // the client is retrying against a closed door
      p.blocked = false;
      await got.count("ready", 2); // reconnected (with Last-Event-ID)
      for (let i = 11; i <= 15; i++) {
        const r = await publish(server.url, "resume", { event: "n", data: i });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
      // On a timeout, say what arrived and over how many connections.
      await got.count("n", 15).catch((e) => {
        const all = got.map((x) => `${x.type}:${x.data.slice(0, 48)}@${x.id}`);
        throw new Error(`${e.message}\nconnections=${p.connections} all=${JSON.stringify(all)}`);
      });
      await sleep(100);
      const ns = got.filter((e) => e.type === "n");
      assert.deepEqual(ns.map((e) => Number(e.data)), [...Array(15).keys()].map((i) => i + 1));
      assert.equal(got.filter((e) => e.type === "reset").length, 0);
      assert.deepEqual(JSON.parse(got.filter((e) => e.type === "ready")[1].data), { streams: ["resume"], resumed: true });
      assert.ok(p.connections >= 2);
    } finally {
      await p.close();
    }
  });

  it("replays from a Last-Event-ID header or a lastEventId query", async () => {
    const first = await publish(server.url, "resume", { event: "n", data: "x1" });
    await publish(server.url, "resume", { event: "n", data: "x2" });
    await publish(server.url, "resume", { event: "n", data: "x3" });
    for (const how of ["header", "query"]) {
      const url = `${server.url}/sse/resume` + (how === "query" ? `?lastEventId=${first.body.id}` : "");
      const es = source(url, { headers: how === "header" ? { "Last-Event-ID": first.body.id } : {} });
      const got = record(es, ["ready", "n"]);
      await got.count("ready", 1);
      assert.deepEqual(got.filter((e) => e.type === "n").map((e) => e.data), ['"x2"', '"x3"'], how);
      es.close();
    }
  });

  it("tells the client to re-fetch when its position is older than the history", async () => {
    const es1 = source(`${server.url}/sse/small`);
    const g1 = record(es1, ["ready"]);
    await g1.count("ready", 1);
    const position = g1[0].id;
    es1.close();
    for (let i = 0; i < 10; i++) await publish(server.url, "small", { event: "n", data: i });
    const es = source(`${server.url}/sse/small`, { headers: { "Last-Event-ID": position } });
    const got = record(es, ["reset", "ready", "n"]);
    await got.count("ready", 1);
    await publish(server.url, "small", { event: "n", data: "live" });
    await got.count("n", 1);
    assert.deepEqual(got.map((e) => e.type), ["reset", "ready", "n"]);
    const reset = JSON.parse(got[0].data);
    assert.equal(reset.stream, "small");
    assert.equal(reset.reason, "history_overflow");
    assert.equal(got[2].data, '"live"');
    // The reset's id is the current position: a later resume continues from there.
    assert.equal(seqOf(got[0].id)[0], seqOf(position)[0] + 10);
  });

  it("signals a server restart for an id from another server instance", async () => {
    const es = source(`${server.url}/sse/news`, { headers: { "Last-Event-ID": "1-5" } });
    const got = record(es, ["reset", "ready"]);
    await got.count("ready", 1);
    assert.equal(got[0].type, "reset");
    assert.equal(JSON.parse(got[0].data).reason, "server_restart");
  });
});

describe("topics", () => {
  it("follows several streams on one connection and resumes them all with one id", async () => {
    const es = source(`${server.url}/sse?topic=a&topic=b`);
    const got = record(es, ["ready", "ev"]);
    await got.count("ready", 1);
    await publish(server.url, "a", { event: "ev", data: "a1" });
    await publish(server.url, "b", { event: "ev", data: "b1" });
    await publish(server.url, "a", { event: "ev", data: "a2" });
    await got.count("ev", 3);
    assert.deepEqual(got.filter((e) => e.type === "ev").map((e) => e.data), ['"a1"', '"b1"', '"a2"']);
    const ids = got.map((e) => seqOf(e.id));
    assert.equal(ids[0].length, 2);
    assert.deepEqual(ids[3], [ids[0][0] + 2, ids[0][1] + 1]);
    const mark = got[1].id; // after a1
    es.close();
    const es2 = source(`${server.url}/sse?topic=a&topic=b`, { headers: { "Last-Event-ID": mark } });
    const g2 = record(es2, ["ready", "ev"]);
    await g2.count("ready", 1);
    assert.deepEqual(g2.filter((e) => e.type === "ev").map((e) => e.data), ['"b1"', '"a2"']);
  });
});

describe("auth", () => {
  it("refuses a protected stream without a valid token", async () => {
    assert.equal(await refusal(`${server.url}/sse/members`), 401);
    assert.equal(await refusal(`${server.url}/sse/members?token=garbage`), 401);
    assert.equal(await refusal(`${server.url}/sse/members`, { headers: { Authorization: "Bearer " + jwt.sign({ sub: "1" }, "wrong") } }), 401);
    const expired = jwt.sign({ sub: "1", exp: Math.floor(Date.now() / 1000) - 10 }, SECRET);
    const r = await rawGet(`${server.url}/sse/members`, { Authorization: `Bearer ${expired}` });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { error: { code: "invalid_token", message: "token expired" } });
  });

  it("accepts a token from the Authorization header or the token query", async () => {
    for (const [url, headers] of [
      [`${server.url}/sse/members`, { Authorization: `Bearer ${token("9")}` }],
      [`${server.url}/sse/members?token=${token("9")}`, {}],
    ]) {
      const es = source(url, { headers });
      const got = record(es, ["ready"]);
      await got.count("ready", 1);
      es.close();
    }
  });

  it("limits user:<id> streams to that user", async () => {
    assert.equal(await refusal(`${server.url}/sse/user:42`), 401);
    assert.equal(await refusal(`${server.url}/sse/user:42?token=${token("7")}`), 403);
    const es = source(`${server.url}/sse/user:42?token=${token("42")}`);
    const got = record(es, ["ready", "note"]);
    await got.count("ready", 1);
    await publish(server.url, "user:42", { event: "note", data: { hi: 42 } });
    await got.count("note", 1);
    assert.deepEqual(JSON.parse(got[1].data), { hi: 42 });
  });

  it("keeps the logs and metrics streams behind the dashboard key", async () => {
    assert.equal(await refusal(`${server.url}/sse/logs`), 401);
    assert.equal(await refusal(`${server.url}/sse/metrics?key=nope`), 401);
    const es = source(`${server.url}/sse/metrics?key=test-key`);
    const got = record(es, ["metrics"]);
    await got.count("metrics", 1);
    const m = JSON.parse(got[0].data);
    assert.ok(m.connections.sse >= 1, JSON.stringify(m.connections));
  });
});

describe("logs stream", () => {
  it("streams log records as JSON, filtered by level", async () => {
    const marker = `m${Date.now()}`;
    const warnOnly = source(`${server.url}/sse/logs?level=warn&history=100&key=test-key`);
    const all = source(`${server.url}/sse/logs?level=info&history=100&key=test-key`);
    const gw = record(warnOnly, ["ready", "log"]);
    const ga = record(all, ["ready", "log"]);
    await gw.count("ready", 1);
    await ga.count("ready", 1);
    // A route whose payload lacks a field logs a warning naming the event.
    const r = await busEmit(server.url, `fail.${marker}`, { x: 1 });
    assert.equal(r.status, 200);
    const hasMarker = (g) => g.some((e) => e.type === "log" && e.data.includes(marker));
    await gw.until(hasMarker, 10000, "the warning");
    await ga.until(hasMarker, 10000, "the warning");
    const recs = (g) => g.filter((e) => e.type === "log").map((e) => JSON.parse(e.data));
    const warn = recs(gw).find((x) => x.message.includes(marker));
    assert.equal(warn.level, "warn");
    assert.equal(warn.module, "routes");
    assert.match(warn.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(recs(gw).every((x) => ["warn", "error", "critical"].includes(x.level)));
    // The info-level startup line is in the history for one and filtered for the other.
    assert.ok(recs(ga).some((x) => x.level === "info" && x.message.includes("listening")));
    assert.ok(!recs(gw).some((x) => x.message.includes("listening")));
  });
});

describe("slow consumers", () => {
  it("disconnects a client that does not read, and the others get everything", async () => {
    const good = source(`${server.url}/sse/bulk`);
    const got = record(good, ["ready", "big"]);
    await got.count("ready", 1);
    // A raw client that subscribes and then never reads.
    const sock = net.connect(server.port, "127.0.0.1");
    let head = "";
    await new Promise((resolve) => {
      sock.on("data", (d) => {
        head += d;
        if (head.includes("event: ready")) resolve();
      });
      sock.write("GET /sse/bulk HTTP/1.1\r\nHost: x\r\n\r\n");
    });
    sock.pause();
    const closed = new Promise((r) => sock.on("close", r));
    sock.on("error", () => {});
    const before = await slowCount();
    const chunk = "x".repeat(100000);
    let sent = 0;
    while ((await slowCount()) === before) {
      assert.ok(sent < 400, "the slow consumer was never disconnected");
      await publish(server.url, "bulk", { event: "big", data: { n: sent, chunk } });
      sent++;
    }
    await got.count("big", sent, 30000);
    assert.deepEqual(got.filter((e) => e.type === "big").map((e) => JSON.parse(e.data).n), [...Array(sent).keys()]);
    sock.resume(); // what was buffered drains, then the connection ends
    await closed;
  });
});

async function slowCount() {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^switchboard_sse_slow_consumers_total (\d+)$/m.exec(text)[1]);
}

describe("bad input", () => {
  it("answers each with a defined HTTP error and keeps serving the others", async () => {
    const good = source(`${server.url}/sse/news`);
    const got = record(good, ["ready", "still"]);
    await got.count("ready", 1);
    const cases = [
      ["/sse/nope", {}, 404, "unknown_stream"],
      ["/sse/news", { "Last-Event-ID": "not-an-id" }, 400, "invalid_last_event_id"],
      ["/sse/news?lastEventId=12", {}, 400, "invalid_last_event_id"],
      ["/sse/news", { "Last-Event-ID": "1-2.3" }, 400, "invalid_last_event_id"],
      ["/sse?topic=a&topic=b&topic=news&topic=wire", {}, 400, "too_many_topics"],
      ["/sse", {}, 400, "no_stream"],
      ["/sse/bad%20name", {}, 400, "invalid_stream"],
      ["/sse/news?level=loud", {}, 400, "invalid_level"],
      ["/sse/news?token=not.a.jwt", {}, 401, "invalid_token"],
      ["/sse/news", { Authorization: "Bearer x.y.z" }, 401, "invalid_token"],
    ];
    for (const [path, headers, status, code] of cases) {
      const r = await rawGet(server.url + path, headers);
      assert.equal(r.status, status, path);
      assert.equal(r.body.error.code, code, path);
    }
    const post = await fetch(`${server.url}/sse/news`, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal((await publish(server.url, "nope", { data: 1 })).status, 404);
    assert.equal((await publish(server.url, "news", { data: 1, text: "x" })).status, 400);
    assert.equal((await publish(server.url, "news", { event: "a\nb", data: 1 })).status, 400);
    const bad = await fetch(`${server.url}/api/sse/news`, { method: "POST", headers: { "x-api-key": "test-key" }, body: "{" });
    assert.equal(bad.status, 400);
    assert.equal((await publish(server.url, "news", { data: 1 }, "wrong-key")).status, 401);
    await publish(server.url, "news", { event: "still", data: "served" });
    await got.count("still", 1);
  });
});
