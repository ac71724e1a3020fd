// A real NestJS microservice and client (@nestjs/microservices) for the
// end-to-end tests. Decorators are applied as functions (plain .mjs, no
// TypeScript): the result is what `@MessagePattern` / `@EventPattern` build.
import "reflect-metadata";
import { Controller, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { ClientProxyFactory, EventPattern, MessagePattern, Transport } from "@nestjs/microservices";
import { logLevel as kafkaLogLevel, Partitioners } from "kafkajs";
import { firstValueFrom } from "rxjs";

export { Transport };

// `port`: the Redis or NATS port; for Kafka the bootstrap servers ("host:port").
function transportOptions(transport, port) {
  if (transport === Transport.REDIS) return { host: "127.0.0.1", port };
  if (transport === Transport.KAFKA) {
    return {
      client: { brokers: [port], clientId: "e2e", logLevel: kafkaLogLevel.NOTHING },
      // Short heartbeats so group joins and leaves settle fast; fromBeginning:
      // a handler's group that joins after a message was produced still gets it.
      // maxWaitTimeInMs: librdkafka's mock answers a fetch only when it runs out.
      consumer: { groupId: "e2e", sessionTimeout: 10000, heartbeatInterval: 500, maxWaitTimeInMs: 100 },
      subscribe: { fromBeginning: true },
      producer: { createPartitioner: Partitioners.DefaultPartitioner },
    };
  }
  return { servers: [`nats://127.0.0.1:${port}`] };
}

// handlers: { "math.sum": { kind: "message", fn }, "chat.messages": { kind: "event", fn } }
export async function startNestService(transport, port, handlers) {
  class Handlers {}
  for (const [pattern, { kind, fn }] of Object.entries(handlers)) {
    const key = `h_${pattern.replace(/\W/g, "_")}`;
    Handlers.prototype[key] = fn;
    const deco = kind === "event" ? EventPattern(pattern) : MessagePattern(pattern);
    deco(Handlers.prototype, key, Object.getOwnPropertyDescriptor(Handlers.prototype, key));
  }
  Controller()(Handlers);
  class AppModule {}
  Module({ controllers: [Handlers] })(AppModule);
  const app = await NestFactory.createMicroservice(AppModule, {
    transport,
    options: transportOptions(transport, port),
    logger: false,
  });
  await app.listen();
  return app;
}

// Kafka: `replies` lists the patterns this client will send() (Nest reads their
// replies from `<pattern>.reply`); without any, the client only produces.
export async function nestClient(transport, port, { replies = [] } = {}) {
  const options = transportOptions(transport, port);
  if (transport === Transport.KAFKA) options.producerOnlyMode = replies.length === 0;
  const client = ClientProxyFactory.create({ transport, options });
  for (const p of replies) client.subscribeToResponseOf(p);
  await client.connect();
  if (replies.length > 0) {
    // send() needs the reply partitions, known once the client's group joined.
    const deadline = Date.now() + 20000;
    const assigned = () => client.getConsumerAssignments();
    while (!replies.every((p) => `${p}.reply` in assigned())) {
      if (Date.now() > deadline) throw new Error("ClientKafka: reply topics not assigned");
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    emit: (pattern, data) => firstValueFrom(client.emit(pattern, data), { defaultValue: undefined }),
    send: (pattern, data) => firstValueFrom(client.send(pattern, data)),
    close: () => client.close(),
  };
}
