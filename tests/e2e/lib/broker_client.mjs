// A plain client of a broker from lib/brokers.mjs (node-redis, or the NATS
// client), next to the cluster nodes: it sees what they publish and injects
// raw messages, as an independent peer would.
import { createClient } from "redis";
import { connect as natsConnect } from "@nats-io/transport-node";

// `broker`: { kind: "redis" | "nats", url, port }. subscribe(channel, fn)
// calls fn(text, channel) per message and resolves once the broker has the
// subscription (a Redis channel with "*" is a PSUBSCRIBE pattern; a NATS
// subject may hold NATS wildcards). publish(channel, data): a string or bytes.
export async function brokerClient(broker) {
  if (broker.kind === "nats") {
    const nc = await natsConnect({ servers: `127.0.0.1:${broker.port}` });
    return {
      async publish(subject, data) {
        nc.publish(subject, data);
        await nc.flush();
      },
      async subscribe(subject, fn) {
        nc.subscribe(subject, { callback: (_e, m) => fn(m.string(), m.subject) });
        await nc.flush();
      },
      close: () => nc.close(),
    };
  }
  // Redis: a subscribed connection cannot publish; each is opened when first needed.
  const conns = {};
  const conn = (role) =>
    (conns[role] ??= (async () => {
      const c = createClient({ url: broker.url });
      c.on("error", () => {});
      await c.connect();
      return c;
    })());
  return {
    publish: async (channel, data) => (await conn("pub")).publish(channel, data),
    async subscribe(channel, fn) {
      const sub = await conn("sub");
      if (channel.includes("*")) await sub.pSubscribe(channel, (m, ch) => fn(m, String(ch)));
      else await sub.subscribe(channel, (m, ch) => fn(m, String(ch)));
    },
    async close() {
      for (const c of await Promise.all(Object.values(conns))) c.destroy();
    },
  };
}
