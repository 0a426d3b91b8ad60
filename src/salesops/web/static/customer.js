/* The customer page's one chart: revenue (bars) and margin (line) by month. */
(function () {
  "use strict";
  function draw() {
    const box = document.getElementById("trend");
    const src = document.getElementById("trend-data");
    if (!box || !src || typeof echarts === "undefined") return;
    const d = JSON.parse(src.textContent);
    if (!d.months.length) { box.style.display = "none"; return; }
    const chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption({
      grid: { left: 56, right: 48, top: 24, bottom: 28 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: d.months },
      yAxis: [{ type: "value" }, { type: "value", axisLabel: { formatter: (v) => Math.round(v * 100) + "%" } }],
      series: [
        { type: "bar", data: d.revenue, itemStyle: { color: "#2f6bff" } },
        { type: "line", yAxisIndex: 1, data: d.margin, itemStyle: { color: "#f59f00" } },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
