// brokergate console, Flow page: the workflow list, a form editor of nodes and edges built from the spec's
// per-kind fields (/console/flow/kinds), JSON import/export, activation, run now and the run history with
// each node's input, output, error and duration. Every call goes to /console/flow/api/<operation>, which
// makes the /api/v1/flow call in-process with the user's key, so the API's checks apply unchanged.
"use strict";

(() => {
  const table = document.getElementById("flow-workflows");
  if (!table) return;
  const $ = (id) => document.getElementById(id);
  const GROUP_LABELS = { trigger: "Triggers", action: "Actions", data: "Data", logic: "Logic", notify: "Notify", other: "Other" };
  const BRANCHING = new Set(["condition"]);  // kinds whose edges say which outcome they follow
  let kinds = new Map();          // kind -> {kind, group, description, fields}
  let doc = emptyDocument();      // the document in the editor
  let editingId = null;           // the workflow the editor saves to; null creates a new one
  let selectedId = null;          // the workflow whose details and runs are shown
  let shownRunId = null;          // the run whose steps are shown
  let shownSecret = null;         // a signing secret just issued, for the selected workflow
  let problems = new Map();       // node id -> what is wrong with it, from the last check or save

  function emptyDocument() {
    return { name: "", description: "", overlap: "drop", nodes: [], edges: [] };
  }

  async function api(operation, payload) {
    const body = new URLSearchParams({ payload: JSON.stringify(payload || {}) });
    try {
      const answer = await fetch(`/console/flow/api/${operation}`, {
        method: "POST", body, credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken() },
      });
      return await answer.json();
    } catch (error) {
      return { status: "error", message: "Could not reach brokergate; try again." };
    }
  }

  function element(tag, props, children) {
    const node = document.createElement(tag);
    Object.entries(props || {}).forEach(([key, value]) => {
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key in node) node[key] = value;
      else node.setAttribute(key, value);
    });
    (children || []).forEach((child) => node.append(child));
    return node;
  }

  function button(label, kind, onClick) {
    const b = element("button", { type: "button", className: kind, textContent: label });
    b.addEventListener("click", (event) => { event.stopPropagation(); onClick(b); });
    return b;
  }

  function ist(moment) {
    if (!moment) return "";
    const parsed = new Date(moment);
    if (Number.isNaN(parsed.getTime())) return String(moment);
    return parsed.toLocaleString("en-IN", { timeZone: "Asia/Kolkata", hour12: false });
  }

  // -- the per-kind fields ----------------------------------------------------------------------------

  function isJsonField(field) {
    return !field.fields && !field.enum && field.types.some((type) => ["object", "array", "any"].includes(type));
  }

  function defaults(fields) {
    const data = {};
    fields.forEach((field) => {
      if (field.fields) {
        const inner = defaults(field.fields);
        if (field.required || Object.keys(inner).length) data[field.name] = inner;
      } else if (field.default !== undefined) {
        data[field.name] = field.default;
      }
    });
    return data;
  }

  function readField(field, input) {
    if (input.type === "checkbox") return input.checked;
    const text = input.value.trim();
    if (text === "") return undefined;
    if (field.enum) return field.enum.find((option) => String(option) === text);
    if (field.types.includes("any")) {
      try { return JSON.parse(text); } catch (error) { return text; }  // plain text is a string body
    }
    if (isJsonField(field)) return JSON.parse(text);  // the caller marks the field when this throws
    const numeric = field.types.includes("integer") || field.types.includes("number");
    if (numeric && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    if (field.types.includes("boolean") && (text === "true" || text === "false")) return text === "true";
    return text;  // a string, or a {{reference}} the engine resolves when the node runs
  }

  function fieldControl(node, field, holder) {
    const value = holder[field.name];
    let input;
    if (field.enum) {
      input = element("select", {}, [element("option", { value: "", textContent: field.required ? "choose…" : "–" })]);
      field.enum.forEach((option) => input.append(element("option", { value: String(option), textContent: String(option) })));
      input.value = value === undefined ? "" : String(value);
    } else if (field.types.length === 1 && field.types[0] === "boolean") {
      input = element("input", { type: "checkbox", checked: Boolean(value) });
    } else if (isJsonField(field)) {
      input = element("textarea", { className: "code", rows: 3, spellcheck: false,
        value: value === undefined ? "" : JSON.stringify(value, null, 1) });
    } else {
      // Text even for numbers: a parameter may hold a {{reference}} instead of a figure.
      input = element("input", { type: "text", value: value === undefined ? "" : String(value) });
      if (field.types.every((type) => type === "integer" || type === "number")) input.inputMode = "decimal";
      if (field.maxLength) input.maxLength = field.maxLength;
    }
    if (field.default !== undefined && input.tagName !== "SELECT") input.placeholder = String(field.default);
    else if (field.format === "date-time") input.placeholder = "2026-12-08T09:20:00";
    input.name = field.name;
    input.dataset.field = field.name;
    const store = () => {
      try {
        const read = readField(field, input);
        if (read === undefined) delete holder[field.name]; else holder[field.name] = read;
        input.classList.remove("invalid");
      } catch (error) {
        input.classList.add("invalid");
      }
    };
    input.addEventListener("input", store);
    input.addEventListener("change", store);
    const label = element("label", { title: field.description || "" },
      [element("span", { textContent: field.name + (field.required ? " *" : "") }), input]);
    if (input.type === "checkbox") label.className = "inline-label";
    return label;
  }

  function fieldControls(node, fields, holder) {
    return fields.map((field) => {
      if (!field.fields) return fieldControl(node, field, holder);
      if (typeof holder[field.name] !== "object" || holder[field.name] === null) holder[field.name] = {};
      return element("fieldset", { className: "row-form" },
        [element("legend", { textContent: field.name }), ...fieldControls(node, field.fields, holder[field.name])]);
    });
  }

  function kindPicker(selected) {
    const select = element("select", { "aria-label": "Kind" });
    const groups = new Map();
    kinds.forEach((kind) => {
      if (!groups.has(kind.group)) groups.set(kind.group, element("optgroup", { label: GROUP_LABELS[kind.group] || kind.group }));
      groups.get(kind.group).append(element("option", { value: kind.kind, textContent: kind.kind }));
    });
    groups.forEach((group) => select.append(group));
    if (selected) select.value = selected;
    return select;
  }

  // -- the node editor --------------------------------------------------------------------------------

  function nextNodeId() {
    const taken = new Set(doc.nodes.map((node) => node.id));
    let index = doc.nodes.length + 1;
    while (taken.has(`n${index}`)) index += 1;
    return `n${index}`;
  }

  function addNode(kind) {
    const id = nextNodeId();
    const previous = doc.nodes[doc.nodes.length - 1];
    doc.nodes.push({ id, type: kind, data: defaults(kinds.get(kind).fields) });
    // A new node follows the last one, the way most workflows read top to bottom; nothing leads into a trigger.
    if (previous && !BRANCHING.has(previous.type) && kinds.get(kind).group !== "trigger") {
      doc.edges.push({ source: previous.id, target: id });
    }
    renderNodes();
  }

  function renameNode(node, newId, input) {
    newId = newId.trim();
    if (!newId || doc.nodes.some((other) => other !== node && other.id === newId)) {
      input.classList.add("invalid");
      return;
    }
    input.classList.remove("invalid");
    doc.edges.forEach((edge) => {
      if (edge.source === node.id) edge.source = newId;
      if (edge.target === node.id) edge.target = newId;
    });
    node.id = newId;
    renderNodes();
  }

  function edgeRow(node, edge) {
    const targets = element("select", { "aria-label": "Next node" }, [element("option", { value: "", textContent: "choose…" })]);
    doc.nodes.filter((other) => other !== node).forEach((other) => {
      targets.append(element("option", { value: other.id, textContent: `${other.id} (${other.type})` }));
    });
    targets.value = edge.target || "";
    targets.addEventListener("change", () => { edge.target = targets.value; });
    const row = element("li", { className: "flow-edge" }, [element("span", { textContent: "then" }), targets]);
    if (BRANCHING.has(node.type)) {
      const branch = element("select", { "aria-label": "Branch" }, [
        element("option", { value: "true", textContent: "when true" }),
        element("option", { value: "false", textContent: "when false" }),
      ]);
      if (!edge.branch) edge.branch = "true";
      branch.value = edge.branch;
      branch.addEventListener("change", () => { edge.branch = branch.value; });
      row.insertBefore(branch, targets);
    }
    row.append(button("remove", "link", () => { doc.edges.splice(doc.edges.indexOf(edge), 1); renderNodes(); }));
    return row;
  }

  function nodeCard(node, index) {
    const kind = kinds.get(node.type);
    const idInput = element("input", { value: node.id, size: 8, maxLength: 64, "aria-label": "Node id", className: "node-id" });
    idInput.addEventListener("change", () => renameNode(node, idInput.value, idInput));
    const picker = kindPicker(node.type);
    picker.addEventListener("change", () => {
      const fresh = defaults(kinds.get(picker.value).fields);
      const names = new Set(kinds.get(picker.value).fields.map((field) => field.name));
      Object.entries(node.data || {}).forEach(([name, value]) => { if (names.has(name)) fresh[name] = value; });
      node.type = picker.value;
      node.data = fresh;
      if (!BRANCHING.has(node.type)) doc.edges.forEach((edge) => { if (edge.source === node.id) delete edge.branch; });
      renderNodes();
    });
    const move = (step) => {
      const to = index + step;
      if (to < 0 || to >= doc.nodes.length) return;
      [doc.nodes[index], doc.nodes[to]] = [doc.nodes[to], doc.nodes[index]];
      renderNodes();
    };
    const header = element("div", { className: "flow-node-head" }, [
      element("strong", { textContent: `${index + 1}.` }), idInput, picker,
      element("span", { className: "muted small", textContent: kind ? kind.group : "unknown kind" }),
      button("↑", "link", () => move(-1)), button("↓", "link", () => move(1)),
      button("Remove", "danger", () => {
        doc.nodes.splice(index, 1);
        doc.edges = doc.edges.filter((edge) => edge.source !== node.id && edge.target !== node.id);
        renderNodes();
      }),
    ]);
    node.data = node.data || {};
    const fields = element("div", { className: "row-form flow-fields" },
      kind ? fieldControls(node, kind.fields, node.data) : [element("span", { className: "error", textContent: `${node.type} is not a kind the spec knows` })]);
    const edges = element("ul", { className: "flow-edges" },
      doc.edges.filter((edge) => edge.source === node.id).map((edge) => edgeRow(node, edge)));
    const addEdge = button("Add next", "secondary", () => {
      doc.edges.push(BRANCHING.has(node.type) ? { source: node.id, target: "", branch: "true" } : { source: node.id, target: "" });
      renderNodes();
    });
    const card = element("li", { className: "flow-node", dataset: { nodeId: node.id, kind: node.type } },
      [header, kind && kind.description ? element("p", { className: "muted small", textContent: kind.description.replace(/`/g, "") }) : "",
        fields, edges, addEdge]);
    if (problems.has(node.id)) {
      card.classList.add("invalid");
      card.append(element("p", { className: "error node-error", role: "alert", textContent: problems.get(node.id) }));
    }
    return card;
  }

  function renderNodes() {
    $("flow-nodes").replaceChildren(...doc.nodes.map(nodeCard));
  }

  function renderEditor() {
    $("flow-name").value = doc.name || "";
    $("flow-description").value = doc.description || "";
    $("flow-overlap").value = doc.overlap || "drop";
    $("flow-signed-label").hidden = editingId !== null;
    $("flow-editor-title").textContent = editingId === null ? "New workflow" : `Edit ${doc.name}`;
    renderNodes();
  }

  // The editor gives every nested object a holder; an optional one left empty is not sent.
  function prune(fields, holder) {
    fields.filter((field) => field.fields).forEach((field) => {
      const inner = holder[field.name];
      if (inner && typeof inner === "object") prune(field.fields, inner);
      if (!field.required && inner && typeof inner === "object" && !Object.keys(inner).length) delete holder[field.name];
    });
  }

  function documentFromEditor() {
    doc.nodes.forEach((node) => { if (kinds.has(node.type)) prune(kinds.get(node.type).fields, node.data || {}); });
    const built = { name: $("flow-name").value.trim(), overlap: $("flow-overlap").value, nodes: doc.nodes, edges: doc.edges };
    const description = $("flow-description").value.trim();
    if (description) built.description = description;
    doc.name = built.name; doc.description = description; doc.overlap = built.overlap;
    return built;
  }

  function missing(fields, holder) {
    return fields.flatMap((field) => {
      if (field.fields) return missing(field.fields, holder[field.name] || {}).map((name) => `${field.name}.${name}`);
      return field.required && (holder[field.name] === undefined || holder[field.name] === "") ? [field.name] : [];
    });
  }

  // What the page can tell before the server does; the server's checks (cycles, kinds, limits) still apply.
  function check(built) {
    const found = new Map();
    const note = (id, text) => found.set(id, found.has(id) ? `${found.get(id)}; ${text}` : text);
    const ids = new Set();
    built.nodes.forEach((node) => {
      if (ids.has(node.id)) note(node.id, `the id ${node.id} is used twice`);
      ids.add(node.id);
      const kind = kinds.get(node.type);
      if (!kind) return note(node.id, `${node.type} is not a known kind`);
      const absent = missing(kind.fields, node.data || {});
      if (absent.length) note(node.id, `fill in ${absent.join(", ")}`);
    });
    document.querySelectorAll("#flow-nodes .invalid[data-field]").forEach((input) => {
      note(input.closest(".flow-node").dataset.nodeId, `${input.dataset.field} is not valid JSON`);
    });
    built.edges.forEach((edge) => {
      if (!ids.has(edge.target)) note(edge.source, "an edge has no next node chosen");
    });
    return found;
  }

  // The server names the nodes at fault in `errors` (node id -> reasons); mark each of them.
  function markServerError(answer) {
    problems = new Map();
    const named = answer.errors && typeof answer.errors === "object" ? answer.errors : {};
    doc.nodes.forEach((node) => {
      if (Array.isArray(named[node.id])) problems.set(node.id, named[node.id].join("; "));
    });
    renderNodes();
  }

  async function save() {
    const status = $("flow-editor-status");
    const built = documentFromEditor();
    problems = check(built);
    if (!built.name) { status.textContent = "Give the workflow a name."; return; }
    if (!built.nodes.length) { status.textContent = "Add at least a trigger node."; return; }
    if (problems.size) {
      renderNodes();
      status.textContent = [...problems].map(([id, text]) => `${id}: ${text}`).join(" · ");
      return;
    }
    status.textContent = "Saving…";
    const answer = editingId === null
      ? await api("create", { workflow: built, signed: $("flow-signed").checked })
      : await api("update", { workflow_id: editingId, workflow: built });
    if (answer.status !== "success") {
      status.textContent = answer.message || "The workflow was not saved.";
      markServerError(answer);
      return;
    }
    problems = new Map();
    renderNodes();
    const saved = answer.data;
    editingId = saved.workflow_id;
    status.textContent = `Saved ${saved.name || built.name}.`;
    renderEditor();
    await select(saved.workflow_id, saved.signing_secret);
    await refreshList();
  }

  function loadDocument(loaded, workflowId) {
    doc = {
      name: loaded.name || "", description: loaded.description || "", overlap: loaded.overlap || "drop",
      nodes: (loaded.nodes || []).map((node) => ({ ...node, data: { ...(node.data || {}) } })),
      edges: (loaded.edges || []).map((edge) => ({ ...edge })),
    };
    editingId = workflowId;
    problems = new Map();
    renderEditor();
  }

  async function edit(workflowId) {
    const answer = await api("get", { workflow_id: workflowId });
    if (answer.status !== "success") { $("flow-list-status").textContent = answer.message; return; }
    loadDocument(answer.data.workflow, answer.data.workflow_id);
    $("flow-editor-status").textContent = "";
    await select(workflowId);
    $("flow-editor").scrollIntoView({ block: "start" });
  }

  function exportText() {
    return JSON.stringify(documentFromEditor(), null, 2);
  }

  // -- the list -------------------------------------------------------------------------------------

  async function refreshList() {
    const status = $("flow-list-status");
    const answer = await api("workflows", {});
    if (answer.status !== "success") { status.textContent = answer.message; return; }
    const rows = answer.data.map((workflow) => {
      const last = workflow.last_run;
      const tr = element("tr", { dataset: { workflowId: workflow.workflow_id, active: workflow.is_active } }, [
        element("td", { textContent: workflow.name }),
        element("td", {}, [element("span", { className: `tag ${workflow.is_active ? "on" : "off"}`,
          textContent: workflow.is_active ? "active" : "inactive" })]),
        element("td", { textContent: (workflow.triggers || []).join(", ") }),
        element("td", { textContent: ist(workflow.next_run) }),
        element("td", { textContent: last ? `${last.status} · ${ist(last.started_at)}` : "" }),
      ]);
      if (workflow.workflow_id === selectedId) tr.className = "selected";
      const actions = element("td", { className: "actions" }, [
        button("Edit", "secondary", () => edit(workflow.workflow_id)),
        button(workflow.is_active ? "Deactivate" : "Activate", "secondary", async () => {
          const done = await api("activate", { workflow_id: workflow.workflow_id, active: !workflow.is_active });
          status.textContent = done.status === "success" ? "" : done.message;
          await refreshList();
          if (selectedId === workflow.workflow_id) await select(selectedId);
        }),
        button("Run now", "", () => runNow(workflow.workflow_id)),
        button("Delete", "danger", async () => {
          if (!window.confirm(`Delete ${workflow.name} and its run history?`)) return;
          const done = await api("delete", { workflow_id: workflow.workflow_id });
          status.textContent = done.status === "success" ? `Deleted ${workflow.name}.` : done.message;
          if (editingId === workflow.workflow_id) { editingId = null; loadDocument(emptyDocument(), null); }
          if (selectedId === workflow.workflow_id) { selectedId = null; $("flow-selected").hidden = true; }
          await refreshList();
        }),
      ]);
      tr.append(actions);
      tr.addEventListener("click", () => select(workflow.workflow_id));
      return tr;
    });
    table.querySelector("tbody").replaceChildren(...rows);
    const none = "No workflows yet: build one below.";
    if (!rows.length) status.textContent = status.textContent || none;
    else if (status.textContent === none) status.textContent = "";
  }

  // -- the selected workflow: facts, webhook URL, run now, runs and steps -------------------------------

  async function select(workflowId, signingSecret) {
    const answer = await api("get", { workflow_id: workflowId });
    if (answer.status !== "success") { $("flow-list-status").textContent = answer.message; return; }
    const workflow = answer.data;
    if (selectedId !== workflowId) { shownRunId = null; shownSecret = null; }
    if (signingSecret) shownSecret = signingSecret;  // shown until another workflow is chosen, never fetched again
    selectedId = workflowId;
    $("flow-selected").hidden = false;
    $("flow-selected-title").textContent = `${workflow.name}: runs`;
    showTerms($("flow-facts"), [
      ["State", workflow.is_active ? "active" : "inactive"],
      ["Triggers", (workflow.triggers || []).join(", ") || "–"],
      ["Next run (IST)", ist(workflow.next_run) || "–"],
      ["Last run", workflow.last_run ? `${workflow.last_run.status} · ${ist(workflow.last_run.started_at)}` : "–"],
      ["Webhooks", workflow.is_signed ? "signed (HMAC)" : "unsigned"],
      ["Updated (IST)", ist(workflow.updated_at)],
    ]);
    $("flow-webhook-url").textContent = workflow.webhook_url || "";
    $("flow-webhook").hidden = !workflow.webhook_url;
    $("flow-signing-secret").hidden = !shownSecret;
    $("flow-signing-secret-value").textContent = shownSecret || "";
    document.querySelectorAll("#flow-workflows tbody tr").forEach((tr) => {
      tr.classList.toggle("selected", tr.dataset.workflowId === String(workflowId));
    });
    await refreshRuns();
  }

  async function runNow(workflowId) {
    const status = $("flow-run-status");
    if (selectedId !== workflowId) await select(workflowId);
    const text = $("flow-run-payload").value.trim();
    const payload = { workflow_id: workflowId };
    if (text) {
      try { payload.payload = JSON.parse(text); } catch (error) { status.textContent = "The payload is not valid JSON."; return; }
    }
    status.textContent = "Running…";
    const answer = await api("run", payload);
    // "queued": the run goes on past the API's wait; the history below follows it to the end.
    if (answer.status !== "success" && answer.status !== "queued") { status.textContent = answer.message; return; }
    const run = answer.data;
    status.textContent = `Run ${run.run_id}: ${run.status}${run.error ? ` (${run.error})` : ""}`;
    shownRunId = run.run_id;
    await select(workflowId);
    await refreshList();
  }

  async function refreshRuns() {
    if (selectedId === null) return;
    const answer = await api("runs", { workflow_id: selectedId, limit: 20 });
    if (answer.status !== "success") { $("flow-run-status").textContent = answer.message; return; }
    const rows = answer.data.map((run) => {
      const tr = element("tr", { dataset: { runId: run.run_id, status: run.status } }, [
        element("td", { textContent: run.run_id }), element("td", { textContent: run.trigger || "" }),
        element("td", {}, [element("span", { className: `tag ${run.status === "succeeded" ? "on" : run.status === "failed" ? "off" : ""}`, textContent: run.status })]),
        element("td", { textContent: ist(run.started_at) }), element("td", { textContent: ist(run.finished_at) }),
        element("td", { className: "clip", textContent: run.error || "", title: run.error || "" }),
      ]);
      if (String(run.run_id) === String(shownRunId)) tr.className = "selected";
      tr.addEventListener("click", () => { shownRunId = run.run_id; refreshRuns(); });
      return tr;
    });
    $("flow-runs").querySelector("tbody").replaceChildren(...rows);
    if (shownRunId === null && answer.data.length) shownRunId = answer.data[0].run_id;
    if (shownRunId !== null) await showRun(shownRunId);
    else $("flow-steps").querySelector("tbody").replaceChildren();
  }

  function shown(value) {
    if (value === undefined || value === null) return element("td");
    return element("td", {}, [element("pre", { className: "json", textContent: JSON.stringify(value, null, 1) })]);
  }

  async function showRun(runId) {
    const answer = await api("run_detail", { run_id: runId });
    if (answer.status !== "success") return;
    const run = answer.data;
    $("flow-steps-title").textContent = `Steps of run ${run.run_id} (${run.status})`;
    $("flow-steps").dataset.runId = run.run_id;
    $("flow-steps").dataset.status = run.status;
    const rows = (run.steps || []).map((step) => element("tr", { dataset: { nodeId: step.node_id, status: step.status } }, [
      element("td", { textContent: step.node_id }), element("td", { textContent: step.type }),
      element("td", { textContent: step.status }),
      element("td", { textContent: step.duration_ms === null || step.duration_ms === undefined ? "" : `${formatNumber(step.duration_ms, 1)} ms` }),
      shown(step.input), shown(step.output), element("td", { className: "loss", textContent: step.error || "" }),
    ]));
    $("flow-steps").querySelector("tbody").replaceChildren(...rows);
  }

  // -- wiring ---------------------------------------------------------------------------------------

  async function start() {
    const answer = await fetch("/console/flow/kinds", { credentials: "same-origin" }).then((r) => r.json());
    if (answer.status !== "success") { $("flow-editor-status").textContent = answer.message; return; }
    kinds = new Map(answer.data.map((kind) => [kind.kind, kind]));
    const picker = kindPicker(kinds.has("manualTrigger") ? "manualTrigger" : null);
    picker.id = "flow-add-kind";
    $("flow-add-kind").replaceWith(picker);
    renderNodes();  // not renderEditor: the name typed while the kinds loaded stays
    await refreshList();
    window.setInterval(async () => {
      if (document.hidden) return;
      await refreshList();
      if (selectedId !== null) await select(selectedId);
    }, 3000);
  }

  $("flow-add-node").addEventListener("click", () => addNode($("flow-add-kind").value));
  $("flow-save").addEventListener("click", save);
  $("flow-new").addEventListener("click", () => {
    loadDocument(emptyDocument(), null);
    $("flow-editor-status").textContent = "";
    $("flow-name").focus();
  });
  $("flow-export").addEventListener("click", () => {
    $("flow-json").value = exportText();
    $("flow-json-panel").open = true;
  });
  $("flow-download").addEventListener("click", () => {
    const text = exportText();
    const link = element("a", {
      href: URL.createObjectURL(new Blob([text], { type: "application/json" })),
      download: `${(doc.name || "workflow").replace(/[^A-Za-z0-9_.-]+/g, "_")}.json`,
    });
    document.body.append(link);
    link.click();
    link.remove();
    URL.revokeObjectURL(link.href);
  });
  $("flow-import-file").addEventListener("change", async () => {
    const file = $("flow-import-file").files[0];
    if (file) $("flow-json").value = await file.text();
  });
  $("flow-import").addEventListener("click", () => {
    const status = $("flow-editor-status");
    try {
      const parsed = JSON.parse($("flow-json").value);
      const loaded = parsed && parsed.workflow ? parsed.workflow : parsed;
      if (!loaded || !Array.isArray(loaded.nodes)) throw new Error("no nodes list");
      loadDocument(loaded, editingId);
      status.textContent = editingId === null
        ? "Loaded; save to create it." : "Loaded into the workflow being edited; save to replace it (or New first).";
    } catch (error) {
      status.textContent = `That is not a workflow document: ${error.message}`;
    }
  });
  $("flow-rotate").addEventListener("click", async () => {
    if (selectedId === null || !window.confirm("Rotate the webhook URL? The old one stops working.")) return;
    const answer = await api("rotate", { workflow_id: selectedId });
    $("flow-run-status").textContent = answer.status === "success" ? "The webhook URL was rotated." : answer.message;
    await select(selectedId, answer.status === "success" ? answer.data.signing_secret : undefined);
  });
  $("flow-run").addEventListener("click", () => { if (selectedId !== null) runNow(selectedId); });

  start();
})();
