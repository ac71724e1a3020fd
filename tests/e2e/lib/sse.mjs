// Helpers for the SSE end-to-end tests: the `eventsource` npm client with
// optional headers, event collectors and the publish API. (The TCP proxy that
// cuts connections, a network drop: lib/tcp_proxy.mjs.)
import { EventSource } from "eventsource";

export { EventSource };

// An EventSource whose requests carry `headers` (Authorization, Last-Event-ID...).
export function openSource(url, { headers = {} } = {}) {
  return new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...headers } }),
  });
}

// Records every event of the given types, in arrival order: [{type, data, id}].
export function record(es, types) {
  const got = [];
  const waiters = [];
  for (const type of types) {
    es.addEventListener(type, (e) => {
      got.push({ type, data: e.data, id: e.lastEventId });
      for (const w of [...waiters]) w();
    });
  }
  got.until = (pred, timeoutMs = 10000, what = "events") =>
    new Promise((resolve, reject) => {
      const drop = () => {
        const i = waiters.indexOf(check);
        if (i >= 0) waiters.splice(i, 1);
      };
      const t = setTimeout(() => {
        drop();
        reject(new Error(`timeout waiting for ${what}; last: ${JSON.stringify(got.slice(-5))}`));
      }, timeoutMs);
      function check() {
        if (!pred(got)) return;
        drop();
        clearTimeout(t);
        resolve(got);
      }
      waiters.push(check);
      check();
    });
  got.count = (type, n, timeoutMs) =>
    got.until((g) => g.filter((e) => e.type === type).length >= n, timeoutMs, `${n} "${type}" events`);
  return got;
}

// Resolves with the HTTP status of a refused EventSource connection.
export function refusal(url, opts) {
  const es = openSource(url, opts);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (es.close(), reject(new Error("no refusal"))), 5000);
    es.addEventListener("open", () => (clearTimeout(t), es.close(), reject(new Error("connected"))));
    es.onerror = (err) => {
      clearTimeout(t);
      es.close();
      resolve(err.code);
    };
  });
}

export async function publish(url, stream, body, key = "test-key") {
  const r = await fetch(`${url}/api/sse/${encodeURIComponent(stream)}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

export async function busEmit(url, name, payload, key = "test-key") {
  const r = await fetch(`${url}/api/events/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify(payload),
  });
  return { status: r.status, body: await r.json() };
}

// Raw GET: status, headers and the JSON error body of a refused request.
export async function rawGet(url, headers = {}) {
  const r = await fetch(url, { headers });
  const type = r.headers.get("content-type") || "";
  if (type.startsWith("text/event-stream")) {
    await r.body.cancel();
    return { status: r.status, type };
  }
  return { status: r.status, type, body: await r.json() };
}

// A raw text/event-stream reader: `text` so far, `until(pred)` waits for more.
export async function rawStream(url, { headers = {} } = {}) {
  const ctrl = new AbortController();
  const r = await fetch(url, { headers, signal: ctrl.signal });
  const dec = new TextDecoder();
  const s = { status: r.status, headers: r.headers, text: "", close: () => ctrl.abort() };
  const waiters = new Set();
  (async () => {
    try {
      for await (const chunk of r.body) {
        s.text += dec.decode(chunk, { stream: true });
        for (const w of [...waiters]) w();
      }
    } catch {}
  })();
  s.until = (pred, timeoutMs = 10000) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => (waiters.delete(check), reject(new Error(`timeout; got ${JSON.stringify(s.text)}`))), timeoutMs);
      function check() {
        if (!pred(s.text)) return;
        waiters.delete(check);
        clearTimeout(t);
        resolve(s.text);
      }
      waiters.add(check);
      check();
    });
  return s;
}

export function seqOf(id) {
  return id.split("-")[1].split(".").map(Number);
}
