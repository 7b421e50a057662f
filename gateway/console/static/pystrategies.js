// brokergate console, Python strategies page: the list, the editor, start/stop/schedule/delete, and a
// live log that polls /console/python/log every two seconds for the selected strategy.
"use strict";

(() => {
  const table = document.getElementById("pystrategies");
  if (!table) return;
  const token = () => document.querySelector('meta[name="csrf-token"]').content;
  const form = document.getElementById("pystrategy-form");
  const formStatus = document.getElementById("pystrategy-form-status");
  const listStatus = document.getElementById("pystrategies-status");
  const selectedCard = document.getElementById("pystrategy-selected");
  const logView = document.getElementById("pystrategy-log");
  const scheduleForm = document.getElementById("pystrategy-schedule");
  let selected = null;

  async function read(what, query) {
    const answer = await fetch(`/console/python/${what}${query ? "?" + new URLSearchParams(query) : ""}`,
      { credentials: "same-origin" });
    return answer.json();
  }

  async function send(path, body) {
    const answer = await fetch(`/console/python/${path}`, {
      method: "POST", body, credentials: "same-origin", headers: { "X-CSRF-Token": token() },
    });
    return answer.json();
  }

  function fields(values) {
    const body = new FormData();
    Object.entries(values).forEach(([key, value]) => body.append(key, value));
    return body;
  }

  function button(label, kind, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = kind;
    b.textContent = label;
    b.addEventListener("click", (event) => { event.stopPropagation(); onClick(b); });
    return b;
  }

  async function act(action, strategy, extra) {
    listStatus.textContent = `${action} ${strategy.name}…`;
    const answer = await send(`do/${action}`, fields({ id: strategy.id, ...(extra || {}) }));
    listStatus.textContent = answer.status === "success"
      ? `${strategy.name}: ${answer.data.removed ? "deleted" : answer.data.status}` : answer.message;
    if (action === "delete" && answer.status === "success" && selected === strategy.id) clearEditor();
    await refresh();
    return answer;
  }

  function schedule(strategy) {
    const plan = strategy.schedule;
    return plan ? `${plan.days.join(",")} ${plan.start}–${plan.stop}` : "";
  }

  async function refresh() {
    const answer = await read("list");
    const rows = (answer.data || []).map((strategy) => {
      const tr = document.createElement("tr");
      tr.dataset.id = strategy.id;
      tr.dataset.status = strategy.status;
      if (strategy.id === selected) tr.className = "selected";
      const status = strategy.status + (strategy.exit_code !== null && strategy.exit_code !== undefined
        ? ` (${strategy.exit_code})` : "");
      [strategy.name, status, schedule(strategy), (strategy.message || "").split("\n")[0]].forEach((value) => {
        const td = document.createElement("td");
        td.textContent = value;
        tr.appendChild(td);
      });
      const actions = document.createElement("td");
      if (strategy.status === "running") actions.appendChild(button("Stop", "secondary", () => act("stop", strategy)));
      else actions.appendChild(button("Start", "", () => act("start", strategy)));
      actions.appendChild(button("Delete", "danger", () => {
        if (window.confirm(`Delete ${strategy.name}, its script, schedule and logs?`)) act("delete", strategy);
      }));
      tr.appendChild(actions);
      tr.addEventListener("click", () => choose(strategy.id));
      return tr;
    });
    table.querySelector("tbody").replaceChildren(...rows);
    if (!rows.length) listStatus.textContent = listStatus.textContent || "No strategies yet: upload or write one below.";
  }

  async function choose(id) {
    const answer = await read("source", { id });
    if (answer.status !== "success") { listStatus.textContent = answer.message; return; }
    const strategy = answer.data;
    selected = strategy.id;
    form.elements.id.value = strategy.id;
    form.elements.name.value = strategy.name;
    form.elements.source.value = strategy.source;
    form.elements.file.value = "";
    document.getElementById("pystrategy-editor-title").textContent = `Edit ${strategy.name}`;
    document.getElementById("pystrategy-log-title").textContent = `${strategy.name}: schedule and log`;
    if (strategy.schedule) {
      scheduleForm.querySelectorAll("input[name=days]").forEach((box) => {
        box.checked = strategy.schedule.days.includes(box.value);
      });
      scheduleForm.elements.start.value = strategy.schedule.start;
      scheduleForm.elements.stop.value = strategy.schedule.stop;
    }
    selectedCard.hidden = false;
    await refreshLog();
    await refresh();
  }

  function clearEditor() {
    selected = null;
    form.reset();
    form.elements.id.value = "";
    document.getElementById("pystrategy-editor-title").textContent = "New strategy";
    selectedCard.hidden = true;
    logView.textContent = "";
  }

  async function refreshLog() {
    if (selected === null) return;
    const answer = await read("log", { id: selected });
    if (answer.status !== "success") return;
    const atBottom = logView.scrollTop + logView.clientHeight >= logView.scrollHeight - 4;
    logView.textContent = answer.data.lines.join("\n");
    if (atBottom) logView.scrollTop = logView.scrollHeight;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formStatus.textContent = "Saving…";
    const answer = await send("save", new FormData(form));
    if (answer.status !== "success") { formStatus.textContent = answer.message; return; }
    formStatus.textContent = `Saved ${answer.data.name}.` + (answer.data.status === "running"
      ? " It runs the old text until you stop and start it." : "");
    await choose(answer.data.id);
  });

  scheduleForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData(scheduleForm);
    body.append("id", selected);
    const answer = await send("do/schedule", body);
    listStatus.textContent = answer.status === "success"
      ? `${answer.data.name} is scheduled: ${schedule(answer.data)} IST` : answer.message;
    await refresh();
  });

  document.getElementById("pystrategy-unschedule").addEventListener("click", async () => {
    const answer = await send("do/unschedule", fields({ id: selected }));
    listStatus.textContent = answer.status === "success" ? `${answer.data.name} has no schedule` : answer.message;
    await refresh();
  });

  document.getElementById("pystrategy-new").addEventListener("click", clearEditor);

  refresh();
  window.setInterval(refresh, 3000);
  window.setInterval(refreshLog, 2000);
})();
