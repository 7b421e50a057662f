// brokergate console, History page: downloads with live progress, the catalogue, and a candle chart
// (lightweight-charts v5, vendored beside this file). Data comes from /console/historify/<what>.
"use strict";

(() => {
  const root = document.getElementById("historify-jobs");
  if (!root) return;
  const token = () => document.querySelector('meta[name="csrf-token"]').content;
  const ACTIVE = new Set(["queued", "running"]);
  const IST_MS = 19800 * 1000;
  let chart = null;
  let series = null;
  let chosen = null;

  async function read(what, query) {
    const answer = await fetch(`/console/historify/${what}${query ? "?" + new URLSearchParams(query) : ""}`,
      { credentials: "same-origin" });
    return answer.json();
  }

  async function write(what, payload) {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) });
    const answer = await fetch(`/console/historify/${what}/do`, {
      method: "POST", body, credentials: "same-origin", headers: { "X-CSRF-Token": token() },
    });
    return answer.json();
  }

  function row(values, extra) {
    const tr = document.createElement("tr");
    values.forEach((value) => {
      const td = document.createElement("td");
      td.textContent = value === undefined || value === null ? "" : String(value);
      tr.appendChild(td);
    });
    const td = document.createElement("td");
    (extra || []).forEach((node) => td.appendChild(node));
    tr.appendChild(td);
    return tr;
  }

  function button(label, onClick, kind) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = kind || "secondary";
    b.textContent = label;
    b.addEventListener("click", (event) => { event.stopPropagation(); onClick(); });
    return b;
  }

  const when = (seconds, interval) => {
    const moment = new Date(seconds * 1000 + (["D", "W", "M"].includes(interval) ? 0 : IST_MS));
    const text = moment.toISOString().replace("T", " ");
    return ["D", "W", "M"].includes(interval) ? text.slice(0, 10) : text.slice(0, 16);
  };

  async function refreshJobs() {
    const answer = await read("jobs");
    const body = root.querySelector("tbody");
    const jobs = answer.data || [];
    body.replaceChildren(...jobs.map((job) => {
      const actions = [];
      const act = (action) => async () => { await write("job", { job_id: job.job_id, action }); refreshJobs(); };
      if (ACTIVE.has(job.status)) actions.push(button("Pause", act("pause")), button("Cancel", act("cancel"), "danger"));
      if (job.status === "paused") actions.push(button("Resume", act("resume")), button("Cancel", act("cancel"), "danger"));
      if (job.failed > 0) actions.push(button("Retry failed", act("retry")));
      const progress = `${job.done + job.failed}/${job.items}` + (job.failed ? ` (${job.failed} failed)` : "");
      const tr = row([job.job_id, job.interval, job.start_date, job.end_date, job.status, progress, job.rows], actions);
      tr.dataset.status = job.status;
      return tr;
    }));
    if (jobs.some((job) => ACTIVE.has(job.status))) {
      setTimeout(refreshJobs, 1000);
    } else {
      refreshCatalogue();
    }
  }

  async function refreshCatalogue() {
    const answer = await read("catalogue");
    const body = document.querySelector("#historify-catalogue tbody");
    body.replaceChildren(...(answer.data || []).map((item) => {
      const remove = button("Delete", async () => {
        if (!window.confirm(`Delete every stored bar of ${item.symbol} ${item.exchange}?`)) return;
        await write("delete", { symbol: item.symbol, exchange: item.exchange });
        refreshCatalogue();
      }, "danger");
      const tr = row([item.symbol, item.exchange, item.interval, when(item.first, item.interval),
        when(item.last, item.interval), item.count], [remove]);
      tr.addEventListener("click", () => {
        chosen = item;
        const picker = document.querySelector("#historify-chart-form select");
        if (item.interval === "D" && !["D", "W", "M"].includes(picker.value)) picker.value = "D";
        drawChart();
      });
      return tr;
    }));
  }

  async function drawChart() {
    if (!chosen) return;
    const interval = document.querySelector("#historify-chart-form select").value;
    const status = document.getElementById("historify-chart-status");
    const end = ["D", "W", "M"].includes(interval) || chosen.interval === "1m" ? chosen.last_date : undefined;
    const answer = await read("candles", { symbol: chosen.symbol, exchange: chosen.exchange, interval, end });
    document.getElementById("historify-chart-title").textContent = `${chosen.symbol} ${chosen.exchange} ${interval}`;
    if (answer.status !== "success") { status.textContent = answer.message; return; }
    if (!chart) {
      chart = LightweightCharts.createChart(document.getElementById("historify-chart"), {
        // The library's own logo injects a <style> element, which the console's CSP refuses; the
        // page credits it in text below the chart instead.
        autoSize: true, layout: { attributionLogo: false }, timeScale: { timeVisible: true, secondsVisible: false },
      });
      series = chart.addSeries(LightweightCharts.CandlestickSeries, {});
    }
    // The chart shows UTC; shifting intraday bars by +05:30 makes its axis read IST.
    const shift = ["D", "W", "M"].includes(interval) ? 0 : 19800;
    series.setData(answer.data.map((c) => ({ time: c.timestamp + shift, open: c.open, high: c.high, low: c.low, close: c.close })));
    chart.timeScale().fitContent();
    status.textContent = `${answer.data.length} candles`;
  }

  async function refreshWatch() {
    const [watched, schedules] = await Promise.all([read("watchlist"), read("schedules")]);
    document.getElementById("historify-watchlist").replaceChildren(...(watched.data || []).map((item) => {
      const li = document.createElement("li");
      li.textContent = `${item.symbol} ${item.exchange} `;
      li.appendChild(button("Remove", async () => {
        await write("watch", { symbol: item.symbol, exchange: item.exchange, remove: true });
        refreshWatch();
      }));
      return li;
    }));
    document.getElementById("historify-schedules").replaceChildren(...(schedules.data || []).map((item) => {
      const li = document.createElement("li");
      li.textContent = `${item.interval} refresh, next ${item.next_run || "when the server runs"} `;
      li.appendChild(button("Stop", async () => { await write("schedule", { interval: item.interval, cancel: true }); refreshWatch(); }));
      return li;
    }));
  }

  const fields = (form) => Object.fromEntries(new FormData(form).entries());

  document.getElementById("historify-download").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = document.getElementById("historify-download-status");
    const answer = await write("download", fields(event.target));
    status.textContent = answer.status === "success" ? `job ${answer.data.job_id}: ${answer.data.items} items` : answer.message;
    refreshJobs();
  });
  document.getElementById("historify-chart-form").addEventListener("change", drawChart);
  document.getElementById("historify-watch").addEventListener("submit", async (event) => {
    event.preventDefault();
    await write("watch", fields(event.target));
    refreshWatch();
  });
  document.getElementById("historify-schedule").addEventListener("submit", async (event) => {
    event.preventDefault();
    await write("schedule", fields(event.target));
    refreshWatch();
  });

  refreshJobs();
  refreshCatalogue();
  refreshWatch();
})();
