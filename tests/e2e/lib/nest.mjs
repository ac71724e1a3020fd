// A real NestJS microservice and client (@nestjs/microservices) for the
// end-to-end tests. Decorators are applied as functions (plain .mjs, no
// TypeScript): the result is what `@MessagePattern` / `@EventPattern` build.
import "reflect-metadata";
import { Controller, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { ClientProxyFactory, EventPattern, MessagePattern, Transport } from "@nestjs/microservices";
import { firstValueFrom } from "rxjs";

export { Transport };

function transportOptions(transport, port) {
  if (transport === Transport.REDIS) return { host: "127.0.0.1", port };
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

export async function nestClient(transport, port) {
  const client = ClientProxyFactory.create({ transport, options: transportOptions(transport, port) });
  await client.connect();
  return {
    emit: (pattern, data) => firstValueFrom(client.emit(pattern, data), { defaultValue: undefined }),
    send: (pattern, data) => firstValueFrom(client.send(pattern, data)),
    close: () => client.close(),
  };
}
