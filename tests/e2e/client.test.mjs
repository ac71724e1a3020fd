// The official socket.io-client against switchboard: transports, upgrade,
// events and acks both ways, binary, namespaces, the exception event, reconnection.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { io } from "socket.io-client";
import { connect, connectError, namespace, once, sleep, startServer } from "./lib/server.mjs";

let server;
before(async () => {
  server = await startServer(`
[engineio]
cors_origins = ["*"]
[auth]
allow_anonymous = true
${namespace("/")}
${namespace("/admin")}
${namespace("/any", '"*" = "echo:any-back"')}
`);
});
after(async () => {
  const r = await server.stop();
  assert.equal(r.code, 0, server.logs());
});

for (const [label, transports] of [
  ["polling", ["polling"]],
  ["websocket", ["websocket"]],
  ["polling then upgrade", ["polling", "websocket"]],
]) {
  describe(`over ${label}`, () => {
    let s;
    let authEvent;
    before(async () => {
      s = io(server.url, { forceNew: true, reconnection: false, transports, auth: { n: 1, tag: label } });
      authEvent = once(s, "auth");
      await once(s, "connect");
    });
    after(() => s.disconnect());

    it("connects and gets the connection hook's emit with its auth payload", async () => {
      assert.ok(s.id);
      assert.deepEqual(await authEvent, { n: 1, tag: label });
    });

    it("ends on the expected transport", async () => {
      if (transports.length === 2) {
        if (s.io.engine.transport.name !== "websocket") await once(s.io.engine, "upgrade");
        assert.equal(s.io.engine.transport.name, "websocket");
      } else {
        assert.equal(s.io.engine.transport.name, transports[0]);
      }
    });

    it("echoes events with mixed arguments", async () => {
      s.emit("message", 1, "2", { 3: [true, null, 4.5] });
      const args = await once(s, "message-back");
      assert.deepEqual(args, [1, "2", { 3: [true, null, 4.5] }]);
    });

    it("answers client acks", async () => {
      const r = await s.timeout(3000).emitWithAck("message-with-ack", "a", { b: 2 });
      assert.equal(r, "a");
      const all = await new Promise((res) => s.emit("message-with-ack", 1, 2, 3, (...a) => res(a)));
      assert.deepEqual(all, [1, 2, 3]);
    });

    it("sends binary both ways, nested and several attachments", async () => {
      const a = Buffer.from([1, 2, 3]);
      const b = Buffer.alloc(2000, 7);
      s.emit("message", a, { nested: [b, "x"] });
      const [ra, rb] = await once(s, "message-back");
      assert.deepEqual(Buffer.from(ra), a);
      assert.deepEqual(Buffer.from(rb.nested[0]), b);
      assert.equal(rb.nested[1], "x");
    });

    it("returns binary acks", async () => {
      const r = await s.timeout(3000).emitWithAck("message-with-ack", Buffer.from([9, 8]));
      assert.deepEqual(Buffer.from(r), Buffer.from([9, 8]));
    });

    it("collects a server-side emit's ack", async () => {
      s.once("ping-me", (x, cb) => cb("pong", x));
      const r = await s.timeout(3000).emitWithAck("server_ack", "ping-me", 2000, 42);
      assert.deepEqual(r, { ok: true, args: ["pong", 42] });
    });

    it("times out a server-side emit nobody acks", async () => {
      s.once("ignored", () => {});
      const r = await s.timeout(3000).emitWithAck("server_ack", "ignored", 200);
      assert.deepEqual(r, { ok: false, error: "operation has timed out" });
    });

    it("reports a failed handler as an `exception` event and stays connected", async () => {
      s.emit("throw", "bad input");
      const e = await once(s, "exception");
      assert.deepEqual(e, { status: "error", message: "bad input", cause: { pattern: "throw", data: "bad input" } });
      s.emit("throw", 5);
      const e2 = await once(s, "exception");
      assert.equal(e2.message, "Internal server error");
      s.emit("message", "still here");
      assert.equal(await once(s, "message-back"), "still here");
      assert.ok(s.connected);
    });
  });
}

describe("namespaces", () => {
  it("multiplexes namespaces over one connection and passes the auth payload", async () => {
    const main = await connect(server.url, { auth: { user: "a" } });
    const admin = main.io.socket("/admin", { auth: { user: "b" } });
    const auth = await once(admin, "auth");
    assert.deepEqual(auth, { user: "b" });
    assert.equal(main.io.engine, admin.io.engine);
    admin.emit("message", "hi admin");
    assert.equal(await once(admin, "message-back"), "hi admin");
    admin.disconnect();
    main.emit("message", "main still works");
    assert.equal(await once(main, "message-back"), "main still works");
    main.disconnect();
  });

  it("refuses an unknown namespace with `Invalid namespace`", async () => {
    const e = await connectError(`${server.url}/nope`);
    assert.equal(e.message, "Invalid namespace");
  });
});

describe("catch-all", () => {
  it("sends events no binding names to the `*` handler, the others to theirs", async () => {
    const s = await connect(`${server.url}/any`, { transports: ["websocket"] });
    s.emit("anything", 1, { two: 2 });
    assert.deepEqual(await once(s, "any-back"), [1, { two: 2 }]);
    s.emit("message", "named");
    assert.equal(await once(s, "message-back"), "named");
    s.disconnect();
  });
});

describe("reconnection", () => {
  it("reconnects after the server drops the transport", async () => {
    for (const transports of [["websocket"], ["polling"]]) {
      const s = await connect(server.url, { transports, reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 });
      try {
        const first = s.id;
        s.emit("drop");
        const args = await once(s, "disconnect");
        const reason = Array.isArray(args) ? args[0] : args;
        assert.equal(reason, "transport close");
        await once(s, "connect");
        assert.notEqual(s.id, first);
        s.emit("message", "back");
        assert.equal(await once(s, "message-back"), "back");
      } finally {
        s.disconnect(); // a failed check must not leave a reconnecting client behind
      }
    }
  });
});

describe("server-side disconnect", () => {
  it("gives the client `io server disconnect` and no automatic reconnection", async () => {
    for (const transports of [["websocket"], ["polling"]]) {
      const s = await connect(server.url, { transports, reconnection: true, reconnectionDelay: 50 });
      try {
        s.emit("kick");
        const args = await once(s, "disconnect");
        assert.equal(Array.isArray(args) ? args[0] : args, "io server disconnect");
        await sleep(300);
        assert.equal(s.connected, false);
      } finally {
        s.disconnect();
      }
    }
  });

  it("closes the whole connection, other namespaces included, when asked", async () => {
    const main = await connect(server.url, { transports: ["websocket"] });
    const admin = main.io.socket("/admin");
    await once(admin, "connect");
    const both = Promise.all([once(main, "disconnect"), once(admin, "disconnect")]);
    main.emit("kick", true);
    const [a, b] = await both;
    const reason = (x) => (Array.isArray(x) ? x[0] : x);
    assert.equal(reason(a), "io server disconnect");
    assert.equal(reason(b), "io server disconnect");
    main.disconnect();
  });
});

describe("many clients on two workers", () => {
  it("serves 40 polling and websocket clients with upgrades", async () => {
    const clients = await Promise.all(
      Array.from({ length: 40 }, (_, i) => connect(server.url, { transports: i % 2 ? ["websocket"] : ["polling", "websocket"] })),
    );
    const replies = await Promise.all(
      clients.map(async (c, i) => {
        c.emit("message", i);
        return once(c, "message-back");
      }),
    );
    assert.deepEqual(replies, Array.from({ length: 40 }, (_, i) => i));
    clients.forEach((c) => c.disconnect());
  });
});
