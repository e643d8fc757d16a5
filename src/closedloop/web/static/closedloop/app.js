/* closedloop page behaviour. No inline scripts anywhere: pages carry data in
   <script type="application/json"> (Django's json_script) and data-* attributes, this file
   wires them up, so a strict Content-Security-Policy (script-src 'self') can be enabled. */
(function () {
  "use strict";

  var css = function (name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  };

  // "2026-06-01" → "1 Jun" in the browser's language; the ISO date stays in the tooltip.
  var shortDate = function (iso) {
    var d = new Date(iso + "T00:00:00");
    return isNaN(d) ? iso : d.toLocaleDateString(undefined, { day: "numeric", month: "short" });
  };

  var chartBuilders = {
    "leads-spend": function (canvas, data) {
      return new Chart(canvas, {
        data: {
          labels: data.labels,
          datasets: [
            {
              type: "bar", label: "New contacts", data: data.leads, yAxisID: "y",
              backgroundColor: css("--accent-soft") || "#c7d2fe", borderRadius: 2, maxBarThickness: 18,
            },
            {
              type: "line", label: "Spend", data: data.spend, yAxisID: "y1",
              borderColor: css("--warn") || "#d97706", backgroundColor: "transparent",
              borderWidth: 2, pointRadius: 0, tension: 0.25,
            },
          ],
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true } } },
          scales: {
            x: {
              grid: { display: false },
              ticks: {
                maxTicksLimit: 8, maxRotation: 0,
                callback: function (value) { return shortDate(this.getLabelForValue(value)); },
              },
            },
            y: { beginAtZero: true, title: { display: true, text: "contacts" }, ticks: { precision: 0 } },
            y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                  title: { display: true, text: "spend" } },
          },
        },
      });
    },
  };

  function initCharts(root) {
    if (typeof Chart === "undefined") return;
    Chart.defaults.font.family = css("--font") || Chart.defaults.font.family;
    Chart.defaults.color = css("--muted") || Chart.defaults.color;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var build = chartBuilders[canvas.dataset.chart];
      var source = document.getElementById(canvas.dataset.chartSource);
      if (!build || !source || Chart.getChart(canvas)) return;
      build(canvas, JSON.parse(source.textContent));
    });
  }

  // Editing a date means "custom range": switch the period select so the dates are used.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-period-date]")) return;
    var select = input.form && input.form.querySelector("[data-period-select]");
    if (select) select.value = "custom";
  }, true);

  function start() {
    if (typeof htmx !== "undefined") {
      htmx.onLoad(function (elt) { initCharts(elt); });
    } else {
      initCharts(document);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
