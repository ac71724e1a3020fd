// Connection state recovery in a Redis cluster, coming back to the same node:
// the broadcasts another node sent while the client was away are in the shared
// Redis Stream, so the client gets what it missed, whichever node sent it.
// (Recovery on another node: cluster_recovery_shared.test.mjs.)
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { io } from "socket.io-client";
import { startCluster } from "./lib/cluster.mjs";
import { apiEmit, namespace, once, sleep } from "./lib/server.mjs";

let cluster;
let nodes = [];
before(async () => {
  cluster = await startCluster({
    engine: "redis",
    nodes: 2,
    config: `[socketio.recovery]
enabled = true
[auth]
allow_anonymous = true
[api]
keys = ["test-key"]
${namespace("/")}`,
  });
  nodes = cluster.nodes;
});
after(() => cluster?.stop());

it("a client recovers, on its node, the broadcasts another node sent while it was away", async () => {
  const s = io(nodes[1].url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  await once(s, "connect");
  const got = [];
  s.on("news", (n, offset) => got.push([n, typeof offset]));
  assert.equal(await s.emitWithAck("join", "r1"), true);
  const first = once(s, "news");
  await apiEmit(nodes[0].url, { room: "r1", event: "news", data: 0 });
  await first;

  const gone = once(s, "disconnect");
  s.emit("drop");
  await gone;
  for (let n = 1; n <= 3; n++) await apiEmit(nodes[0].url, { room: "r1", event: "news", data: n });
  await sleep(200); // the broadcasts reach node 1 through Redis

  s.connect();
  await once(s, "connect");
  assert.equal(s.recovered, true);
  await apiEmit(nodes[0].url, { room: "r1", event: "news", data: 4 });
  await sleep(300);
  assert.deepEqual(
    got.map(([n]) => n),
    [0, 1, 2, 3, 4],
  );
  assert.ok(got.every(([, t]) => t === "string"), "each broadcast carries an offset");
  s.disconnect();
});
