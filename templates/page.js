// The status page's live part: buttons queue jobs through the API; the event stream tells when
// a band or a job changed, and the band's card is refreshed from /api/bands/{mac}.
"use strict";

function text(v, suffix) {
  return v === null || v === undefined ? "–" : String(v) + (suffix || "");
}

function render(card, b) {
  const set = (field, value) => {
    const el = card.querySelector('[data-field="' + field + '"]');
    if (el) el.textContent = value;
  };
  const state = card.querySelector('[data-field="state"]');
  state.textContent = b.up ? "up" : "down";
  state.className = "state " + (b.up ? "up" : "down");
  set("battery", text(b.battery_percent, " %") + (b.charging ? " (charging)" : ""));
  set("steps", text(b.steps));
  set("heart_rate", text(b.heart_rate_bpm, " bpm"));
  set("last_sync", b.last_sync ? new Date(b.last_sync).toLocaleString() : "never");
  const o = b.last_outcome;
  set("outcome", o ? (o.ok ? "ok" : "failed: " + (o.error || "")) : "–");
}

function card(mac) {
  return document.querySelector('.band[data-mac="' + mac + '"]');
}

async function refresh(mac) {
  const c = card(mac);
  if (!c) return;
  const r = await fetch("/api/bands/" + encodeURIComponent(mac), { credentials: "same-origin" });
  if (r.ok) render(c, await r.json());
}

function showJob(job) {
  const c = card(job.band);
  if (!c) return;
  const el = c.querySelector('[data-field="job"]');
  let t = job.action.action.replace("_", " ") + ": " + job.state;
  if (job.state === "failed" && job.error) t += " (" + job.error + ")";
  if (job.state === "done" && job.result && job.result.bpm !== undefined) t += " (" + text(job.result.bpm, " bpm") + ")";
  el.textContent = t;
  el.dataset.state = job.state;
}

async function act(mac, type) {
  const r = await fetch("/api/bands/" + encodeURIComponent(mac) + "/jobs", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ action: type }),
  });
  const body = await r.json().catch(() => ({}));
  if (r.status === 202) showJob(body);
  else {
    const el = card(mac).querySelector('[data-field="job"]');
    el.textContent = type + ": refused (" + (body.error || r.status) + ")";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-action]")) {
    const mac = button.closest(".band").dataset.mac;
    button.addEventListener("click", () => act(mac, button.dataset.action));
  }
  const live = document.getElementById("live");
  const events = new EventSource("/api/events");
  events.onopen = () => { live.textContent = "live updates: on"; };
  events.onerror = () => { live.textContent = "live updates: reconnecting…"; };
  events.addEventListener("band", (e) => refresh(JSON.parse(e.data).mac));
  events.addEventListener("heart_rate", (e) => refresh(JSON.parse(e.data).mac));
  events.addEventListener("job", (e) => showJob(JSON.parse(e.data)));
  events.addEventListener("lagged", () => {
    for (const c of document.querySelectorAll(".band")) refresh(c.dataset.mac);
  });
});
