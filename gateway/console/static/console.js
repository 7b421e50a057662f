// brokergate console: live tables, action buttons and confirmations. No framework, no inline script
// (the page's CSP forbids it). Data comes from /console/api/<operation>, which answers like /api/v1.
"use strict";

const REFRESH_MS = 15000;  // a fallback: order events refresh the books as they happen
const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

const COLUMNS = {
  orderbook: (o) => [o.orderid, `${o.symbol} ${o.exchange}`, o.action, o.quantity, o.pricetype, o.price, o.order_status, o.timestamp],
  tradebook: (t) => [t.orderid, `${t.symbol} ${t.exchange}`, t.action, t.quantity, t.average_price, t.timestamp],
  positionbook: (p) => [`${p.symbol} ${p.exchange}`, p.product, p.quantity, p.average_price, p.ltp, p.pnl],
  holdings: (h) => [`${h.symbol} ${h.exchange}`, h.quantity, h.average_price, h.ltp, h.pnl, h.pnlpercent],
};
const ROWS = {
  orderbook: (data) => (data && data.orders) || [],
  tradebook: (data) => data || [],
  positionbook: (data) => data || [],
  holdings: (data) => (data && data.holdings) || [],
};

function cell(value) {
  const td = document.createElement("td");
  td.textContent = value === undefined || value === null ? "" : String(value);
  if (typeof value === "number" && value < 0) td.className = "loss";
  return td;
}

async function post(operation, payload) {
  const body = new URLSearchParams({ payload: JSON.stringify(payload || {}) });
  const answer = await fetch(`/console/api/${operation}`, {
    method: "POST", body, credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken() },
  });
  return answer.json();
}

function renderTable(section, book, data) {
  const body = section.querySelector("tbody");
  const rows = ROWS[book](data).map((item) => {
    const tr = document.createElement("tr");
    COLUMNS[book](item).forEach((value) => tr.appendChild(cell(value)));
    if (book === "orderbook") {
      const actions = document.createElement("td");
      if (["open", "trigger pending"].includes(String(item.order_status).toLowerCase())) {
        const button = document.createElement("button");
        button.type = "button"; button.className = "danger"; button.textContent = "Cancel";
        button.addEventListener("click", async () => {
          button.disabled = true;
          const answer = await post("cancelorder", { orderid: item.orderid });
          section.querySelector(".status").textContent = answer.message || answer.status;
          refresh(section);
        });
        actions.appendChild(button);
      }
      tr.appendChild(actions);
    }
    return tr;
  });
  body.replaceChildren(...rows);
  return rows.length;
}

// A <dl> of label/value pairs; the pages' summaries and the funds figures share it.
function showTerms(list, pairs) {
  list.replaceChildren(...pairs.map(([label, value]) => {
    const box = document.createElement("div");
    const term = document.createElement("dt"); term.textContent = label;
    const detail = document.createElement("dd"); detail.textContent = value;
    box.append(term, detail);
    return box;
  }));
}

// A figure in Indian grouping, or "n/a" for a value the server could not compute.
function formatNumber(value, digits = 2) {
  if (value === null || value === undefined) return "n/a";
  return Number(value).toLocaleString("en-IN", { maximumFractionDigits: digits });
}

function renderFigures(section, data) {
  const list = section.querySelector("dl");
  showTerms(list, list.dataset.fields.split(",").map((name) => [name, data && data[name] !== undefined ? data[name] : "–"]));
}

async function refresh(section) {
  const book = section.dataset.book;
  const status = section.querySelector(".status");
  try {
    const answer = await fetch(`/console/api/${book}`, { credentials: "same-origin" });
    const json = await answer.json();
    if (json.status !== "success") { status.textContent = json.message || "unavailable"; return; }
    if (book === "funds") { renderFigures(section, json.data); status.textContent = ""; return; }
    const count = renderTable(section, book, json.data);
    status.textContent = count ? "" : "Nothing yet.";
  } catch (error) {
    status.textContent = "Could not reach brokergate; retrying.";
  }
}

function startLiveTables() {
  const sections = document.querySelectorAll("[data-book]");
  if (!sections.length) return;
  const tick = () => { if (!document.hidden) sections.forEach(refresh); };
  tick();
  setInterval(tick, REFRESH_MS);
  document.addEventListener("visibilitychange", tick);
  if (window.EventSource) {
    const events = new EventSource("/console/events");
    events.addEventListener("order", () => sections.forEach(refresh));
  }
}

function wireActions() {
  document.querySelectorAll("button[data-action]").forEach((button) => {
    button.addEventListener("click", async () => {
      if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
      const section = button.closest("[data-book]");
      const answer = await post(button.dataset.action, {});
      section.querySelector(".status").textContent = answer.message || answer.status;
      document.querySelectorAll("[data-book]").forEach(refresh);
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => { if (!window.confirm(form.dataset.confirm)) event.preventDefault(); });
  });
}

document.addEventListener("DOMContentLoaded", () => { wireActions(); startLiveTables(); });
