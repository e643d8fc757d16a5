/* Charts of the insights pages. Data comes from <script type="application/json"> blocks
   (json_script) named by each canvas's data-chart-source; no inline scripts (CSP-ready).
   The heatmap colours its cells from data-value, so the table reads the same without JS. */
(function () {
  "use strict";

  var PALETTE = ["#4f46e5", "#0891b2", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#db2777", "#65a30d"];
  var base = function (extra) {
    var options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true } } },
    };
    return Object.assign(options, extra || {});
  };
  var line = function (label, data, color, axis) {
    return { type: "line", label: label, data: data, borderColor: color, backgroundColor: color,
             borderWidth: 2, pointRadius: 2, tension: 0.2, spanGaps: true, yAxisID: axis || "y" };
  };

  var builders = {
    funnel: function (canvas, d) {
      var datasets = [
        { label: "Reached", data: d.reached, backgroundColor: PALETTE[0], borderRadius: 2 },
        { label: "In progress (window open)", data: d.in_progress, backgroundColor: "#a5b4fc", borderRadius: 2 },
      ];
      d.series.forEach(function (s, i) {
        datasets.push({ label: s.label, data: s.reached, backgroundColor: PALETTE[(i + 1) % PALETTE.length], hidden: i >= 4 });
      });
      return new Chart(canvas, { type: "bar", data: { labels: d.labels, datasets: datasets },
        options: base({ scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }) });
    },
    attribution: function (canvas, d) {
      var datasets = d.series.map(function (s, i) {
        return { label: s.label, data: s.values, backgroundColor: PALETTE[i % PALETTE.length] };
      });
      return new Chart(canvas, { type: "bar", data: { labels: d.labels, datasets: datasets },
        options: base({ scales: { y: { beginAtZero: true } } }) });
    },
    "kpi-money": function (canvas, d) {
      return new Chart(canvas, { data: { labels: d.labels, datasets: [
        line("CPA (per new MQL)", d.cpa, PALETTE[0]), line("CAC (per new customer)", d.cac, PALETTE[3], "y1"),
      ] }, options: base({ scales: {
        y: { beginAtZero: true, title: { display: true, text: "CPA" } },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "CAC" } },
      } }) });
    },
    "kpi-deals": function (canvas, d) {
      return new Chart(canvas, { data: { labels: d.labels, datasets: [
        line("Win rate %", d.win_rate, PALETTE[2]), line("Median cycle (days)", d.cycle, PALETTE[5], "y1"),
      ] }, options: base({ scales: {
        y: { beginAtZero: true, max: 100, title: { display: true, text: "%" } },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "days" } },
      } }) });
    },
    "kpi-conversion": function (canvas, d) {
      var datasets = d.conversion.map(function (s, i) { return line(s.label + " %", s.values, PALETTE[i % PALETTE.length]); });
      return new Chart(canvas, { data: { labels: d.labels, datasets: datasets },
        options: base({ scales: { y: { beginAtZero: true, max: 100 } } }) });
    },
    forecast: function (canvas, d) {
      return new Chart(canvas, { data: { labels: d.labels, datasets: [
        line("Actual", d.actual, PALETTE[0]),
        line("Forecast", d.forecast, PALETTE[3]),
        Object.assign(line("Interval (upper)", d.upper, "rgba(217,119,6,0.25)"), { fill: "+1", pointRadius: 0, borderWidth: 0 }),
        Object.assign(line("Interval (lower)", d.lower, "rgba(217,119,6,0.25)"), { pointRadius: 0, borderWidth: 0 }),
      ] }, options: base({ scales: { y: { beginAtZero: true } } }) });
    },
  };

  function heatmaps(root) {
    root.querySelectorAll("[data-heatmap] td.cell").forEach(function (cell) {
      var v = parseFloat(cell.dataset.value);
      if (isNaN(v)) return;
      // Full retention is deep green, heavy churn pale: the eye finds the weak cohorts.
      cell.style.backgroundColor = "rgba(22, 163, 74, " + (0.08 + 0.6 * v / 100).toFixed(2) + ")";
    });
  }

  function charts(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas[data-insights-chart]").forEach(function (canvas) {
      var build = builders[canvas.dataset.insightsChart];
      var source = document.getElementById(canvas.dataset.chartSource);
      if (!build || !source || Chart.getChart(canvas)) return;
      build(canvas, JSON.parse(source.textContent));
      canvas.dataset.rendered = "true";
    });
  }

  function start() { charts(document); heatmaps(document); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
