// TLS ([tls]): socket.io-client over wss:// (WebSocket only, then polling
// upgraded to WebSocket) with a generated self-signed certificate, a
// broadcast sent over https to /api/emit, a plain-text request to the TLS port
// refused cleanly, and a certificate renewed by SIGHUP: new connections see
// the new certificate while a connection made before keeps working.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { describe, it } from "node:test";
import { connect, freePort, metric, namespace, once, startServer, waitFor } from "./lib/server.mjs";

// A self-signed certificate for localhost / 127.0.0.1 into `dir`/cert.pem, key.pem.
function makeCert(dir, cn) {
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes",
    "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
    "-subj", `/CN=${cn}`, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1",
  ], { stdio: "ignore" });
  return readFileSync(path.join(dir, "cert.pem"));
}

// The certificate a new TLS connection is shown: its fingerprint and CN.
function peerCert(port) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      const c = s.getPeerCertificate();
      s.end();
      resolve({ fingerprint: c.fingerprint256, cn: c.subject.CN });
    });
    s.once("error", reject);
  });
}

// POST /api/emit over https, trusting `ca`.
function httpsEmit(port, ca, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        path: "/api/emit",
        method: "POST",
        ca,
        headers: { "content-type": "application/json", "x-api-key": "test-key", "content-length": Buffer.byteLength(data) },
      },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
      },
    );
    req.once("error", reject);
    req.end(data);
  });
}

// A plain-text HTTP request to the TLS port: resolves with how it ended.
function plainRequest(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/healthz", timeout: 10000 }, (res) =>
      resolve({ status: res.statusCode }),
    );
    req.once("timeout", () => (req.destroy(), resolve({ error: "timeout" })));
    req.once("error", (e) => resolve({ error: e.code || e.message }));
  });
}

describe("TLS", () => {
  it("serves wss and https, refuses plain text, and reloads the certificate on SIGHUP", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sb-tls-"));
    const ca1 = makeCert(dir, "localhost");
    const tlsPort = await freePort();
    const server = await startServer(`[api]
keys = ["test-key"]
[auth]
allow_anonymous = true
[tls]
enabled = true
port = ${tlsPort}
cert = "${path.join(dir, "cert.pem")}"
key = "${path.join(dir, "key.pem")}"
${namespace("/")}`);
    const wss = `https://127.0.0.1:${tlsPort}`;
    const sockets = [];
    try {
      // WebSocket only, then the default: polling upgraded to WebSocket.
      const ws = await connect(wss, { ca: ca1, transports: ["websocket"] });
      sockets.push(ws);
      const polled = await connect(wss, { ca: ca1 });
      sockets.push(polled);
      await waitFor(() => polled.io.engine.transport.name === "websocket", "the upgrade to WebSocket");
      for (const s of [ws, polled]) {
        assert.equal(await s.timeout(5000).emitWithAck("join", "lobby"), true);
        assert.equal(await s.timeout(5000).emitWithAck("message-with-ack", "hi"), "hi");
      }

      // A broadcast sent over https reaches both.
      const got = [once(ws, "news"), once(polled, "news")];
      const r = await httpsEmit(tlsPort, ca1, { room: "lobby", event: "news", data: { n: 1 } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(await Promise.all(got), [{ n: 1 }, { n: 1 }]);

      // Plain text on the TLS port: the connection ends, nothing else.
      const failedBefore = await metric(server.url, "switchboard_tls_handshakes_total", 'result="failed"');
      const plain = await plainRequest(tlsPort);
      assert.ok(plain.error && plain.error !== "timeout", JSON.stringify(plain));
      await waitFor(
        async () =>
          (await metric(server.url, "switchboard_tls_handshakes_total", 'result="failed"')) > failedBefore,
        "the failed handshake in the metrics",
      );
      assert.ok((await metric(server.url, "switchboard_tls_handshakes_total", 'result="ok"')) >= 3);
      assert.equal(await ws.timeout(5000).emitWithAck("message-with-ack", "still"), "still");

      // A renewed certificate (new key, new CN) at the same paths, then SIGHUP.
      const before = await peerCert(tlsPort);
      assert.equal(before.cn, "localhost");
      const ca2 = makeCert(dir, "renewed.localhost");
      process.kill(server.pid, "SIGHUP");
      const after = await waitFor(async () => {
        const c = await peerCert(tlsPort);
        return c.fingerprint !== before.fingerprint && c;
      }, "the new certificate");
      assert.equal(after.cn, "renewed.localhost");
      assert.match(server.logs(), /reloaded: TLS certificate/);

      // The connections made with the old certificate still work; new ones trust the new one.
      const got2 = [once(ws, "news"), once(polled, "news")];
      const fresh = await connect(wss, { ca: ca2, transports: ["websocket"] });
      sockets.push(fresh);
      assert.equal(await fresh.timeout(5000).emitWithAck("join", "lobby"), true);
      const got3 = once(fresh, "news");
      const r2 = await httpsEmit(tlsPort, ca2, { room: "lobby", event: "news", data: { n: 2 } });
      assert.equal(r2.status, 200);
      assert.deepEqual(await Promise.all([...got2, got3]), [{ n: 2 }, { n: 2 }, { n: 2 }]);
      assert.equal(await ws.timeout(5000).emitWithAck("message-with-ack", "old"), "old");

      // A key that does not match the certificate: the reload is refused, the old context stays.
      execFileSync("openssl", ["genpkey", "-algorithm", "RSA", "-out", path.join(dir, "key.pem")], {
        stdio: "ignore",
      });
      process.kill(server.pid, "SIGHUP");
      await waitFor(() => /reload refused.*tls\.key/.test(server.logs()), "the refusal in the log");
      assert.equal((await peerCert(tlsPort)).fingerprint, after.fingerprint);
    } finally {
      for (const s of sockets) s.disconnect();
      await server.stop();
    }
  });

  it("refuses to start when the key does not match the certificate", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sb-tls-"));
    makeCert(dir, "localhost");
    execFileSync("openssl", ["genpkey", "-algorithm", "RSA", "-out", path.join(dir, "other.pem")], {
      stdio: "ignore",
    });
    const tlsPort = await freePort();
    await assert.rejects(
      startServer(`[auth]
allow_anonymous = true
[tls]
enabled = true
port = ${tlsPort}
cert = "${path.join(dir, "cert.pem")}"
key = "${path.join(dir, "other.pem")}"`),
      /tls\.key/,
    );
    await assert.rejects(
      startServer(`[auth]
allow_anonymous = true
[tls]
enabled = true
port = ${tlsPort}
cert = "${path.join(dir, "missing.pem")}"
key = "${path.join(dir, "key.pem")}"`),
      /tls\.cert: cannot read/,
    );
  });
});
