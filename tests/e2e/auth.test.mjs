// The JWT guard on the Socket.IO handshake: HS256, RS256, ES256, refusals,
// anonymous mode, and the automatic `user:<sub>` room reached by /api/emit.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import jwt from "jsonwebtoken";
import { apiEmit, connect, connectError, namespace, once, startServer } from "./lib/server.mjs";

const SECRET = "e2e-secret";
const servers = [];
async function start(toml) {
  const s = await startServer(toml);
  servers.push(s);
  return s;
}
after(async () => {
  for (const s of servers) await s.stop();
});

describe("HS256", () => {
  let server;
  it("starts with a secret and no anonymous clients", async () => {
    server = await start(`[auth]\njwt_secret = "${SECRET}"\n[api]\nkeys = ["test-key"]\n${namespace("/")}`);
  });

  it("accepts a valid token in auth.token and joins user:<sub>", async () => {
    const token = jwt.sign({ sub: "42" }, SECRET, { algorithm: "HS256", expiresIn: 60 });
    const a = await connect(server.url, { auth: { token } });
    const b = await connect(server.url, { auth: { token }, transports: ["polling"] });
    const other = await connect(server.url, { auth: { token: jwt.sign({ sub: "7" }, SECRET, { expiresIn: 60 }) } });
    const got = [];
    for (const s of [a, b, other]) s.on("new_notification", (d) => got.push([s === other ? "other" : "42", d]));
    const r = await apiEmit(server.url, { user: "42", event: "new_notification", data: { text: "hi" } });
    assert.equal(r.status, 200);
    await new Promise((res) => setTimeout(res, 300));
    assert.deepEqual(got, [["42", { text: "hi" }], ["42", { text: "hi" }]]);
    const seven = once(other, "new_notification"); // listen before the push can arrive
    await apiEmit(server.url, { user: 7, event: "new_notification", data: 1 });
    assert.equal(await seven, 1);
    [a, b, other].forEach((s) => s.disconnect());
  });

  it("accepts a token in the Authorization header (polling)", async () => {
    const token = jwt.sign({ sub: "h1" }, SECRET, { expiresIn: 60 });
    const s = await connect(server.url, { transports: ["polling"], extraHeaders: { Authorization: `Bearer ${token}` } });
    s.disconnect();
  });

  it("refuses missing, expired, forged, not-yet-valid and wrong-algorithm tokens", async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      [undefined, "missing token"],
      [jwt.sign({ sub: "1", exp: now - 10 }, SECRET), "token expired"],
      [jwt.sign({ sub: "1" }, "wrong-secret", { expiresIn: 60 }), "invalid signature"],
      [jwt.sign({ sub: "1", nbf: now + 3600 }, SECRET), "token not yet valid"],
      [jwt.sign({ sub: "1" }, SECRET, { algorithm: "HS384", expiresIn: 60 }), "algorithm mismatch"],
      [jwt.sign({ name: "no sub" }, SECRET, { expiresIn: 60 }), "missing sub"],
      ["not.a.jwt", "malformed token"],
    ];
    // alg "none": header and payload only
    const none = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url") + "." +
      Buffer.from(JSON.stringify({ sub: "1" })).toString("base64url") + ".";
    cases.push([none, "algorithm mismatch"]);
    for (const [token, reason] of cases) {
      const e = await connectError(server.url, { auth: token === undefined ? {} : { token } });
      assert.equal(e.message, "unauthorized");
      assert.deepEqual(e.data, { reason }, `token case ${reason}`);
    }
    const ok = await connect(server.url, { auth: { token: jwt.sign({ sub: "still" }, SECRET, { expiresIn: 60 }) } });
    ok.emit("message", "served");
    assert.equal(await once(ok, "message-back"), "served");
    ok.disconnect();
  });
});

for (const [alg, type, opts] of [
  ["RS256", "rsa", { modulusLength: 2048 }],
  ["ES256", "ec", { namedCurve: "P-256" }],
]) {
  describe(alg, () => {
    it("verifies with a public key file and refuses an HS256 token made from that key", async () => {
      const { publicKey, privateKey } = generateKeyPairSync(type, opts);
      const pub = publicKey.export({ type: "spki", format: "pem" });
      const keyFile = path.join(mkdtempSync(path.join(tmpdir(), "sb-key-")), "pub.pem");
      writeFileSync(keyFile, pub);
      const server = await start(`[auth]\njwt_algorithm = "${alg}"\njwt_key_file = "${keyFile}"\n${namespace("/")}`);
      const token = jwt.sign({ sub: "u1" }, privateKey, { algorithm: alg, expiresIn: 60 });
      const s = await connect(server.url, { auth: { token } });
      s.disconnect();
      const confused = jwt.sign({ sub: "u1" }, "x", { algorithm: "HS256" });
      const e = await connectError(server.url, { auth: { token: confused } });
      assert.equal(e.message, "unauthorized");
    });
  });
}

describe("anonymous mode", () => {
  it("accepts clients without a token but still refuses a bad one", async () => {
    const server = await start(`[auth]\nallow_anonymous = true\njwt_secret = "${SECRET}"\n${namespace("/")}`);
    const s = await connect(server.url);
    s.disconnect();
    const e = await connectError(server.url, { auth: { token: "garbage" } });
    assert.equal(e.message, "unauthorized");
  });
});
