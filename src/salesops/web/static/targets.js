/* Targets page: collapsible tree, status filter, choices that submit at once, confirm on delete.
 * No framework; the page works without it (every row shown, forms submit with their button). */
(function () {
  "use strict";

  function tree() {
    const rows = Array.from(document.querySelectorAll("table.targets tbody tr"));
    if (!rows.length) return;
    const depth = rows.map((tr) => Number(tr.dataset.depth || 0));
    const parent = [];
    const stack = [];
    rows.forEach((_, i) => {
      while (stack.length && depth[stack[stack.length - 1]] >= depth[i]) stack.pop();
      parent[i] = stack.length ? stack[stack.length - 1] : -1;
      stack.push(i);
    });
    // Open by default: the top three levels (company, regions, teams); deeper nodes closed.
    const closed = new Set(rows.map((tr, i) => (depth[i] >= 2 && tr.querySelector(".caret") ? i : -1)).filter((i) => i >= 0));
    let status = null;

    function render() {
      const keep = new Set();
      if (status) {
        rows.forEach((tr, i) => {
          if (tr.dataset.status !== status) return;
          for (let k = i; k >= 0 && !keep.has(k); k = parent[k]) keep.add(k);
        });
      }
      rows.forEach((tr, i) => {
        let hidden = false;
        if (status) {
          hidden = !keep.has(i);
        } else {
          for (let p = parent[i]; p >= 0; p = parent[p]) if (closed.has(p)) { hidden = true; break; }
        }
        tr.hidden = hidden;
        tr.classList.toggle("dim", !!status && tr.dataset.status !== status);
        const caret = tr.querySelector(".caret");
        if (caret) caret.setAttribute("aria-expanded", String(status ? true : !closed.has(i)));
      });
    }

    rows.forEach((tr, i) => {
      const caret = tr.querySelector(".caret");
      if (!caret) return;
      caret.addEventListener("click", () => {
        if (closed.has(i)) closed.delete(i); else closed.add(i);
        render();
      });
    });
    document.querySelectorAll("#status-summary .pill[data-status]").forEach((pill) => {
      pill.addEventListener("click", () => {
        status = status === pill.dataset.status ? null : pill.dataset.status;
        document.querySelectorAll("#status-summary .pill[data-status]").forEach((p) => {
          p.setAttribute("aria-pressed", String(p.dataset.status === status));
        });
        render();
      });
    });
    document.querySelectorAll("[data-tree]").forEach((btn) => {
      btn.addEventListener("click", () => {
        closed.clear();
        if (btn.dataset.tree === "collapse") rows.forEach((tr, i) => { if (tr.querySelector(".caret") && depth[i] >= 1) closed.add(i); });
        render();
      });
    });
    render();
  }

  function forms() {
    document.querySelectorAll("[data-autosubmit]").forEach((el) => {
      el.addEventListener("change", () => {
        const form = el.form;
        if (el.name === "over") {
          // Another axis has other levels and methods: let the server offer them.
          ["into", "method", "preview"].forEach((n) => { if (form.elements[n]) form.elements[n].value = ""; });
        }
        form.submit();
      });
    });
    document.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", (ev) => {
        if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
      });
    });
    document.querySelectorAll("#rep-flags tr[data-href]").forEach((tr) => {
      tr.addEventListener("click", (ev) => {
        if (ev.target.closest("a")) return;
        window.location.href = tr.dataset.href;
      });
    });
  }

  function start() {
    tree();
    forms();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
