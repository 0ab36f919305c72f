/* The employee's page: a client of /api/v1, nothing more. Every check-in is written to
   IndexedDB before it is sent and removed only when the server has acknowledged it
   (201, or 200 for a resend), always under the same event_id: closing the page, losing
   the signal or reloading never loses or doubles one. */
"use strict";

const API = "/api/v1";
const ZONES = { WIB: "Asia/Jakarta", WITA: "Asia/Makassar", WIT: "Asia/Jayapura" };
const $ = (id) => document.getElementById(id);
const state = { labels: null, zone: "Asia/Jakarta", stream: null, position: null, session: null, lastVerdict: null };

/* ---------- small helpers ---------- */

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
}

function clockText(iso) {   // 07.25 in the office's zone (Indonesian clock format)
  if (!iso) return "–";
  return new Intl.DateTimeFormat("id-ID", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: state.zone })
    .format(new Date(iso)).replace(":", ".");
}

function dayText(isoDate) {   // Sen, 1 Des
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat("id-ID", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

function numberText(x, digits = 2) {
  return new Intl.NumberFormat("id-ID", { maximumFractionDigits: digits }).format(x);
}

function localIso(date) {   // the phone's time with its UTC offset, as the API wants it
  const off = -date.getTimezoneOffset();
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const local = new Date(date.getTime() + off * 60000).toISOString().slice(0, 19);
  return `${local}${off >= 0 ? "+" : "-"}${pad(off / 60)}:${pad(off % 60)}`;
}

function deviceId() {   // a stable id of this browser: one account, one device
  let id = localStorage.getItem("pantau.device_id");
  if (!id) { id = "web-" + crypto.randomUUID(); localStorage.setItem("pantau.device_id", id); }
  return id;
}

const token = () => localStorage.getItem("pantau.token");

function errorBox(target, error) {   // the API's words, Indonesian first and English under it
  target.replaceChildren(el("p", { class: "verdict refused" }, error.message_id || "Gagal"),
    el("p", { class: "hint" }, error.message_en || ""));
  for (const f of error.fields || []) {
    target.append(el("p", {}, `${f.field}: ${f.message_id}`, el("span", { class: "hint" }, ` (${f.message_en})`)));
  }
  target.hidden = false;
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const reply = await fetch(API + path, Object.assign({}, options, { headers }));
  setOnline(true);
  let body = null;
  try { body = await reply.json(); } catch (e) { body = null; }
  if (reply.status === 401 && token()) {   // the token is void: back to activation, with a new code
    localStorage.removeItem("pantau.token");
    $("who").textContent = "";
    $("code").value = "";
    show("activate");   // and why, there: whatever screen asked is hidden now
    errorBox(activateError(), (body && body.error) || { message_id: "Gagal (401)" });
  }
  return { status: reply.status, body, retryAfter: reply.headers.get("Retry-After") };
}

// when the network was lost, sent with offline check-ins as the phone's own evidence (offline_since)
let offlineSince = null;

function setOnline(on) {
  if (!on && offlineSince === null) offlineSince = localIso(new Date());
  if (on) offlineSince = null;
  const net = $("net");
  net.textContent = on ? "Daring" : "Tanpa sinyal";
  net.classList.toggle("off", !on);
}

/* ---------- sending the queue (queue.js keeps it) ---------- */

let flushing = null;
function flushQueue() {   // one flush at a time; oldest capture first, so the day's order holds
  if (!flushing) flushing = doFlush().finally(() => { flushing = null; });
  return flushing;
}

async function doFlush() {
  const items = (await queueAll()).sort((a, b) => a.body.captured_at.localeCompare(b.body.captured_at));
  let last = null;
  for (const item of items) {
    const outcome = await sendOne(item);
    if (outcome === "wait") break;   // no signal or the server is busy: keep the rest in order
    last = outcome;
  }
  await renderQueue();
  if (last) await loadToday();
  return last;
}

async function sendOne(item) {
  const form = new FormData();
  form.append("data", JSON.stringify(item.body));
  if (item.selfie) form.append("selfie", item.selfie, "selfie.jpg");
  let reply;
  try {
    reply = await api("/check-ins", { method: "POST", body: form });
  } catch (e) {   // no signal: from now on it is an offline check-in, sent later as it was captured
    setOnline(false);
    await queueAsOffline(item);
    return "wait";
  }
  if (reply.status === 429 || reply.status >= 500) { await queueAsOffline(item); return "wait"; }
  await queueDelete(item.event_id);   // acknowledged (201 / 200) or refused for good (4xx): never resent
  if (reply.status === 201 || reply.status === 200) { showVerdict(reply.body); return reply.body; }
  errorBox($("result"), (reply.body && reply.body.error) || { message_id: `Gagal (${reply.status})` });
  return null;
}

// Not delivered (no signal, or a server that could not take it): it waits in the queue and is
// sent later as an offline check-in with its capture time, and since when the phone was cut off.
async function queueAsOffline(item) {
  if (item.body.offline) return;
  item.body.offline = true;
  item.body.offline_since = offlineSince || item.body.captured_at;
  await queuePut(item);
}

async function renderQueue() {
  const items = await queueAll();
  const box = $("queue");
  box.hidden = items.length === 0;
  box.replaceChildren(el("h2", {}, `Menunggu dikirim: ${items.length}`),
    el("p", { class: "hint" }, "Dikirim otomatis begitu ada sinyal, dengan waktu saat diambil."));
  for (const item of items) {
    box.append(el("p", { class: "queue-item", "data-event": item.event_id },
      `${item.body.session === "out" ? "Pulang" : "Masuk"} · diambil ${clockText(item.body.captured_at)}`));
  }
}

/* ---------- check-in ---------- */

async function startCapture(session) {
  state.session = session;
  state.position = null;
  $("capture").hidden = false;
  $("result").hidden = true;
  $("reason").hidden = true;
  $("btn-shoot").disabled = true;
  const status = $("capture-status");
  status.textContent = "Menyiapkan kamera dan mencari lokasi …";
  const camera = navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false })
    .then((stream) => { state.stream = stream; $("camera").srcObject = stream; return true; })
    .catch(() => { status.textContent = "Kamera tidak dapat dibuka: izinkan akses kamera. (Camera unavailable.)"; return false; });
  const place = new Promise((resolve) => navigator.geolocation.getCurrentPosition(
    (p) => { state.position = p.coords; resolve(true); },
    () => { status.textContent = "Lokasi tidak tersedia: izinkan akses lokasi dan nyalakan GPS. (Location unavailable.)"; resolve(false); },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 }));
  const [cameraOk, placeOk] = await Promise.all([camera, place]);
  if (cameraOk && placeOk) {
    status.textContent = `Lokasi ditemukan (akurasi ${numberText(state.position.accuracy, 0)} m). Hadapkan wajah ke kamera.`;
    $("btn-shoot").disabled = false;
  }
}

