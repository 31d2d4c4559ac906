// The 112 console: open incidents from /events (Server-Sent Events), both
// pins on a map drawn from the project's basemap, and the dispatcher's
// actions posted to /action.  No library, nothing from the internet.
"use strict";

const incidents = new Map();          // incident id -> its latest view
const layers = { districts: null, streets: null };
const canvas = document.getElementById("map");
const ctx = canvas.getContext("2d");
const OFFENDER = "#d62728", VICTIM = "#1f5fbf";

// The view: Seoul, or the open incidents with a margin.
function bounds() {
  const pts = [];
  for (const v of incidents.values())
    if (v.offender && v.victim) pts.push(v.offender, v.victim);
  if (pts.length === 0) return { s: 37.42, n: 37.70, w: 126.76, e: 127.19 };
  let s = 90, n = -90, w = 180, e = -180;
  for (const p of pts) { s = Math.min(s, p.lat); n = Math.max(n, p.lat); w = Math.min(w, p.lon); e = Math.max(e, p.lon); }
  const pad = Math.max(0.01, (n - s) * 0.5, (e - w) * 0.5);
  return { s: s - pad, n: n + pad, w: w - pad, e: e + pad };
}

function projector(b) {
  const k = Math.cos((b.s + b.n) / 2 * Math.PI / 180);
  const sx = canvas.width / ((b.e - b.w) * k), sy = canvas.height / (b.n - b.s);
  const scale = Math.min(sx, sy);
  const cx = (b.w + b.e) / 2, cy = (b.s + b.n) / 2;
  return (lon, lat) => [canvas.width / 2 + (lon - cx) * k * scale, canvas.height / 2 - (lat - cy) * scale];
}

function drawLines(fc, project, stroke, width, fill) {
  if (!fc) return;
  ctx.strokeStyle = stroke; ctx.lineWidth = width; ctx.fillStyle = fill || "transparent";
  for (const f of fc.features) {
    const g = f.geometry;
    const rings = g.type === "Polygon" ? g.coordinates : g.type === "MultiPolygon" ? g.coordinates.flat()
                : g.type === "LineString" ? [g.coordinates] : g.type === "MultiLineString" ? g.coordinates : [];
    for (const ring of rings) {
      ctx.beginPath();
      ring.forEach(([lon, lat], i) => { const [x, y] = project(lon, lat); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
      if (fill) ctx.fill();
      ctx.stroke();
    }
  }
}

function pin(project, p, colour, accuracy, metresPerPixel) {
  const [x, y] = project(p.lon, p.lat);
  if (accuracy && metresPerPixel > 0) {
    ctx.beginPath(); ctx.arc(x, y, Math.max(accuracy / metresPerPixel, 9), 0, 2 * Math.PI);
    ctx.fillStyle = colour + "33"; ctx.fill();
  }
  ctx.beginPath(); ctx.arc(x, y, 9, 0, 2 * Math.PI);
  ctx.fillStyle = colour; ctx.fill();
  ctx.lineWidth = 2; ctx.strokeStyle = "#ffffff"; ctx.stroke();
}

function draw() {
  const b = bounds(), project = projector(b);
  const [x0] = project(b.w, b.s), [x1] = project(b.e, b.s);
  const metresPerPixel = ((b.e - b.w) * 111320 * Math.cos(b.s * Math.PI / 180)) / Math.max(1, x1 - x0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  drawLines(layers.districts, project, "#8a9aa6", 1, "#f7f7f4");
  drawLines(layers.streets, project, "#c2b59b", 1);
  for (const v of incidents.values()) {
    if (!v.offender || !v.victim) continue;
    pin(project, v.victim, VICTIM, 0, metresPerPixel);
    pin(project, v.offender, OFFENDER, v.offender.acc_m, metresPerPixel);
  }
}

function act(body) {
  const status = document.getElementById("status");
  fetch("/action", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
    .then(r => r.json().then(j => ({ ok: r.ok, j })))
    .then(({ ok, j }) => { status.textContent = ok ? body.action + " " + body.incident + ": done" : "refused: " + j.error; })
    .catch(e => { status.textContent = "not sent: " + e; });
}

function row(v) {
  const tr = document.createElement("tr");
  tr.dataset.incident = v.incident;
  const cells = [v.incident, v.case, v.state, v.distance_m !== undefined ? Math.round(v.distance_m) + " m" : ""];
  for (const c of cells) { const td = document.createElement("td"); td.textContent = c; tr.appendChild(td); }
  const pick = document.createElement("select");
  for (const p of v.patrols || []) {
    const o = document.createElement("option");
    o.value = p.name; o.textContent = p.name + " (" + (p.distance_m / 1000).toFixed(1) + " km)";
    pick.appendChild(o);
  }
  const td = document.createElement("td"); td.appendChild(pick); tr.appendChild(td);
  const buttons = document.createElement("td");
  const make = (label, cls, fn) => { const b = document.createElement("button"); b.textContent = label; b.className = cls; b.onclick = fn; buttons.appendChild(b); };
  make("Acknowledge", "ack", () => act({ action: "ack", incident: v.incident }));
  make("Dispatch", "dispatch", () => act({ action: "dispatch", incident: v.incident, patrol: pick.value }));
  make("Close", "close", () => act({ action: "close", incident: v.incident }));
  tr.appendChild(buttons);
  if (v.patrol) pick.value = v.patrol;
  return tr;
}

function render() {
  const body = document.querySelector("#incidents tbody");
  body.replaceChildren(...[...incidents.values()].sort((a, b) => a.incident - b.incident).map(row));
  document.getElementById("incidents").hidden = incidents.size === 0;
  document.getElementById("empty").hidden = incidents.size !== 0;
  draw();
}

function load(name) {
  return fetch("/basemap/" + name + ".geojson").then(r => r.json()).then(j => { layers[name] = j; draw(); });
}

Promise.all([load("districts"), load("streets")]).catch(() => {});
const feed = new EventSource("/events");
feed.onopen = () => { document.getElementById("feed").textContent = "live"; };
feed.onerror = () => { document.getElementById("feed").textContent = "reconnecting…"; };
feed.addEventListener("incident", e => {
  const v = JSON.parse(e.data);
  if (v.state === "closed") incidents.delete(v.incident); else incidents.set(v.incident, v);
  render();
});
render();
