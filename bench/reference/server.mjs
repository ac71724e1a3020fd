// Reference server for bench/: the official `socket.io` package (one Node
// process, single-threaded) configured like bench/switchboard.bench.toml:
//   namespace "/", anonymous clients allowed, HS256 JWT in auth.token (users
//   join `user:<sub>`), events join / leave / to_room / rtt (ack) / echo,
//   POST /api/emit with X-API-Key ({room|user, event, data|args}), /healthz,
//   pingInterval 25000 ms / pingTimeout 20000 ms (the Engine.IO defaults).
//   Also a minimal SSE endpoint, GET /sse/<stream>, fed by POST /api/emit
//   {"stream": "<stream>", "event", "data"}: it lets the load generator's SSE
//   client be checked before Switchboard serves /sse (not a socket.io feature).
//   With --redis <url>, nodes share rooms through the official Redis adapter
//   (@socket.io/redis-adapter over node-redis): the cluster scenario.
// Usage: node server.mjs --port 3100 [--host 127.0.0.1] [--jwt-secret s] [--api-key k]
//                        [--redis redis://127.0.0.1:6379]
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { Server } from "socket.io";

const opts = { host: "127.0.0.1", port: 3100, "jwt-secret": "bench-secret", "api-key": "bench-key",
  "ping-interval": 25000, "ping-timeout": 20000 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) opts[argv[i].replace(/^--/, "")] = argv[i + 1];

function b64urlJson(s) {
  return JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
}

// HS256 only, as in the bench config; exp / nbf enforced.
function verifyJwt(token, secret) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("malformed token");
  const header = b64urlJson(parts[0]);
  if (header.alg !== "HS256") throw new Error("unexpected algorithm");
  const mac = createHmac("sha256", secret).update(`${parts[0]}.${parts[1]}`).digest();
  const sig = Buffer.from(parts[2], "base64url");
  if (sig.length !== mac.length || !timingSafeEqual(sig, mac)) throw new Error("bad signature");
  const claims = b64urlJson(parts[1]);
  const now = Date.now() / 1000;
  if (typeof claims.exp === "number" && now >= claims.exp) throw new Error("token expired");
  if (typeof claims.nbf === "number" && now < claims.nbf) throw new Error("token not yet valid");
  if (typeof claims.sub !== "string" || !claims.sub) throw new Error("no subject");
  return claims;
}

function json(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}
const apiError = (res, status, code, message) => json(res, status, { error: { code, message } });

const sseStreams = new Map(); // stream name -> Set of responses

function sseOpen(req, res, stream) {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
  res.write(": ok\n\n");
  if (!sseStreams.has(stream)) sseStreams.set(stream, new Set());
  const set = sseStreams.get(stream);
  set.add(res);
  req.on("close", () => set.delete(res));
}

function ssePublish(stream, event, data) {
  const set = sseStreams.get(stream);
  if (!set) return;
  const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  for (const res of set) res.write(frame);
}

const http = createServer((req, res) => {
  if (req.url === "/healthz") return json(res, 200, { status: "ok" });
  if (req.method === "GET" && req.url.startsWith("/sse/")) return sseOpen(req, res, req.url.slice(5));
  // Switchboard's SSE publish call, same path and body: {"event", "data"}.
  if (req.method === "POST" && req.url.startsWith("/api/sse/")) {
    if (req.headers["x-api-key"] !== opts["api-key"]) return apiError(res, 401, "unauthorized", "bad API key");
    const stream = decodeURIComponent(req.url.slice("/api/sse/".length));
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return apiError(res, 400, "invalid_json", "request body is not valid JSON");
      }
      ssePublish(stream, body.event || "message", body.data);
      json(res, 200, { ok: true });
    });
    return;
  }
  if (req.url === "/api/emit") {
    if (req.method !== "POST") return apiError(res, 405, "method_not_allowed", "use POST");
    if (req.headers["x-api-key"] !== opts["api-key"]) return apiError(res, 401, "unauthorized", "bad API key");
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return apiError(res, 400, "invalid_json", "request body is not valid JSON");
      }
      if (!body || typeof body.event !== "string" || !body.event)
        return apiError(res, 400, "invalid_request", '"event" must be a non-empty string');
      if (typeof body.stream === "string" && body.stream) {
        ssePublish(body.stream, body.event, body.data);
        return json(res, 200, { ok: true });
      }
      let op;
      if (typeof body.room === "string" && body.room) op = io.to(body.room);
      else if (typeof body.user === "string" || typeof body.user === "number") op = io.to(`user:${body.user}`);
      else if (body.broadcast === true) op = io;
      else return apiError(res, 400, "invalid_request", 'give a "room" or a "user"');
      const args = Array.isArray(body.args) ? body.args : "data" in body ? [body.data] : [];
      op.emit(body.event, ...args);
      json(res, 200, { ok: true });
    });
    return;
  }
  apiError(res, 404, "not_found", "no such route");
});

const io = new Server(http, {
  serveClient: false,
  pingInterval: Number(opts["ping-interval"]),
  pingTimeout: Number(opts["ping-timeout"]),
  maxHttpBufferSize: 1e6,
  cors: { origin: "*" },
});

// Guard: a token is optional (anonymous clients allowed), but a bad one is refused.
io.use((socket, next) => {
  const token = socket.handshake.auth?.token;
  if (!token) return next();
  try {
    socket.data.user = verifyJwt(token, opts["jwt-secret"]).sub;
    next();
  } catch (e) {
    const err = new Error("unauthorized");
    err.data = { reason: e.message };
    next(err);
  }
});

const lastCallback = (args) => (typeof args[args.length - 1] === "function" ? args.pop() : null);

io.on("connection", (socket) => {
  if (socket.data.user) socket.join(`user:${socket.data.user}`);
  socket.on("echo", (...args) => {
    const cb = lastCallback(args);
    socket.emit("echo", ...args);
    cb?.(...args);
  });
  socket.on("rtt", (...args) => {
    const cb = lastCallback(args);
    cb?.(...args);
  });
  for (const [event, join] of [["join", true], ["leave", false]]) {
    socket.on(event, (...args) => {
      const cb = lastCallback(args);
      const room = args[0];
      if (typeof room !== "string") return cb?.({ error: "room must be a string" });
      if (room.startsWith("user:")) return cb?.({ error: "forbidden room" });
      if (join) socket.join(room);
      else socket.leave(room);
      cb?.(true);
    });
  }
  socket.on("to_room", (...args) => {
    const cb = lastCallback(args);
    const [room, event, ...rest] = args;
    if (typeof room !== "string" || typeof event !== "string") return cb?.({ error: "bad arguments" });
    socket.to(room).emit(event, ...rest);
    cb?.(true);
  });
});

if (opts.redis) {
  const { createClient } = await import("redis");
  const { createAdapter } = await import("@socket.io/redis-adapter");
  const pub = createClient({ url: opts.redis });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub));
}

http.listen(Number(opts.port), opts.host, () => {
  console.log(`reference socket.io ${process.versions.node} listening on ${opts.host}:${opts.port} pid ${process.pid}`);
});
process.on("SIGTERM", () => process.exit(0));
