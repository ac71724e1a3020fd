// Switchboard dashboard: reads the `metrics` and `logs` SSE streams of the
// server that serves this page. No framework, no build step.
"use strict";

const key = new URLSearchParams(location.search).get("key");
const withKey = (url) => (key ? url + (url.includes("?") ? "&" : "?") + "key=" + encodeURIComponent(key) : url);
const $ = (id) => document.getElementById(id);
const WINDOW_S = 300; // chart: at most the last 5 minutes
const MIN_WINDOW_S = 60; // and at least one, so a fresh server's first samples are readable
const MAX_LOG_LINES = 1000;

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString() : n >= 10 ? n.toFixed(1) : n.toFixed(2).replace(/\.?0+$/, "") || "0");
const int = (n) => Number(n).toLocaleString();

function setText(id, v) {
  const el = $(id);
  if (el && el.textContent !== String(v)) el.textContent = v;
}

function duration(s) {
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
}

// ---- status --------------------------------------------------------------
const streamsUp = { metrics: false, logs: false };
function updateStatus() {
  const el = $("status");
  const up = streamsUp.metrics && streamsUp.logs;
  const any = streamsUp.metrics || streamsUp.logs;
  el.textContent = up ? "live" : any ? "partial" : "reconnecting…";
  el.className = "pill " + (up ? "pill-ok" : any ? "pill-wait" : "pill-bad");
}

// ---- metrics -------------------------------------------------------------
const samples = []; // {t, in, out}

function onMetrics(m) {
  setText("uptime", "uptime " + duration(m.uptime_s));
  const c = m.connections;
  setText("conn-total", int(c.total));
  setText("conn-websocket", int(c.websocket));
  setText("conn-polling", int(c.polling));
  setText("conn-sse", int(c.sse));
  setText("sockets", int(m.sockets));
  setText("namespaces", int(m.namespaces.length));
  setText("rooms", int(m.rooms.count));
  setText("rate-in", fmt(m.rates.events_in));
  setText("rate-out", fmt(m.rates.events_out));
  setText("slow", int(m.sse.slow_consumers));
  setText("route-failures", int(m.routes.failed));
  setText("bus-errors", int(m.bus.handler_errors));

  samples.push({ t: m.time, in: m.rates.events_in, out: m.rates.events_out });
  while (samples.length && samples[0].t < m.time - WINDOW_S * 1000) samples.shift();
  drawChart();

  const rows = m.rooms.top.map((r) =>
    `<tr><td>${esc(r.namespace)}</td><td title="${esc(r.room)}">${esc(r.room)}</td><td class="num">${int(r.members)}</td></tr>`);
  $("rooms-body").innerHTML = rows.length ? rows.join("") : `<tr><td colspan="3" class="muted">no rooms yet</td></tr>`;
  setText("rooms-note", m.rooms.count > m.rooms.top.length ? `largest ${m.rooms.top.length} of ${int(m.rooms.count)}` : "");

  $("workers-body").innerHTML = m.workers.map((w) =>
    `<tr><td>${w.index}</td><td class="num">${int(w.connections)}</td><td class="num">${int(w.websocket)}</td>` +
    `<td class="num">${int(w.polling)}</td><td class="num">${int(w.sse)}</td><td class="num">${fmt(w.events_per_s)}</td>` +
    `<td class="num">${w.loop_lag_ms.toFixed(2)} ms</td></tr>`).join("");
  $("streams-body").innerHTML = m.sse.streams
    .slice().sort((a, b) => b.subscribers - a.subscribers || a.name.localeCompare(b.name)).slice(0, 30)
    .map((s) => `<tr><td>${esc(s.name)}</td><td class="muted">${s.access}</td><td class="num">${int(s.subscribers)}</td><td class="num">${int(s.last_seq)}</td></tr>`)
    .join("");
  $("brokers").innerHTML = m.brokers.length
    ? m.brokers
        .map((b) => `<div>${esc(b.name)} <span class="muted">${esc(b.kind)}</span>: ` +
          `<b class="${b.state === "up" ? "ok" : "bad"}">${esc(b.state)}</b>` +
          (b.state !== "up" && b.last_error ? ` <span class="muted">${esc(b.last_error)}</span>` : "") +
          ` <span class="muted">in ${b.received} · out ${b.published} · refused ${b.refused}</span></div>`)
        .join("")
    : "no brokers configured";
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// ---- chart (canvas, by hand) --------------------------------------------
function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function drawChart() {
  const canvas = $("chart");
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const css = getComputedStyle(document.documentElement);
  const colIn = css.getPropertyValue("--in").trim(), colOut = css.getPropertyValue("--out").trim();
  const left = 48, right = 12, top = 10, bottom = 24;
  const pw = w - left - right, ph = h - top - bottom;
  const now = samples.length ? samples[samples.length - 1].t : Date.now();
  const span = samples.length ? (now - samples[0].t) / 1000 : 0;
  const windowS = Math.min(WINDOW_S, Math.max(MIN_WINDOW_S, Math.ceil(span / 60) * 60));
  const t0 = now - windowS * 1000;
  const max = niceMax(Math.max(1, ...samples.map((s) => Math.max(s.in, s.out))));
  const x = (t) => left + ((t - t0) / (windowS * 1000)) * pw;
  const y = (v) => top + ph - (v / max) * ph;

  g.font = "11px system-ui, sans-serif";
  g.strokeStyle = "#2a3542";
  g.fillStyle = "#8593a3";
  g.lineWidth = 1;
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4, yy = Math.round(y(v)) + 0.5;
    g.beginPath(); g.moveTo(left, yy); g.lineTo(w - right, yy); g.stroke();
    g.fillText(fmt(v), left - 6, yy);
  }
  g.textAlign = "center";
  g.textBaseline = "top";
  const step = windowS <= 60 ? 10 : 60; // seconds between labels
  for (let s = 0; s <= windowS; s += step) {
    const xx = x(now - s * 1000);
    g.fillText(s === 0 ? "now" : step === 60 ? `-${s / 60}m` : `-${s}s`, xx, h - bottom + 6);
  }
  if (samples.length < 2) {
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.fillText("waiting for data…", left + pw / 2, top + ph / 2);
    return;
  }
  for (const [field, color] of [["out", colOut], ["in", colIn]]) {
    g.beginPath();
    samples.forEach((s, i) => (i ? g.lineTo(x(s.t), y(s[field])) : g.moveTo(x(s.t), y(s[field]))));
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.lineJoin = "round";
    g.stroke();
    g.lineTo(x(samples[samples.length - 1].t), y(0));
    g.lineTo(x(samples[0].t), y(0));
    g.closePath();
    g.globalAlpha = 0.12;
    g.fillStyle = color;
    g.fill();
    g.globalAlpha = 1;
  }
}
window.addEventListener("resize", drawChart);

