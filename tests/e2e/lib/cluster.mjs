// A Switchboard cluster for the end-to-end tests: switchboard processes that
// share one real broker (lib/brokers.mjs) through [cluster], started and
// stopped together.
import { startBroker } from "./brokers.mjs";
import { startServer, waitFor } from "./server.mjs";

// The [[brokers]] entry "cluster" for `broker` ({ kind, url }) and the
// [cluster] table that uses it; `extra`: more [cluster] keys.
export function clusterConfig(broker, extra = "") {
  return `
[[brokers]]
name = "cluster"
kind = "${broker.kind}"
url = "${broker.url}"

[cluster]
enabled = true
broker = "cluster"
${extra}
`;
}

// Starts a broker of kind `engine` ("redis" or "nats", with JetStream if
// `jetstream`), or uses `broker` (one already running, left running), then
// `nodes` switchboard processes with `config` (their sections other than
// [server] and the cluster's, which is clusterConfig(broker, cluster)), and
// waits until every node's /readyz says it reached the broker. Resolves with
// { broker, nodes, stop() }: stop() stops the nodes (SIGTERM and a clean exit
// checked; a node already ended is skipped), then the broker it started. If
// anything fails on the way, what started is stopped.
export async function startCluster({
  engine = "redis",
  jetstream = false,
  broker,
  nodes = 2,
  config = "",
  cluster = "",
  readyTimeoutMs = 20000,
} = {}) {
  const ownBroker = !broker;
  broker ??= await startBroker(engine, { jetstream });
  const toml = `${config}\n${clusterConfig(broker, cluster)}`;
  const started = await Promise.allSettled(Array.from({ length: nodes }, () => startServer(toml)));
  const up = started.filter((r) => r.status === "fulfilled").map((r) => r.value);
  const c = {
    broker,
    nodes: up,
    async stop() {
      try {
        await Promise.all(up.map((n) => n.stop()));
      } finally {
        if (ownBroker) await broker.stop();
      }
    },
  };
  try {
    const failed = started.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    await waitFor(
      async () => (await Promise.all(up.map((n) => fetch(`${n.url}/readyz`)))).every((r) => r.status === 200),
      "every node's cluster broker up (/readyz)",
      readyTimeoutMs,
    );
  } catch (e) {
    await c.stop().catch(() => {});
    throw e;
  }
  return c;
}

// Each node's cluster node id (GET /api/node with API key `key`).
export function clusterNodeIds(nodes, key = "test-key") {
  const nodeInfo = async (n) => (await fetch(`${n.url}/api/node`, { headers: { "x-api-key": key } })).json();
  return Promise.all(nodes.map(async (n) => (await nodeInfo(n)).cluster.node));
}
