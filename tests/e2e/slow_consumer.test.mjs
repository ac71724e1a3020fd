// Slow consumers: a raw Engine.IO WebSocket client joins a room and stops
// reading (its socket is paused) while the room gets a flood. Its outbound
// queue is bounded (limits.max_outbound_bytes): the server's queued bytes and
// memory stay bounded, it is closed with 1008 "slow consumer" (counted), and
// a member that reads gets every message in order.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { connect, metric, namespace, startServer, waitFor } from "./lib/server.mjs";

const BOUND = 1024 * 1024;
const MESSAGES = 4000;
const PAYLOAD = "x".repeat(16 * 1024); // 64 MB in all: far beyond the bound and the kernel's buffers

let server;
before(async () => {
  server = await startServer(`
[limits]
max_outbound_bytes = ${BOUND}
events_per_second = 0
[engineio]
ping_interval_ms = 60000
ping_timeout_ms = 60000
[auth]
allow_anonymous = true
${namespace("/")}
`);
});
after(() => server.stop());

function rssBytes() {
  const status = readFileSync(`/proc/${server.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

// A raw Engine.IO + Socket.IO client over `ws` that joins `room`.
async function rawMember(room) {
  const w = new WebSocket(`${server.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`);
  const texts = [];
  let wake = () => {};
  w.on("message", (d, bin) => {
    if (!bin) texts.push(d.toString());
    wake();
  });
  w.on("error", () => {});
  const closed = new Promise((r) => w.on("close", (code, reason) => r({ code, reason: reason.toString() })));
  const next = (pred) =>
    waitFor(() => {
      const i = texts.findIndex(pred);
      return i >= 0 ? texts.splice(i, 1)[0] : null;
    }, "a frame");
  await next((t) => t.startsWith("0{"));
  w.send("40");
  await next((t) => t.startsWith("40"));
  w.send(`421["join","${room}"]`);
  await next((t) => t === "431[true]");
  return { w, closed };
}

describe("slow consumer", () => {
  it("is cut with a reason while the others get everything and memory stays bounded", async () => {
    const slow = await rawMember("flood");
    const good = await connect(server.url, { transports: ["websocket"] });
    assert.equal(await good.emitWithAck("join", "flood"), true);
    const sender = await connect(server.url, { transports: ["websocket"] });
    let received = 0;
    let inOrder = true;
    let progressed = () => {};
    good.on("flood", (i) => {
      if (i !== received) inOrder = false;
      received++;
      progressed();
    });

    slow.w._socket.pause(); // stops reading: the kernel buffers fill, then our queue
    const rssBefore = rssBytes();
    let maxQueued = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          maxQueued = Math.max(maxQueued, await metric(server.url, "switchboard_outbound_queued_bytes"));
        } catch {
          return; // the server is gone: the test has failed already
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    let rssGrowth;
    try {
      // The flood, paced by what the reading member has read (at most WINDOW
      // messages ahead of it, well under BOUND), so that only the paused member
      // overflows however slow this machine is. Acks alone would not pace it:
      // the server acks once the message is queued, not once it is read.
      const WINDOW = 16;
      for (let i = 0; i < MESSAGES; i++) {
        while (i - received >= WINDOW) await new Promise((r) => (progressed = r));
        sender.emit("to_room", "flood", "flood", i, PAYLOAD);
      }
      await waitFor(() => received === MESSAGES, `all ${MESSAGES} messages at the reading member`, 60000);
      assert.ok(inOrder, "in order");
      await waitFor(async () => (await metric(server.url, "switchboard_slow_consumers_total")) >= 1, "the cut");
      rssGrowth = rssBytes() - rssBefore;
    } finally {
      sampling = false;
      await sampler;
    }

    // It reads again: what was in flight, then the close frame with the reason.
    slow.w._socket.resume();
    const { code, reason } = await slow.closed;
    assert.equal(code, 1008);
    assert.equal(reason, "slow consumer");

    // Bounded: a few connections' queues at most (each is cut past BOUND), and
    // nowhere near the flood's 64 MB kept in memory.
    assert.ok(maxQueued <= 3 * BOUND + 64 * 1024, `queued bytes peaked at ${maxQueued}`);
    assert.ok(rssGrowth < 32 * 1024 * 1024, `RSS grew by ${rssGrowth} bytes`);
    assert.equal(await metric(server.url, "switchboard_slow_consumers_total"), 1);
    good.disconnect();
    sender.disconnect();
  });
});

describe("slow consumer over long-polling", () => {
  it("is closed once what waits for its next GET passes the bound; that GET gets the close packet", async () => {
    const base = `${server.url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const sid = JSON.parse(open.slice(1)).sid;
    const url = `${base}&sid=${sid}`;
    const post = (body) => fetch(url, { method: "POST", body }).then((r) => r.text());
    assert.equal(await post("40"), "ok");
    assert.match(await (await fetch(url)).text(), /^40\{"sid"/);
    assert.equal(await post('421["join","polled"]'), "ok");
    assert.equal(await (await fetch(url)).text(), "431[true]");

    const before = await metric(server.url, "switchboard_slow_consumers_total");
    const sender = await connect(server.url, { transports: ["websocket"] });
    // No GET meanwhile: the packets wait in the session's queue, 16 KB each.
    for (let i = 0; i < 200; i++) await sender.emitWithAck("to_room", "polled", "flood", i, PAYLOAD);
    await waitFor(async () => (await metric(server.url, "switchboard_slow_consumers_total")) === before + 1, "the cut");
    assert.equal(await (await fetch(url)).text(), "1"); // the close packet, not megabytes of backlog
    sender.disconnect();
  });
});
