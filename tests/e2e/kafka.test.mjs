// Kafka end to end with real npm clients: a NestJS service and client
// (@nestjs/microservices Transport.KAFKA, on kafkajs) and plain kafkajs reach
// socket.io-client users through Switchboard, and Switchboard's clients reach
// them. No Kafka server is packaged for Debian: the Kafka server is
// librdkafka's mock cluster (sb-kafka-mock), which speaks the real Kafka
// protocol over loopback TCP.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { connect, sleep, startServer, waitFor } from "./lib/server.mjs";
import { startKafkaMock } from "./lib/brokers.mjs";
import { nestClient, startNestService, Transport } from "./lib/nest.mjs";

const cleanup = [];
let kafka, server, kjs, nest;
const nestEvents = [];

async function readyz() {
  const r = await fetch(`${server.url}/readyz`);
  return { status: r.status, body: await r.json() };
}
// Polls longer than the shared default.
const until = (pred, what, timeoutMs = 15000) => waitFor(pred, what, timeoutMs);
function collect(socket, event) {
  const got = [];
  socket.on(event, (...args) => got.push(args.length === 1 ? args[0] : args));
  Object.defineProperty(got, "count", {
    value: (n, what = event) => until(() => got.length >= n, `${n} "${what}"`),
  });
  return got;
}

before(async () => {
  // Topics exist before anyone subscribes (the mock has no auto-creation that
  // kafkajs consumers would trigger); NestJS replies go to `<topic>.reply`.
  kafka = await startKafkaMock([
    "orders.placed:3",
    "orders.shipped",
    "orders.updated",
    "orders.updated.reply",
    "math.sum",
    "math.sum.reply",
    "math.stats",
    "math.stats.reply",
    "chat.messages:2",
  ]);
  cleanup.push(() => kafka.stop());
  server = await startServer(`
[auth]
allow_anonymous = true
[[socketio.namespaces]]
name = "/"
[socketio.namespaces.events]
join = "join"

[[brokers]]
name = "kafka"
kind = "kafka"
url = "${kafka.bootstrap}"
group_id = "switchboard-e2e"
request_timeout_ms = 10000
[brokers.options]
# The group starts at the beginning of each partition (default: latest), so a
# message produced while the group is still joining is not skipped.
"auto.offset.reset" = "earliest"
"topic.metadata.refresh.interval.ms" = "1000"
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "500"
"fetch.wait.max.ms" = "50"
"linger.ms" = "1"

[[routes]]
from = "broker:orders.*"
to = "room:orders"
event = "{event}"

[[routes]]
from = "client:math.sum"
to = "broker:math.sum"
reply = true

[[routes]]
from = "client:math.stats"
to = "broker:math.stats"
reply = true

[[routes]]
from = "client:chat.send"
to = "broker:chat.messages"
include_sender = true
`);
  cleanup.push(() => server.stop());
  kjs = new Kafka({ brokers: [kafka.bootstrap], clientId: "e2e-kafkajs", logLevel: logLevel.NOTHING });
  // Each joins its consumer group (about 3 s on the mock): in parallel.
  const [app, client] = await Promise.all([
    startNestService(Transport.KAFKA, kafka.bootstrap, {
      "math.sum": { kind: "message", fn: (d) => d.reduce((a, x) => a + x, 0) },
      "math.stats": { kind: "message", fn: (d) => ({ sum: d.reduce((a, x) => a + x, 0), count: d.length }) },
      "chat.messages": { kind: "event", fn: (d) => void nestEvents.push(d) },
    }),
    // A NestJS ClientKafka that send()s: it reads the replies to these patterns.
    nestClient(Transport.KAFKA, kafka.bootstrap, { replies: ["orders.updated", "math.sum"] }),
  ]);
  nest = client;
  cleanup.push(() => app.close(), () => nest.close());
  await until(async () => (await readyz()).status === 200, "the kafka broker up");
});