function stopCamera() {
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  state.stream = null;
  $("capture").hidden = true;
}

function selfieBlob() {
  const video = $("camera");
  const canvas = document.createElement("canvas");
  const scale = Math.min(1, 640 / (video.videoWidth || 640));
  canvas.width = Math.round((video.videoWidth || 640) * scale);
  canvas.height = Math.round((video.videoHeight || 480) * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
}

// Whatever goes wrong on the phone itself, the employee is told, never left with a blank screen.
async function shoot() {
  try {
    await captureAndSend();
  } catch (e) {
    errorBox($("result"), { message_id: "Presensi gagal di perangkat ini; coba lagi",
      message_en: `Check-in failed on this phone; try again (${e && e.message || e})` });
  }
}

async function captureAndSend() {
  $("btn-shoot").disabled = true;
  const p = state.position;
  const item = {
    event_id: crypto.randomUUID(),
    body: {
      event_id: null, captured_at: localIso(new Date()), session: state.session, offline: false,
      location: { lat: p.latitude, lon: p.longitude, accuracy_m: Math.round(p.accuracy * 10) / 10, mock: false, provider: "web" },
    },
    selfie: await selfieBlob(),
  };
  item.body.event_id = item.event_id;
  stopCamera();
  await queuePut(item);   // durable first: from here on nothing loses it
  await renderQueue();
  await flushQueue();
  if ((await queueAll()).some((q) => q.event_id === item.event_id)) {
    const box = $("result");
    box.replaceChildren(el("p", { class: "verdict flagged" }, "Tanpa sinyal: presensi disimpan di perangkat"),
      el("p", { class: "hint" }, `Diambil ${clockText(item.body.captured_at)}; dikirim otomatis saat sinyal kembali. (Saved offline; sent when the signal returns.)`));
    box.hidden = false;
  }
}

async function sendReason() {
  const v = state.lastVerdict;
  const text = $("reason-text").value.trim();
  const reply = await api(`/check-ins/${v.event_id}/reason`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ reason: text }) });
  if (reply.status === 201 || reply.status === 200) {
    $("reason").replaceChildren(el("p", { class: "verdict accepted" }, "Alasan terkirim"), el("p", {}, text));
  } else {
    errorBox($("result"), reply.body.error);
  }
}

