/* SalesOps Board front end: charts from server-built ECharts options, drill-down, records
 * dialog with exports, PNG download, wall (大屏) rotation and refresh. Plain JS, no build step.
 * Every number comes from the server; this file only formats axis labels and tooltips. */
(function () {
  "use strict";

  const PALETTE = ["#2f6bff", "#17b3c4", "#f59f00", "#7b5cf0", "#12b886", "#f0574b", "#5c7cfa",
                   "#fd7e14", "#20c997", "#c850c0"];
  const WALL_PALETTE = ["#4d8dff", "#2fd0e0", "#ffc53d", "#a58bff", "#2fd98b", "#ff6b61", "#7f9cff",
                        "#ff9f43", "#4fe3c1", "#e27ee0"];
  const FONT = getComputedStyle(document.body).fontFamily;
  const REDUCED_MOTION = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const state = { charts: new Map(), page: null, locale: "zh_CN", wall: false, t: {} };

  /* ------------------------------------------------------------ number formats (mirror of formatting.py) */
  function group(n, decimals) {
    return n.toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: decimals });
  }
  function sig(n) {
    const a = Math.abs(n);
    return group(n, a >= 100 ? 0 : a >= 10 ? 1 : 2);
  }
  function compact(v) {
    if (v === null || v === undefined || isNaN(v)) return "-";
    const steps = state.locale.startsWith("zh")
      ? [[1e8, "亿"], [1e4, "万"]]
      : [[1e9, "B"], [1e6, "M"], [1e3, "K"]];
    for (const [size, suffix] of steps) if (Math.abs(v) >= size) return sig(v / size) + suffix;
    return group(v, Math.abs(v) >= 100 ? 0 : 2);
  }
  function fmt(v, unit) {
    if (v === null || v === undefined || (typeof v === "number" && isNaN(v))) return "-";
    if (typeof v !== "number") return String(v);
    switch (unit) {
      case "ratio": return group(v * 100, 1) + "%";
      case "money": return (v < 0 ? "-" : "") + "¥" + compact(Math.abs(v));
      case "money_per_day": return fmt(v, "money") + (state.locale.startsWith("zh") ? "/天" : "/day");
      case "days": return group(v, 1) + (state.locale.startsWith("zh") ? " 天" : " days");
      case "score": return group(v, 1);
      case "multiple": return group(v, 1) + "×";
      case "count": return Math.abs(v) >= 1e5 ? compact(v) : group(v, 0);
      default: return group(v, 2);
    }
  }
  function axisFmt(unit) {
    if (unit === "ratio") return (v) => group(v * 100, 0) + "%";
    if (unit === "money" || unit === "money_per_day") return (v) => (v === 0 ? "0" : compact(v));
    return (v) => compact(v);
  }
  window.SalesOpsFormat = { fmt, compact };

  /* ------------------------------------------------------------ themes */
  function wallSize() {
    return Math.round(Math.min(20, Math.max(12, window.innerWidth / 130)));
  }

  function theme(dark) {
    const fg = dark ? "#c6d1ea" : "#4a556b";
    const line = dark ? "#1f2d55" : "#e6e9f0";
    // The wall is read from across a room: larger chart text, scaled with the screen.
    const size = dark ? wallSize() : 12;
    return {
      color: dark ? WALL_PALETTE : PALETTE,
      backgroundColor: "transparent",
      textStyle: { fontFamily: FONT, color: fg, fontSize: size },
      title: { textStyle: { color: dark ? "#e9eefb" : "#172033" } },
      legend: { textStyle: { color: fg, fontSize: size }, icon: "roundRect", itemWidth: 12, itemHeight: 8 },
      categoryAxis: { axisLine: { lineStyle: { color: line } }, axisTick: { show: false },
                      axisLabel: { color: fg, fontSize: size }, splitLine: { show: false } },
      valueAxis: { axisLine: { show: false }, axisLabel: { color: fg, fontSize: size },
                   splitLine: { lineStyle: { color: line, type: "dashed" } } },
      tooltip: { backgroundColor: dark ? "#0c1631" : "#fff", borderColor: line,
                 textStyle: { color: dark ? "#e9eefb" : "#172033" } },
    };
  }

  /* ------------------------------------------------------------ charts */
  function prepare(option, box) {
    // Units travel as `_unit` keys on axes and series; turn them into formatters, then drop them.
    const opt = JSON.parse(JSON.stringify(option));
    const axes = (a) => (Array.isArray(a) ? a : a ? [a] : []);
    for (const ax of axes(opt.xAxis)) {
      if (ax && ax.axisLabel && ax.axisLabel._fit) {
        // Wrap each category name to the width of its slot, so none overlaps on a phone.
        delete ax.axisLabel._fit;
        const n = Math.max(1, (ax.data || []).length);
        const slot = Math.floor(((box ? box.clientWidth : 600) - 70) / n) - 4;
        // Chinese wraps between any two characters; a Latin word needs its whole width.
        const words = (ax.data || []).flatMap((c) => String(c).split(/\s+/));
        const needed = Math.max(14, ...words.map((w) => (/[\u3400-\u9fff]/.test(w) ? 14 : w.length * 7)));
        if (slot >= needed) {
          ax.axisLabel.width = slot;
        } else {
          // Too narrow to wrap (a phone): tilt the names instead.
          Object.assign(ax.axisLabel, { rotate: 35, width: 80, overflow: "truncate" });
        }
      }
    }
    for (const s of axes(opt.series)) {
      if (s.label && s.label.show) s.labelLayout = Object.assign({ hideOverlap: true }, s.labelLayout);
    }
    for (const ax of axes(opt.yAxis).concat(axes(opt.xAxis))) {
      if (ax && ax._unit) {
        ax.axisLabel = Object.assign({}, ax.axisLabel, { formatter: axisFmt(ax._unit) });
        delete ax._unit;
      }
    }
    for (const s of axes(opt.series)) {
      const unit = s._unit;
      delete s._unit;
      if (unit && s._bandLow) {
        // A band stacked on its low edge carries its width: show "low – high".
        const low = s._bandLow;
        delete s._bandLow;
        s.tooltip = Object.assign({}, s.tooltip, {
          valueFormatter: (v, i) => (v == null || low[i] == null ? "-" : fmt(low[i], unit) + " – " + fmt(low[i] + v, unit)),
        });
      } else if (unit) {
        s.tooltip = Object.assign({}, s.tooltip, { valueFormatter: (v) => fmt(v, unit) });
        if (s.label && s.label._fmt) {
          delete s.label._fmt;
          s.label.formatter = (p) => fmt(Array.isArray(p.value) ? p.value[p.value.length - 1] : p.value, unit);
        }
      }
    }
    if (opt.visualMap && opt.visualMap._unit) {
      const unit = opt.visualMap._unit;
      delete opt.visualMap._unit;
      opt.visualMap.formatter = (v) => fmt(v, unit);
    }
    if (opt._heatmapUnit) {
      const unit = opt._heatmapUnit;
      delete opt._heatmapUnit;
      for (const s of axes(opt.series)) {
        // Cells are [x, y, value] or [x, y, value, name, key]: a named cell shows its name too.
        const named = (p) => (p.value.length > 3 ? p.value[3] + "\n" : "");
        s.label = Object.assign({ show: true }, s.label, { formatter: (p) => named(p) + fmt(p.value[2], unit) });
        s.tooltip = { formatter: (p) => p.marker + named(p) + p.value[1] + " · " + p.value[0] + ": " + fmt(p.value[2], unit) };
      }
    }
    if (state.wall) {
      // The China map on a dark screen: dark land, the scale from dark to the wall's blue.
      for (const s of axes(opt.series)) {
        if (s.type === "map") s.itemStyle = Object.assign({}, s.itemStyle, { areaColor: "#16254a", borderColor: "#0c1631" });
      }
      if (opt.visualMap && opt.series && axes(opt.series).some((s) => s.type === "map")) {
        opt.visualMap.inRange = { color: ["#1d3a7a", "#4d8dff"] };
        opt.visualMap.textStyle = { color: "#c6d1ea" };
      }
      // Dark screen: labels in the text colour, without the light halo ECharts draws by default.
      for (const s of axes(opt.series)) {
        if (s.label && s.label.position !== "inside") {
          s.label = Object.assign({}, s.label, {
            color: "#c6d1ea", textBorderWidth: 0, fontSize: wallSize() - 1,
          });
        }
      }
    }
    opt.textStyle = Object.assign({ fontFamily: FONT }, opt.textStyle);
    // people who ask their system for less motion get the charts drawn at once
    if (REDUCED_MOTION) opt.animation = false;
    else opt.animationDuration = state.wall ? 900 : 400;
    return opt;
  }

  function renderPanel(panel) {
    const section = document.querySelector(`[data-panel="${panel.id}"]`);
    if (!section) return;
    section.__panel = panel;
    if (panel.lazy) return; // filled in by loadLazy()
    section.classList.remove("loading");
    const set = (sel, text) => { const n = section.querySelector(sel); if (n) n.textContent = text; };
    set("h2", panel.title);
    set(".sub", panel.subtitle || "");
    const notice = section.querySelector(".notice");
    if (notice) { notice.textContent = panel.error || ""; notice.style.display = panel.error ? "" : "none"; }
    const box = section.querySelector(".chart");
    if (panel.kind === "table") return renderTable(section, panel);
    const slide = section.closest(".slide");
    if (slide && !slide.classList.contains("on") && !state.charts.has(panel.id)) {
      section.dataset.pending = "1"; // a wall slide not on screen: drawn when it appears
      return;
    }
    delete section.dataset.pending;
    if (!box) return;
    const emptyBox = section.querySelector(".empty");
    if (panel.empty) {
      box.style.display = "none";
      if (emptyBox) emptyBox.style.display = "";
      return;
    }
    box.style.display = "";
    if (emptyBox) emptyBox.style.display = "none";
    let chart = state.charts.get(panel.id);
    if (!chart) {
      chart = echarts.init(box, state.wall ? "salesops-dark" : "salesops", { renderer: "canvas" });
      state.charts.set(panel.id, chart);
      chart.on("click", (params) => drill(panel.id, params));
    }
    chart.setOption(prepare(panel.option, box), { notMerge: false, replaceMerge: ["series", "xAxis", "yAxis"] });
    section.__panel = panel;
  }

  function renderTable(section, panel) {
    const tbody = section.querySelector("tbody");
    if (!tbody || !panel.table) return;
    // Re-render only when refreshing; the first render comes from the server.
    if (!section.dataset.rendered) { section.dataset.rendered = "1"; return; }
    const cols = panel.table.columns;
    const head = section.querySelector("thead tr");
    if (head) {
      head.innerHTML = "";
      for (const c of cols) {
        const th = document.createElement("th");
        th.className = c.cls || "";
        th.textContent = c.label;
        head.appendChild(th);
      }
    }
    const empty = section.querySelector(".empty");
    if (empty) empty.style.display = panel.table.rows.length ? "none" : "";
    tbody.innerHTML = "";
    for (const row of panel.table.rows) {
      const tr = document.createElement("tr");
      if (row.href || row.sel) tr.className = "drill";
      if (row.href) tr.dataset.href = row.href;
      if (row.sel) tr.dataset.sel = row.sel;
      row.cells.forEach((cell, i) => {
        const td = document.createElement("td");
        td.className = cols[i].cls || "";
        td.textContent = cell;
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    }
  }

  /* ------------------------------------------------------------ drill-down */
  function navigateWith(params) {
    const url = new URL(window.location.href);
    for (const [k, v] of Object.entries(params)) {
      if (v === null) url.searchParams.delete(k); else url.searchParams.set(k, v);
    }
    window.location.href = url.toString();
  }

  function drill(panelId, params) {
    const section = document.querySelector(`[data-panel="${panelId}"]`);
    const panel = section && section.__panel;
    if (!panel || !panel.drill || state.wall) return;
    const d = panel.drill;
    let name = (params.data && params.data.key) || params.name;
    if (Array.isArray(params.value) && d.index !== undefined) name = params.value[d.index];
    if (d.kind === "filter" && name) {
      navigateWith({ [d.dim]: name });
    } else if (d.kind === "period" && d.ranges && d.ranges[name]) {
      const [from, to] = d.ranges[name];
      navigateWith({ period: "custom", from: from, to: to });
    } else if (d.kind === "records" && name !== undefined) {
      const extra = d.dim ? { [d.dim]: name } : { sel: String(name) };
      openRecords(panel, extra, `${panel.title} · ${name}`);
    } else if (d.kind === "link" && d.urls && d.urls[name]) {
      window.location.href = d.urls[name];
    }
  }

  /* ------------------------------------------------------------ records dialog and exports */
  function recordsUrl(base, extra, format) {
    const url = new URL(base, window.location.origin);
    const here = new URLSearchParams(window.location.search);
    for (const [k, v] of here) if (k !== "lang") url.searchParams.append(k, v);
    for (const [k, v] of Object.entries(extra || {})) url.searchParams.set(k, v);
    url.searchParams.set("lang", state.locale);
    if (format) url.searchParams.set("format", format);
    return url;
  }

  async function openRecords(target, extra, title) {
    const base = target.records_url;
    if (!base) return;
    const dialog = document.getElementById("records");
    const body = dialog.querySelector(".body");
    dialog.querySelector("h3").textContent = title || target.title || "";
    dialog.querySelector("a.csv").href = recordsUrl(base, extra, "csv").toString();
    dialog.querySelector("a.xlsx").href = recordsUrl(base, extra, "xlsx").toString();
    body.innerHTML = `<div class="empty">${state.t.loading || "…"}</div>`;
    if (!dialog.open) dialog.showModal();
    try {
      const res = await fetch(recordsUrl(base, extra, "json"));
      const data = await res.json();
      if (!res.ok) throw new Error(data.detail || res.statusText);
      body.innerHTML = "";
      const count = document.createElement("div");
      count.className = "count";
      count.textContent = data.summary || "";
      body.appendChild(count);
      const wrap = document.createElement("div");
      wrap.className = "tablewrap";
      const table = document.createElement("table");
      table.className = "data";
      const head = table.createTHead().insertRow();
      for (const c of data.columns) {
        const th = document.createElement("th");
        th.textContent = c.label;
        if (c.numeric) th.className = "num";
        head.appendChild(th);
      }
      const tb = table.createTBody();
      for (const r of data.display) {
        const tr = tb.insertRow();
        r.forEach((cell, i) => {
          const td = tr.insertCell();
          if (data.columns[i].key === "customer" && cell) {
            // Every customer name opens the customer's page (issue #28).
            const a = document.createElement("a");
            a.href = "/customers/find?name=" + encodeURIComponent(cell);
            a.textContent = cell;
            td.appendChild(a);
          } else {
            td.textContent = cell;
          }
          if (data.columns[i].numeric) td.className = "num";
        });
      }
      wrap.appendChild(table);
      body.appendChild(wrap);
    } catch (err) {
      body.innerHTML = "";
      const p = document.createElement("div");
      p.className = "notice error";
      p.textContent = String(err.message || err);
      body.appendChild(p);
    }
  }

  function downloadPng(panelId) {
    const chart = state.charts.get(panelId);
    if (!chart) return;
    const a = document.createElement("a");
    a.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: state.wall ? "#0c1631" : "#ffffff" });
    a.download = `${state.page}-${panelId}.png`;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function bindTools() {
    document.addEventListener("click", (ev) => {
      const btn = ev.target.closest("[data-action]");
      if (btn) {
        const section = btn.closest("[data-panel]");
        const panel = section && section.__panel;
        const action = btn.dataset.action;
        if (action === "png") { ev.preventDefault(); downloadPng(section.dataset.panel); }
        else if (action === "records" && panel) { ev.preventDefault(); openRecords(panel, {}, panel.title); }
        else if ((action === "csv" || action === "xlsx") && panel) {
          ev.preventDefault();
          window.location.href = recordsUrl(panel.records_url, {}, action).toString();
        }
        return;
      }
      const card = ev.target.closest(".kpi[data-records]");
      if (card && !state.wall) {
        openRecords({ records_url: card.dataset.records }, {}, card.querySelector(".kpi-label span").textContent);
        return;
      }
      const row = ev.target.closest("tr.drill");
      if (row && !state.wall) {
        if (row.dataset.href) { window.location.href = row.dataset.href; return; }
        const section = row.closest("[data-panel]");
        const panel = section && section.__panel;
        if (panel && row.dataset.sel) openRecords(panel, { sel: row.dataset.sel }, `${panel.title} · ${row.cells[0].textContent}`);
      }
      const close = ev.target.closest("dialog .close");
      if (close) close.closest("dialog").close();
    });
  }

  /* ------------------------------------------------------------ filter bar */
  function bindFilters() {
    const form = document.querySelector("form.filterbar");
    if (!form) return;
    const custom = form.querySelector(".custom");
    form.addEventListener("change", (ev) => {
      const t = ev.target;
      if (t.name === "period" && t.value === "custom") { custom.classList.add("on"); return; }
      if ((t.name === "from" || t.name === "to") && !(form.elements.from.value && form.elements.to.value)) return;
      // Drop empty fields so the URL stays short and bookmarkable.
      for (const el of form.elements) {
        if (el.name && !el.value) el.disabled = true;
        if ((el.name === "from" || el.name === "to") && form.elements.period.value !== "custom") el.disabled = true;
      }
      form.submit();
    });
  }

  /* ------------------------------------------------------------ KPI cards (refresh) */
  function renderCards(cards) {
    for (const c of cards) {
      const el = document.querySelector(`.kpi[data-metric="${c.metric}"]`);
      if (!el) continue;
      const set = (sel, text) => { const n = el.querySelector(sel); if (n) n.textContent = text; };
      set(".kpi-value", c.display);
      el.querySelector(".kpi-value").dataset.value = c.value === null ? "" : c.value;
      el.querySelector(".kpi-value").title = c.full;
      const delta = el.querySelector(".delta");
      if (delta) { delta.className = "delta " + (c.tone || ""); delta.textContent = (c.arrow || "") + " " + c.change_display; }
      const poly = el.querySelector(".spark polyline");
      if (poly) poly.setAttribute("points", c.spark_points || "");
      const area = el.querySelector(".spark polygon");
      if (area) area.setAttribute("points", c.spark_area || "");
      const mtd = el.querySelector(".spark polyline.mtd");
      if (mtd) mtd.setAttribute("points", c.spark_mtd_points || "");
      const dot = el.querySelector(".spark-mtd");
      if (dot) {
        dot.hidden = !c.spark_mtd;
        dot.title = c.spark_mtd || "";
        dot.setAttribute("aria-label", c.spark_mtd || "");
        if (c.spark_mtd_top !== null) dot.style.top = c.spark_mtd_top + "%";
      }
    }
  }

  /* ------------------------------------------------------------ wall mode */
  function startWall(cfg) {
    const slides = Array.from(document.querySelectorAll(".slide"));
    const dots = Array.from(document.querySelectorAll(".wall-dots i"));
    let i = 0;
    const show = (n) => {
      slides.forEach((s, k) => s.classList.toggle("on", k === n));
      dots.forEach((d, k) => d.classList.toggle("on", k === n));
      // Charts of a slide are drawn the first time it appears, and resized afterwards.
      slides[n].querySelectorAll("[data-panel]").forEach((sec) => {
        if (sec.dataset.pending && sec.__panel) renderPanel(sec.__panel);
        const c = state.charts.get(sec.dataset.panel);
        if (c) c.resize();
      });
    };
    show(0);
    if (slides.length > 1 && cfg.rotate > 0) {
      setInterval(() => { i = (i + 1) % slides.length; show(i); }, cfg.rotate * 1000);
    }
    const clock = document.querySelector(".clock");
    const tick = () => {
      if (clock) clock.textContent = new Date().toLocaleTimeString(state.locale.replace("_", "-"), { hour12: false, timeZone: state.tz });
    };
    tick();
    setInterval(tick, 1000);
    if (cfg.refresh > 0) setInterval(() => refresh(cfg.pages), cfg.refresh * 1000);
  }

  async function refresh(pages) {
    // Fetch fresh JSON and merge it into the live charts: no reload, no flicker.
    for (const item of pages) {
      try {
        const extra = { panels: item.panels.join(","), cards: item.cards.join(",") };
        const res = await fetch(recordsUrl(`/api/v1/panels/${item.page}`, extra, null));
        if (!res.ok) continue;
        const data = await res.json();
        renderCards(data.cards || []);
        for (const p of data.panels || []) renderPanel(p);
        const stamp = document.querySelector(".updated");
        if (stamp) stamp.textContent = new Date().toLocaleTimeString(state.locale.replace("_", "-"), { hour12: false, timeZone: state.tz });
      } catch (err) {
        console.warn("refresh failed", err);
      }
    }
  }

  /* ------------------------------------------------------------ lazy panels */
  function loadLazy() {
    // Panels that are slow on a cold cache arrive after the page. The server started
    // building them with the page (one at a time, and a request for a panel being built
    // waits for that build), so they are all asked for at once and drawn as they come.
    const load = async (section) => {
      const url = recordsUrl(section.dataset.lazy, {}, null);
      try {
        const res = await fetch(url);
        const panel = await res.json();
        if (!res.ok) throw new Error(panel.detail || res.statusText);
        delete section.dataset.lazy;
        renderPanel(panel);
      } catch (err) {
        section.classList.remove("loading");
        const notice = section.querySelector(".notice");
        if (notice) { notice.textContent = String(err.message || err); notice.style.display = ""; }
      }
    };
    return Promise.all([...document.querySelectorAll("[data-lazy]")].map(load));
  }

  /* ------------------------------------------------------------ announcements ticker */
  function startTicker() {
    // One line of goals, values and news; it scrolls only when it does not fit.
    document.querySelectorAll(".banner .ticker ul").forEach((ul) => {
      const box = ul.parentElement;
      if (ul.scrollWidth <= box.clientWidth) return;
      for (const li of Array.from(ul.children)) {
        const copy = li.cloneNode(true);
        copy.setAttribute("aria-hidden", "true");
        ul.appendChild(copy);
      }
      ul.style.setProperty("--ticker-s", Math.max(20, Math.round(ul.scrollWidth / 2 / 60)) + "s");
      ul.classList.add("scroll");
    });
  }

  /* ------------------------------------------------------------ start */
  function start() {
    const dataEl = document.getElementById("board-data");
    if (!dataEl) {
      // A page without charts (data, targets): only the filter bar and the records dialog.
      bindTools();
      bindFilters();
      window.__readyAt = performance.now();
      document.body.dataset.ready = "1";
      return;
    }
    const data = JSON.parse(dataEl.textContent);
    state.page = data.page;
    state.locale = data.locale;
    state.wall = !!data.wall;
    state.t = data.t || {};
    state.tz = data.tz || undefined;
    echarts.registerTheme("salesops", theme(false));
    echarts.registerTheme("salesops-dark", theme(true));
    for (const p of data.panels) renderPanel(p);
    document.querySelectorAll("[data-panel]").forEach((s) => { s.dataset.rendered = "1"; });
    const lazy = loadLazy();
    bindTools();
    bindFilters();
    startTicker();
    let pending = null;
    window.addEventListener("resize", () => {
      clearTimeout(pending);
      pending = setTimeout(() => state.charts.forEach((c, id) => {
        c.resize();
        const s = document.querySelector(`[data-panel="${id}"]`);
        if (s && s.__panel) renderPanel(s.__panel); // category labels re-fit their slots
      }), 120);
    });
    if (state.wall) startWall(data.wall);
    // Ready once the lazy panels are in and the charts' first frame is painted (timings and
    // tests wait for this).
    lazy.finally(() => requestAnimationFrame(() => requestAnimationFrame(() => {
      window.__readyAt = performance.now();
      document.body.dataset.ready = "1";
    })));
  }

  window.SalesOpsBoard = { state, refresh };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