after(async () => {
  for (const f of cleanup.reverse()) {
    let t;
    const bounded = new Promise((r) => (t = setTimeout(() => r(`cleanup step timed out: ${f}`), 5000)));
    const r = await Promise.race([Promise.resolve().then(f).catch((e) => console.error(e)), bounded]);
    clearTimeout(t);
    if (typeof r === "string" && r.startsWith("cleanup")) console.error(r);
  }
});

describe("Kafka to socket.io clients", () => {
  let s;
  before(async () => {
    s = await connect(server.url);
    cleanup.push(() => s.close());
    await s.emitWithAck("join", "orders");
  });

  it("delivers a NestJS ClientKafka emit() through a route", async () => {
    const got = collect(s, "orders.placed");
    const client = await nestClient(Transport.KAFKA, kafka.bootstrap);
    cleanup.push(() => client.close());
    await client.emit("orders.placed", { id: 7 });
    await client.emit("orders.placed", { id: 8 });
    await got.count(2);
    // orders.placed has 3 partitions: no order between the two.
    assert.deepEqual(got.map((o) => o.id).sort(), [7, 8]);
  });

  it("delivers a plain kafkajs producer's message through a route", async () => {
    const shipped = collect(s, "orders.shipped");
    const producer = kjs.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    await producer.send({
      topic: "orders.shipped",
      messages: [{ key: "o-9", value: JSON.stringify({ id: 9, carrier: "dhl" }) }],
    });
    await shipped.count(1);
    assert.deepEqual(shipped, [{ id: 9, carrier: "dhl" }]);
  });

  it("answers a NestJS ClientKafka send() with the number of deliveries", async () => {
    const updated = collect(s, "orders.updated");
    assert.deepEqual(await nest.send("orders.updated", { id: 10 }), { delivered: 1 });
    await updated.count(1);
    assert.deepEqual(updated, [{ id: 10 }]);
  });
});

describe("socket.io clients to Kafka", () => {
  it("publishes a client event to a topic that a kafkajs consumer reads", async () => {
    const consumer = kjs.consumer({
      groupId: "e2e-reader",
      sessionTimeout: 10000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100, // the mock answers a fetch only when this runs out
    });
    await consumer.connect();
    cleanup.push(() => consumer.disconnect());
    await consumer.subscribe({ topics: ["chat.messages"], fromBeginning: true });
    const records = [];
    await consumer.run({
      eachMessage: async ({ topic, message }) =>
        void records.push({ topic, value: JSON.parse(message.value.toString()) }),
    });
    const s = await connect(server.url);
    cleanup.push(() => s.close());
    const ack = await s.timeout(10000).emitWithAck("chat.send", { text: "hi kafka" });
    assert.deepEqual(ack, { delivered: 1 });
    await until(() => records.length >= 1, "the kafkajs consumer");
    assert.deepEqual(records[0], {
      topic: "chat.messages",
      value: { user: null, socket: s.id, data: { text: "hi kafka" } },
    });
    // The same event reached the NestJS @EventPattern handler (its own group).
    await until(() => nestEvents.some((e) => e.socket === s.id), "the Nest event handler");
  });

  it("returns a NestJS @MessagePattern handler's answer as the client's ack", async () => {
    const s = await connect(server.url);
    cleanup.push(() => s.close());
    assert.deepEqual(await s.timeout(15000).emitWithAck("math.stats", [1, 2, 3, 4]), { sum: 10, count: 4 });
    assert.deepEqual(await s.timeout(5000).emitWithAck("math.stats", [5]), { sum: 5, count: 1 });
    // Nest's Kafka transport sends a scalar as its text and parses only values
    // starting with { or [: the ack is what a NestJS ClientKafka send() gets.
    const ack = await s.timeout(5000).emitWithAck("math.sum", [1, 2, 3, 4]);
    assert.equal(ack, "10");
    assert.equal(await nest.send("math.sum", [1, 2, 3, 4]), ack);
  });
});