/* ---------- activation and screens ---------- */

async function activate(event) {
  event.preventDefault();
  const reply = await api("/devices/activate", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ nip: $("nip").value.trim(), code: $("code").value.trim(), device_id: deviceId(),
      device_model: navigator.userAgent.slice(0, 120) }) });
  if (reply.status === 201) {
    localStorage.setItem("pantau.token", reply.body.token);
    await enter();
  } else {
    errorBox(activateError(), (reply.body && reply.body.error) || { message_id: `Gagal (${reply.status})` });
  }
}

function activateError() {
  let box = $("activate-error");
  if (!box) { box = el("div", { id: "activate-error", class: "card" }); $("activate").append(box); }
  return box;
}

function show(name) {
  for (const s of ["activate", "home", "month", "leave"]) $(s).hidden = s !== name;
  if (name === "month") loadMonth();
  if (name === "leave") loadLeaves();
}

async function enter() {
  show("home");
  await Promise.all([loadToday(), loadOffices(), renderQueue()]);
  await flushQueue();
}

async function boot() {
  setOnline(navigator.onLine);
  try {
    state.labels = (await api("/labels")).body;
    localStorage.setItem("pantau.labels", JSON.stringify(state.labels));
  } catch (e) {
    state.labels = JSON.parse(localStorage.getItem("pantau.labels") || '{"statuses":{},"leave_types":{},"leave_states":{},"verdicts":{}}');
    setOnline(false);
  }
  const select = $("leave-type");
  for (const [code, label] of Object.entries(state.labels.leave_types)) select.append(el("option", { value: code }, label));
  const now = new Date(), months = $("month-pick");
  for (let i = 0; i < 12; i++) {   // this month and the eleven before, named in Indonesian
    const first = new Date(now.getFullYear(), now.getMonth() - i, 1);
    const value = `${first.getFullYear()}-${String(first.getMonth() + 1).padStart(2, "0")}`;
    months.append(el("option", { value }, new Intl.DateTimeFormat("id-ID", { month: "long", year: "numeric" }).format(first)));
  }
  $("activate-form").addEventListener("submit", activate);
  $("leave-form").addEventListener("submit", sendLeave);
  $("month-pick").addEventListener("change", loadMonth);
  for (const b of document.querySelectorAll("[data-session]")) b.addEventListener("click", () => startCapture(b.dataset.session));
  for (const b of document.querySelectorAll("[data-show]")) b.addEventListener("click", () => show(b.dataset.show));
  $("btn-shoot").addEventListener("click", shoot);
  $("btn-cancel").addEventListener("click", stopCamera);
  $("btn-reason").addEventListener("click", sendReason);
  window.addEventListener("online", () => { setOnline(true); flushQueue(); });
  window.addEventListener("offline", () => setOnline(false));
  setInterval(() => { flushQueue(); }, 30000);   // a lost "online" event must not strand the queue
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js").catch(() => {});
  if (token()) await enter(); else { show("activate"); await renderQueue(); }
}

boot();
