/* Data page (数据): import a file from the browser — upload, preview, map columns (with
   suggestions), options, dry run, import with a progress bar — plus the import history and
   the saved mappings. Every number and error comes from /api/v1/imports and /api/v1/mappings
   (the same importer as `salesops import`); text from the file is only ever set as text. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const root = $("import");
  if (!root) return;
  const cfg = JSON.parse($("import-data").textContent);
  const t = (key, params) => {
    let s = cfg.t[key] || key;
    for (const [k, v] of Object.entries(params || {})) s = s.replace("{" + k + "}", v);
    return s;
  };
  const labels = { ...cfg.labels, ...Object.fromEntries(cfg.entities.map((e) => [e.id, e.label])) };
  const state = { upload: null, entity: "", fields: {}, doc: null, sheet: null, busy: false };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }

  async function api(method, url, body, headers) {
    const init = { method, headers: { "x-csrf-token": root.dataset.csrf, ...(headers || {}) } };
    if (body !== undefined) {
      if (body instanceof Blob) init.body = body;
      else { init.body = JSON.stringify(body); init.headers["content-type"] = "application/json"; }
    }
    const response = await fetch(url, init);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      let detail = data && data.detail;
      if (Array.isArray(detail)) detail = detail.map((d) => d.msg).join("; ");
      throw new Error(detail || t("request_failed", { status: response.status }));
    }
    return data;
  }

  function message(node, text, kind) {
    node.textContent = text || "";
    node.className = "msg" + (kind ? " " + kind : "");
  }

  /* ------------------------------------------------------------ step 1: the file */
  const entitySelect = $("import-entity");
  for (const e of cfg.entities) entitySelect.append(el("option", { value: e.id, text: e.label }));
  const addEntity = $("add-entity");
  addEntity.append(el("option", { value: "", text: t("add_entity") }));
  for (const e of cfg.entities) addEntity.append(el("option", { value: e.id, text: e.label }));

  $("import-upload").addEventListener("click", async () => {
    const file = $("import-file").files[0];
    const msg = $("upload-msg");
    if (!entitySelect.value) return message(msg, t("pick_entity"), "bad");
    if (!file) return message(msg, t("pick_file"), "bad");
    if (file.size > cfg.max_mb * 1024 * 1024) return message(msg, t("too_large", { mb: cfg.max_mb }), "bad");
    resetAfter("step-file");
    message(msg, t("uploading"));
    try {
      const data = await api("POST", "/api/v1/imports/uploads?name=" + encodeURIComponent(file.name),
        file, { "content-type": "application/octet-stream" });
      message(msg, "");
      state.upload = data;
      state.sheet = null;
      showPreview(data);
      await suggest();
    } catch (err) {
      message(msg, err.message, "bad");
    }
  });
  entitySelect.addEventListener("change", () => { if (state.upload) suggest(); });

  function resetAfter(step) {
    const order = ["step-file", "step-preview", "step-mapping", "step-options", "step-result"];
    for (const id of order.slice(order.indexOf(step) + 1)) $(id).hidden = true;
  }

  /* ------------------------------------------------------------ step 2: preview */
  function showPreview(data) {
    $("step-preview").hidden = false;
    $("preview-info").textContent = `${data.name} · ${t("rows", { n: data.n_rows.toLocaleString() })}` +
      (data.encoding ? ` · ${data.encoding}` : "");
    const table = $("preview-table");
    table.replaceChildren();
    const head = el("tr", {}, el("th", { class: "num", text: "#" }));
    for (const h of data.headers) head.append(el("th", { text: h }));
    table.append(el("thead", {}, head));
    const body = el("tbody");
    data.rows.forEach((row, i) => {
      const tr = el("tr", {}, el("td", { class: "num muted", text: String(data.row_numbers[i]) }));
      for (const v of row) tr.append(el("td", { text: v === null ? "" : v }));
      body.append(tr);
    });
    table.append(body);
    const choice = $("sheet-choice");
    choice.hidden = data.sheets.length < 2;
    const select = $("import-sheet");
    select.replaceChildren(...data.sheets.map((s) => el("option", { value: s, text: s })));
    if (data.sheet) select.value = data.sheet;
  }
  $("import-sheet").addEventListener("change", async (ev) => {
    state.sheet = ev.target.value;
    try {
      const data = await api("GET", `/api/v1/imports/uploads/${state.upload.upload_id}?sheet=` +
        encodeURIComponent(state.sheet));
      state.upload = { ...state.upload, ...data };
      showPreview(state.upload);
      await suggest();
    } catch (err) { message($("upload-msg"), err.message, "bad"); }
  });

  /* ------------------------------------------------------------ step 3: mapping */
  async function suggest() {
    state.entity = entitySelect.value;
    if (!state.entity) return;
    const q = `?entity=${encodeURIComponent(state.entity)}` +
      (state.sheet ? `&sheet=${encodeURIComponent(state.sheet)}` : "");
    const data = await api("GET", `/api/v1/imports/uploads/${state.upload.upload_id}/suggestions${q}`);
    state.fields = data.fields;
    const box = $("suggestions");
    box.replaceChildren();
    const options = [];
    for (const m of data.mappings) {
      const label = `${t("use")}: ${m.name} (${t(m.source)})`;
      options.push([label, m.document, m.name]);
    }
    if (state.entity !== "sheet" && Object.keys(data.same_name.columns).length) {
      options.push([t("same_name"), data.same_name, ""]);
    }
    if (!options.length) box.append(el("span", { class: "muted", text: t("no_suggestions") }));
    for (const [label, doc, name] of options) {
      const b = el("button", { type: "button", class: "suggestion", text: label });
      b.addEventListener("click", () => useDoc(doc, name));
      box.append(b);
    }
    // the best suggestion is applied at once; the others stay one click away
    if (options.length) useDoc(options[0][1], options[0][2]);
    else useDoc(state.entity === "sheet" ? { entities: {} } : { entity: state.entity, columns: {} }, "");
  }

  function sections() {
    if (state.entity !== "sheet") return [[state.entity, state.doc]];
    return Object.entries(state.doc.entities);
  }

  function useDoc(doc, name) {
    state.doc = JSON.parse(JSON.stringify(doc));
    if (state.entity !== "sheet") state.doc.entity = state.entity;
    if (name) $("mapping-name").value = name;
    renderSections();
    renderOptions();
    $("step-mapping").hidden = false;
    $("step-options").hidden = false;
    resetAfter("step-options");
  }

  function specColumn(spec) {
    if (spec === undefined || spec === null) return "";
    return typeof spec === "object" ? spec.column || "" : String(spec);
  }

  function renderSections() {
    const holder = $("sections");
    holder.replaceChildren();
    for (const [entity, section] of sections()) {
      section.columns = section.columns || {};
      const box = el("div", { class: "section", "data-entity": entity });
      const title = el("h4", { text: labels[entity] || entity });
      if (state.entity === "sheet") {
        const remove = el("button", { type: "button", class: "link danger", text: t("remove") });
        remove.addEventListener("click", () => {
          delete state.doc.entities[entity];
          renderSections();
          renderOptions();
        });
        title.append(" ", remove);
      }
      box.append(title);
      const table = el("table", { class: "data mapping" });
      table.append(el("thead", {}, el("tr", {}, el("th", { text: t("field") }), el("th", { text: t("column") }))));
      const body = el("tbody");
      for (const f of state.fields[entity] || []) {
        const select = el("select", { "data-field": f.name, "aria-label": f.name });
        select.append(el("option", { value: "", text: t("not_mapped") }));
        for (const h of state.upload.headers) select.append(el("option", { value: h, text: h }));
        const current = specColumn(section.columns[f.name]);
        select.value = current;
        select.addEventListener("change", () => {
          const spec = section.columns[f.name];
          if (!select.value) delete section.columns[f.name];
          else if (spec && typeof spec === "object") spec.column = select.value;
          else section.columns[f.name] = select.value;
          renderOptions();
        });
        const name = el("td", {}, el("code", { text: f.name }));
        if (f.required) name.append(" ", el("small", { class: "req", text: t("required") }));
        body.append(el("tr", {}, name, el("td", {}, select)));
      }
      table.append(body);
      box.append(el("div", { class: "tablewrap" }, table));
      holder.append(box);
    }
    $("add-entity-wrap").hidden = state.entity !== "sheet";
  }
  addEntity.addEventListener("change", () => {
    const e = addEntity.value;
    addEntity.value = "";
    if (!e || state.doc.entities[e]) return;
    state.doc.entities[e] = { columns: {} };
    renderSections();
    renderOptions();
  });

  /* ------------------------------------------------------------ step 4: options */
  function dateFields(entity) {
    return (state.fields[entity] || []).filter((f) => f.kind === "date" || f.kind === "datetime");
  }

  function renderOptions() {
    // date formats: those every value of the mapped date columns fits
    const offered = new Map();
    for (const [entity, section] of sections()) {
      for (const f of dateFields(entity)) {
        const column = specColumn(section.columns[f.name]);
        for (const d of state.upload.date_formats[column] || []) {
          if (!offered.has(d.format)) offered.set(d.format, d);
        }
      }
    }
    const date = $("opt-date");
    const keep = state.doc.date_format || "";
    date.replaceChildren(el("option", { value: "", text: t("auto_date") }));
    for (const d of offered.values()) {
      date.append(el("option", { value: d.format, text: `${d.format}  (${d.example} → ${d.reads})` }));
    }
    if (keep && !offered.has(keep)) date.append(el("option", { value: keep, text: keep }));
    date.value = keep;
    const dims = sections().some(([e]) => cfg.dimensions.includes(e));
    $("opt-dup-wrap").hidden = !dims;
    $("opt-dup").value = state.doc.on_duplicate || "error";
    $("opt-unknown").value = state.doc.on_unknown_reference || "reject";
  }
  $("opt-date").addEventListener("change", (ev) => {
    if (ev.target.value) state.doc.date_format = ev.target.value;
    else delete state.doc.date_format;
  });
  $("opt-dup").addEventListener("change", (ev) => {
    // a choice made here applies to every dimension of the file
    state.doc.on_duplicate = ev.target.value;
    if (state.entity === "sheet") {
      for (const s of Object.values(state.doc.entities)) delete s.on_duplicate;
    }
  });
  $("opt-unknown").addEventListener("change", (ev) => { state.doc.on_unknown_reference = ev.target.value; });

  function documentToSend() {
    const doc = JSON.parse(JSON.stringify(state.doc));
    if (doc.on_duplicate === "error") delete doc.on_duplicate;
    if (state.entity !== "sheet" && !cfg.dimensions.includes(state.entity)) delete doc.on_duplicate;
    return doc;
  }

  /* ------------------------------------------------------------ step 5: run */
  async function run(dry) {
    if (state.busy) return;
    state.busy = true;
    const bar = $("import-progress");
    bar.hidden = false;
    setProgress(0, "queued");
    resetAfter("step-options");
    try {
      let job = await api("POST", `/api/v1/imports/uploads/${state.upload.upload_id}/runs`,
        { mapping: documentToSend(), dry_run: dry, sheet: state.sheet });
      while (!job.finished) {
        setProgress(job.progress, job.phase);
        await new Promise((r) => setTimeout(r, 250));
        job = await api("GET", `/api/v1/imports/jobs/${job.id}`);
      }
      setProgress(1, "done");
      showResult(job.result, dry);
      loadHistory();
    } catch (err) {
      showResult({ status: "failed", sections: [], errors: [{ row: null, column: null, value: null, reason: err.message }], errors_total: 1, quality: [] }, dry);
    } finally {
      state.busy = false;
    }
  }
  $("import-dry").addEventListener("click", () => run(true));
  $("import-run").addEventListener("click", () => run(false));

  function setProgress(share, phase) {
    const bar = $("import-progress");
    const pct = Math.round(share * 100);
    bar.querySelector("i").style.width = pct + "%";
    bar.querySelector("span").textContent = `${t(phase)} ${pct}%`;
    bar.setAttribute("aria-valuenow", String(pct));
    bar.dataset.phase = phase;
  }

  function showResult(result, dry) {
    $("step-result").hidden = false;
    const summary = $("result-summary");
    const ok = result.status === "ok" || result.status === "dry-run";
    summary.className = "notice " + (ok ? "ok" : "error");
    summary.dataset.status = result.status;
    summary.textContent = ok ? t(dry ? "dry_run_ok" : "import_ok") : t("failed", { n: result.errors_total });
    const list = $("result-sections");
    list.replaceChildren();
    if (ok) {
      for (const s of result.sections) {
        let text = `${labels[s.entity] || s.entity}: ${s.inserted} ${t("new")}, ${s.updated} ${t("updated")}, ${s.unchanged} ${t("unchanged")}`;
        if (s.merged) text += `, ${s.merged} ${t("merged")}`;
        const made = Object.entries(s.created || {});
        if (made.length) text += `; ${t("created")} ` + made.map(([e, n]) => `${n} ${labels[e] || e}`).join(", ");
        list.append(el("li", { "data-entity": s.entity, text }));
      }
    }
    const wrap = $("result-errors-wrap");
    const table = $("result-errors");
    table.replaceChildren();
    wrap.hidden = !result.errors.length;
    if (result.errors.length) {
      table.append(el("thead", {}, el("tr", {}, el("th", { class: "num", text: t("row") }),
        el("th", { text: t("column") }), el("th", { text: t("value") }), el("th", { text: t("reason") }))));
      const body = el("tbody");
      for (const e of result.errors) {
        body.append(el("tr", {},
          el("td", { class: "num", text: e.row === null ? "" : String(e.row) }),
          el("td", { text: e.column || "" }),
          el("td", { text: e.value === null ? "" : e.value }),
          el("td", { class: "wrap", text: e.reason })));
      }
      if (result.errors_total > result.errors.length) {
        body.append(el("tr", {}, el("td", { colspan: "4", class: "muted", text: t("more_errors", { n: result.errors_total - result.errors.length }) })));
      }
      table.append(body);
    }
    const quality = $("result-quality");
    quality.replaceChildren();
    if (ok) {
      if (!result.quality.length) quality.append(el("p", { class: "muted", text: t("no_quality_problems") }));
      else {
        quality.append(el("h4", { text: t("quality") }));
        const ul = el("ul", { class: "quality" });
        for (const q of result.quality) {
          ul.append(el("li", { "data-check": q.check, text: `${q.title}: ${q.count}. ${q.fix}` }));
        }
        quality.append(ul);
      }
    }
  }

  $("mapping-save").addEventListener("click", async () => {
    const name = $("mapping-name").value.trim();
    const msg = $("upload-msg");
    try {
      await api("POST", "/api/v1/mappings", { name, mapping: documentToSend() });
      message(msg, t("saved_ok"), "good");
      loadMappings();
    } catch (err) { message(msg, err.message, "bad"); }
  });

  /* ------------------------------------------------------------ history and saved mappings */
  async function loadHistory() {
    const body = $("history-table").querySelector("tbody");
    const runs = await api("GET", "/api/v1/imports/runs?limit=50");
    body.replaceChildren();
    if (!runs.length) body.append(el("tr", {}, el("td", { colspan: "10", class: "muted", text: t("no_runs") })));
    for (const r of runs) {
      const tr = el("tr", { class: r.status, "data-run": String(r.id) },
        el("td", { text: r.started_at.replace("T", " ") }),
        el("td", { text: r.actor || "" }),
        el("td", { text: r.file }),
        el("td", { text: labels[r.entity] || r.entity }),
        el("td", { text: t("status_" + r.status) }),
        ...[r.rows_read, r.inserted, r.updated, r.unchanged, r.errors].map((n) =>
          el("td", { class: "num", text: n.toLocaleString() })));
      if (r.error_sample.length) {
        tr.title = r.error_sample.map((e) => (e.row ? `#${e.row} ` : "") + (e.column ? `${e.column}: ` : "") + e.reason).join("\n");
      }
      body.append(tr);
    }
    document.body.dataset.history = "1";
  }

  async function loadMappings() {
    const body = $("mappings-table").querySelector("tbody");
    const found = (await api("GET", "/api/v1/mappings")).filter((m) => m.source === "saved");
    body.replaceChildren();
    if (!found.length) body.append(el("tr", {}, el("td", { colspan: "5", class: "muted", text: t("no_mappings") })));
    for (const m of found) {
      body.append(el("tr", { "data-mapping": m.name },
        el("td", { text: m.name }),
        el("td", { text: labels[m.entity] || m.entity }),
        el("td", { class: "wrap", text: m.headers.join(", ") }),
        el("td", { text: (m.updated_at || "").replace("T", " ").slice(0, 16) }),
        el("td", { text: m.updated_by || "" })));
    }
  }

  loadHistory();
  loadMappings();
})();
