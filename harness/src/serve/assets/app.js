// strata serve: the little the pages do in the browser. Every page loads
// this file; each part acts only where its element is.
"use strict";

// The fs view: a slider over the path's versions goes to that version.
function setupVersionSlider() {
  const slider = document.getElementById("version-slider");
  if (!slider) return;
  const times = JSON.parse(slider.dataset.times);
  const label = document.getElementById("version-label");
  slider.addEventListener("input", () => {
    label.textContent = times[Number(slider.value)];
  });
  slider.addEventListener("change", () => {
    const url = new URL(window.location.href);
    url.searchParams.set("at", times[Number(slider.value)]);
    url.searchParams.delete("download");
    window.location.assign(url.toString());
  });
}

// The live page: one server-sent event per change of the run's state.
function setupLive() {
  const root = document.getElementById("live");
  if (!root || !root.dataset.events) return;
  const text = (id, value) => {
    const el = document.getElementById(id);
    if (el) el.textContent = value;
  };
  const source = new EventSource(root.dataset.events);
  source.addEventListener("progress", (event) => {
    const s = JSON.parse(event.data);
    text("live-run", s.run_id || "—");
    text("live-status", s.status + (s.message ? ": " + s.message : ""));
    const bar = document.getElementById("live-bar");
    bar.max = Math.max(1, s.steps_total);
    bar.value = s.steps_done;
    text("live-steps", s.steps_done + " of " + s.steps_total + " benchmarks");
    const c = s.current;
    text("live-current", c ? c.benchmark + " on " + c.engine + " (repetition " + (c.repetition + 1) + ")" : "—");
    text("live-ops", c ? c.ops_done.toLocaleString("en-US") : "—");
    text("live-rate", s.recent_ops_per_s === null ? "—" : Math.round(s.recent_ops_per_s).toLocaleString("en-US") + " ops/s");
    const chart = document.getElementById("live-chart");
    if (s.svg) chart.innerHTML = s.svg;
    const body = document.getElementById("live-finished");
    body.replaceChildren();
    for (const f of s.finished) {
      const row = document.createElement("tr");
      for (const [value, numeric] of [[f.engine, false], [f.repetition + 1, true], [f.benchmark, false],
        [f.ops.toLocaleString("en-US"), true], [f.micros_per_op.toFixed(3), true],
        [Math.round(f.ops_per_s).toLocaleString("en-US"), true]]) {
        const cell = document.createElement("td");
        cell.textContent = value;
        if (numeric) cell.className = "num";
        row.appendChild(cell);
      }
      body.appendChild(row);
    }
    if (s.status === "finished" || s.status === "failed") source.close();
  });
  source.addEventListener("error", () => {
    text("live-connection", "not connected (the run's server is gone or not started yet; retrying)");
  });
  source.addEventListener("open", () => text("live-connection", "connected"));
}

document.addEventListener("DOMContentLoaded", () => {
  setupVersionSlider();
  setupLive();
});