// ---- logs ------------------------------------------------------------------
const tail = $("log-tail");
let logSource = null;

function logLine(r) {
  const div = document.createElement("div");
  div.className = "log-line lv-" + r.level;
  const time = (r.time || "").slice(11, 23);
  for (const [cls, text] of [["t", time], ["l", r.level], ["m", r.module], ["msg", r.message]]) {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    div.appendChild(span);
  }
  return div;
}

function applyFilter(div) {
  const f = $("log-filter").value.toLowerCase();
  div.hidden = !!f && !div.textContent.toLowerCase().includes(f);
}

function onLog(r) {
  if ($("pause").checked) return;
  const atBottom = tail.scrollTop + tail.clientHeight >= tail.scrollHeight - 4;
  const div = logLine(r);
  applyFilter(div);
  tail.appendChild(div);
  while (tail.childElementCount > MAX_LOG_LINES) tail.firstElementChild.remove();
  if (atBottom) tail.scrollTop = tail.scrollHeight;
}

function openLogs() {
  if (logSource) logSource.close();
  tail.textContent = "";
  const level = $("level").value;
  logSource = subscribe(`/sse/logs?level=${level}&history=200`, "logs", "log", onLog);
}

$("level").addEventListener("change", openLogs);
$("clear").addEventListener("click", () => (tail.textContent = ""));
$("log-filter").addEventListener("input", () => tail.querySelectorAll(".log-line").forEach(applyFilter));

// ---- streams ---------------------------------------------------------------
// EventSource reconnects by itself and sends Last-Event-ID: the server
// replays what was missed. A `reset` means the gap is too old: start afresh.
function subscribe(path, name, event, handler) {
  const es = new EventSource(withKey(path));
  es.addEventListener("open", () => { streamsUp[name] = true; updateStatus(); });
  es.addEventListener("error", () => { streamsUp[name] = false; updateStatus(); });
  es.addEventListener(event, (e) => {
    try { handler(JSON.parse(e.data)); } catch (err) { console.error(err); }
  });
  es.addEventListener("reset", () => {
    if (name === "metrics") samples.length = 0;
    if (name === "logs") tail.textContent = "";
  });
  return es;
}

subscribe(`/sse/metrics?history=${WINDOW_S}`, "metrics", "metrics", onMetrics);
openLogs();
drawChart();
