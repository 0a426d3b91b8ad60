/* Customer voice page: the feedback loop dialog. A click on an open item opens it; the steps
 * its status allows (and the caller's role) are shown; each posts to /api/v1/feedback and the
 * dialog shows the item as it now stands. Closing after a change reloads the page's numbers. */
(function () {
  "use strict";
  const dialog = document.getElementById("loop");
  if (!dialog) return;
  const labels = JSON.parse(dialog.dataset.labels || "{}");
  const can = dialog.dataset.can === "1";
  const ALLOWED = {
    assign: ["new", "assigned"], resolve: ["assigned"], inform: ["resolved"],
    reopen: ["resolved", "informed"], notes: ["new", "assigned"],
  };
  let current = null;
  let changed = false;

  function fill(item) {
    current = item;
    dialog.querySelector("h3").textContent = item.external_id;
    dialog.querySelector(".verbatim").textContent = item.text || "";
    for (const dd of dialog.querySelectorAll("dd[data-f]")) {
      const key = dd.dataset.f;
      let value = item[key];
      if (key === "status") value = labels[value] || value;
      if (key === "due_on" && item.overdue) value = `${value} · ${labels.overdue || "overdue"}`;
      dd.textContent = value === null || value === undefined ? "-" : String(value);
      dd.classList.toggle("late", key === "due_on" && !!item.overdue);
    }
    for (const form of dialog.querySelectorAll("form[data-step]")) {
      form.hidden = !can || !ALLOWED[form.dataset.step].includes(item.status);
      form.reset();
    }
    const list = dialog.querySelector(".history");
    list.innerHTML = "";
    for (const h of item.history) {
      const li = document.createElement("li");
      const who = h.assignee ? ` → ${h.assignee}` : "";
      const note = h.note ? ` · ${h.note}` : "";
      li.textContent = `${h.at.replace("T", " ")} · ${h.actor} · ${labels[h.action] || h.action}${who}${note}`;
      list.appendChild(li);
    }
  }

  function error(message) {
    const box = dialog.querySelector(".notice.error");
    box.hidden = !message;
    box.textContent = message || "";
  }

  async function open(id) {
    error("");
    const res = await fetch(`/api/v1/feedback/${encodeURIComponent(id)}`);
    const data = await res.json();
    if (!res.ok) { error(data.detail || res.statusText); }
    else fill(data);
    if (!dialog.open) dialog.showModal();
  }

  document.addEventListener("click", (ev) => {
    const row = ev.target.closest('[data-panel="open_items"] tr[data-sel]');
    if (!row) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    open(row.dataset.sel);
  }, true);

  dialog.addEventListener("submit", async (ev) => {
    const form = ev.target.closest("form[data-step]");
    if (!form || !current) return;
    ev.preventDefault();
    const body = {};
    for (const [k, v] of new FormData(form)) if (v !== "") body[k] = v;
    const res = await fetch(`/api/v1/feedback/${current.id}/${form.dataset.step}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": dialog.dataset.csrf },
      body: JSON.stringify(body),
    });
    const data = await res.json();
    if (!res.ok) {
      error(typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail));
      return;
    }
    error("");
    changed = true;
    fill(data);
  });

  dialog.querySelector("button.close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => { if (changed) window.location.reload(); });
})();
