// Bad input: each case gets its protocol's error, and a well-behaved client
// connected all the while keeps being served. (The ping timeout is generous so
// that the good client survives a loaded CI machine; the interval is short.)
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { connect, namespace, once, sleep, startServer } from "./lib/server.mjs";

let server;
let good;
async function goodStillServed() {
  const n = Math.random();
  good.emit("message", n);
  assert.equal(await once(good, "message-back"), n);
}
before(async () => {
  server = await startServer(`
[engineio]
ping_interval_ms = 300
ping_timeout_ms = 1000
max_payload = 100000
[auth]
allow_anonymous = true
${namespace("/")}
`);
  good = await connect(server.url, { transports: ["websocket"] });
});
after(async () => {
  good.disconnect();
  const r = await server.stop();
  assert.equal(r.code, 0, server.logs());
});

function wsUrl(query = "EIO=4&transport=websocket") {
  return `${server.url.replace("http", "ws")}/socket.io/?${query}`;
}

// Opens a raw Engine.IO WebSocket and collects text frames.
function rawWs(query) {
  return new Promise((resolve, reject) => {
    const w = new WebSocket(wsUrl(query));
    const msgs = [];
    const closed = new Promise((r) => w.on("close", (code) => r(code)));
    w.on("message", (d, bin) => msgs.push(bin ? d : d.toString()));
    w.on("error", () => {});
    w.on("open", () => resolve({ w, msgs, closed }));
    w.on("unexpected-response", (req, res) => reject(Object.assign(new Error("refused"), { status: res.statusCode })));
  });
}

async function closesWithin(closed, ms = 2000) {
  return Promise.race([closed, sleep(ms).then(() => "still open")]);
}

describe("Engine.IO HTTP errors", () => {
  it("answers each with the spec's status and JSON", async () => {
    const base = `${server.url}/socket.io/`;
    const cases = [
      ["?EIO=4", "GET", 400, { code: 0, message: "Transport unknown" }],
      ["?EIO=4&transport=abc", "GET", 400, { code: 0, message: "Transport unknown" }],
      ["?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", "GET", 400, { code: 1, message: "Session ID unknown" }],
      ["?EIO=4&transport=polling&sid=short", "GET", 400, { code: 1, message: "Session ID unknown" }],
      ["?EIO=4&transport=polling", "POST", 400, { code: 2, message: "Bad handshake method" }],
      ["?EIO=4&transport=polling", "PUT", 400, { code: 2, message: "Bad handshake method" }],
      ["?EIO=4&transport=websocket", "GET", 400, { code: 3, message: "Bad request" }],
      ["?transport=polling", "GET", 400, { code: 5, message: "Unsupported protocol version" }],
      ["?EIO=3&transport=polling", "GET", 400, { code: 5, message: "Unsupported protocol version" }],
    ];
    for (const [q, method, status, body] of cases) {
      const r = await fetch(base + q, { method });
      assert.equal(r.status, status, q);
      assert.deepEqual(await r.json(), body, q);
    }
    await goodStillServed();
  });

  it("refuses an oversized POST with 413 and keeps the session", async () => {
    const open = await (await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`)).text();
    const sid = JSON.parse(open.slice(1)).sid;
    const big = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "4" + "x".repeat(200000) });
    assert.equal(big.status, 413);
    const ok = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "40" });
    assert.equal(ok.status, 200);
    assert.match(await (await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`)).text(), /(^|\x1e)40\{"sid":/); // a ping may come first
  });

  it("closes a session on an invalid polling packet", async () => {
    const open = await (await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`)).text();
    const sid = JSON.parse(open.slice(1)).sid;
    const bad = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "abc" });
    assert.equal(bad.status, 400);
    const after = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
    assert.equal(after.status, 400);
    await goodStillServed();
  });

  it("refuses a WebSocket upgrade with an unknown sid or transport", async () => {
    await assert.rejects(rawWs("EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA"), (e) => e.status === 400);
    await assert.rejects(rawWs("EIO=4&transport=abc"), (e) => e.status === 400);
    await assert.rejects(rawWs("transport=websocket"), (e) => e.status === 400);
  });
});

describe("garbage on a WebSocket", () => {
  for (const [label, frames] of [
    ["unknown Engine.IO type", ["x"]],
    ["unknown Socket.IO type", ["40", "49"]],
    ["invalid JSON", ["40", "42abc"]],
    ["truncated JSON", ["40", '42["message"']],
    ["event payload that is not an array", ["40", "42{}"]],
    ["reserved event name", ["40", '42["disconnect"]']],
    ["event before CONNECT", ['42["message",1]']],
    ["bad attachment count", ["40", '45x-["a"]']],
    ["placeholders that do not match", ["40", '451-["a",{"_placeholder":true,"num":3}]']],
    ["text while an attachment is expected", ["40", '451-["a",{"_placeholder":true,"num":0}]', '42["a"]']],
    ["a client ping (v4 pings go server to client)", ["2"]],
  ]) {
    it(`closes the client on ${label}`, async () => {
      const c = await rawWs();
      for (const f of frames) c.w.send(f);
      assert.notEqual(await closesWithin(c.closed), "still open");
      await goodStillServed();
    });
  }

  it("closes with 1009 on a message above maxPayload", async () => {
    const c = await rawWs();
    c.w.send("4" + "x".repeat(100001));
    assert.equal(await closesWithin(c.closed), 1009);
    await goodStillServed();
  });

  it("refuses an unknown namespace with CONNECT_ERROR and keeps the connection", async () => {
    const c = await rawWs();
    c.w.send("40/nope,");
    c.w.send("40");
    await sleep(200);
    assert.ok(c.msgs.includes('44/nope,{"message":"Invalid namespace"}'), c.msgs.join("|"));
    assert.ok(c.msgs.some((m) => m.startsWith('40{"sid":')));
    c.w.close();
  });

  it("closes a client that never answers pings after pingInterval + pingTimeout", async () => {
    const c = await rawWs();
    const t0 = Date.now();
    const code = await closesWithin(c.closed, 3000);
    assert.notEqual(code, "still open");
    assert.ok(Date.now() - t0 >= 1250, "not before pingInterval + pingTimeout");
    assert.ok(c.msgs.includes("2"), "was pinged");
    await goodStillServed();
  });
});

describe("garbage over TCP", () => {
  it("answers a non-HTTP request with 400 and closes", async () => {
    const s = net.connect(server.port, "127.0.0.1");
    s.write("GARBAGE\r\n\r\n");
    let data = "";
    s.on("data", (d) => (data += d));
    await new Promise((r) => s.on("close", r));
    assert.match(data, /^HTTP\/1\.1 400/);
    await goodStillServed();
  });

  it("answers huge headers with 431", async () => {
    const r = await fetch(`${server.url}/healthz`, { headers: { "x-big": "y".repeat(20000) } });
    assert.equal(r.status, 431);
    await goodStillServed();
  });

  it("survives a client that connects and sends half a request", async () => {
    const s = net.connect(server.port, "127.0.0.1");
    s.write("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n");
    await sleep(100);
    s.destroy();
    await goodStillServed();
  });
});
