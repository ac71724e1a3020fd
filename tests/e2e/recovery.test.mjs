// Connection state recovery (Socket.IO 4.6+): a client that drops and comes
// back within the window gets its id, its rooms and every room broadcast it
// missed, in order, with `socket.recovered === true`.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { io } from "socket.io-client";
import { apiEmit, namespace, once, sleep, startServer } from "./lib/server.mjs";

let server;
let shortWindow;
before(async () => {
  const base = `[auth]\nallow_anonymous = true\n[api]\nkeys = ["test-key"]\n${namespace("/")}`;
  server = await startServer(`[socketio.recovery]\nenabled = true\n${base}`);
  shortWindow = await startServer(`[socketio.recovery]\nenabled = true\nmax_disconnection_ms = 300\n${base}`);
});
after(async () => {
  await server.stop();
  await shortWindow.stop();
});

// A client that does not reconnect on its own, so the test decides when it comes back.
async function client(url, transports) {
  const s = io(url, { forceNew: true, reconnection: false, transports });
  await once(s, "connect");
  return s;
}

async function joinRoom(s, room) {
  assert.equal(await s.emitWithAck("join", room), true);
}

// Drops the transport from the server side and waits for the client to notice.
async function drop(s) {
  const gone = once(s, "disconnect");
  s.emit("drop");
  const args = await gone;
  assert.equal(Array.isArray(args) ? args[0] : args, "transport close");
}

for (const transports of [["websocket"], ["polling"]]) {
  describe(`recovery over ${transports[0]}`, () => {
    it("restores id and rooms and replays the missed broadcasts in order, once", async () => {
      const s = await client(server.url, transports);
      const got = [];
      s.on("news", (n, offset) => got.push([n, typeof offset]));
      await joinRoom(s, "r1");
      const first = once(s, "news");
      await apiEmit(server.url, { room: "r1", event: "news", data: 0 });
      await first;
      const id = s.id;

      await drop(s);
      for (let n = 1; n <= 5; n++) await apiEmit(server.url, { room: "r1", event: "news", data: n });
      await apiEmit(server.url, { room: "elsewhere", event: "news", data: "not for us" });
      await apiEmit(server.url, { broadcast: true, event: "news", data: 6 });

      s.connect();
      await once(s, "connect");
      assert.equal(s.recovered, true);
      assert.equal(s.id, id);
      await sleep(200);
      // Live broadcasts after the recovery still arrive (the room was restored), once.
      await apiEmit(server.url, { room: "r1", event: "news", data: 7 });
      await sleep(200);
      assert.deepEqual(
        got.map(([n]) => n),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
      assert.ok(got.every(([, t]) => t === "string"), "each broadcast carries its offset");
      s.disconnect();
    });
  });
}

describe("recovery limits", () => {
  it("does not recover after the window and gives a fresh session", async () => {
    const s = await client(shortWindow.url, ["websocket"]);
    await joinRoom(s, "r1");
    const first = once(s, "news");
    await apiEmit(shortWindow.url, { room: "r1", event: "news", data: 0 });
    await first;
    const id = s.id;
    await drop(s);
    await sleep(600);
    s.connect();
    await once(s, "connect");
    assert.equal(s.recovered, false);
    assert.notEqual(s.id, id);
    s.disconnect();
  });

  it("does not recover a client that left on purpose", async () => {
    const s = await client(server.url, ["websocket"]);
    await joinRoom(s, "r1");
    const first = once(s, "news");
    await apiEmit(server.url, { room: "r1", event: "news", data: 0 });
    await first;
    const id = s.id;
    s.disconnect();
    s.connect();
    await once(s, "connect");
    assert.equal(s.recovered, false);
    assert.notEqual(s.id, id);
    s.disconnect();
  });

  it("keeps the handshake auth free of pid and offset", async () => {
    const s = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { a: 1 } });
    const auth = await once(s, "auth");
    assert.deepEqual(auth, { a: 1 });
    await joinRoom(s, "r2");
    const first = once(s, "news");
    await apiEmit(server.url, { room: "r2", event: "news", data: 0 });
    await first;
    await drop(s);
    const again = once(s, "auth");
    s.connect();
    assert.deepEqual(await again, { a: 1 });
    assert.equal(s.recovered, true);
    s.disconnect();
  });
});
