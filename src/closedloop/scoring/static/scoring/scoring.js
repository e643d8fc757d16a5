/* Charts of the scoring pages: the model card's calibration plot and the trait report's odds
   ratios (log scale, with their 95% intervals as floating bars). Data comes from json_script
   blocks named by each canvas's data-chart-source; no inline scripts. */
(function () {
  "use strict";

  var builders = {
    calibration: function (canvas, bins) {
      var points = bins.map(function (b) { return { x: b.predicted, y: b.observed, n: b.count }; });
      return new Chart(canvas, {
        type: "scatter",
        data: { datasets: [
          { label: "Observed win rate", data: points, backgroundColor: "#4f46e5",
            pointRadius: points.map(function (p) { return Math.max(3, Math.min(12, Math.sqrt(p.n) * 1.5)); }) },
          { label: "Perfect calibration", type: "line", data: [{ x: 0, y: 0 }, { x: 1, y: 1 }],
            borderColor: "#94a3b8", borderDash: [4, 4], pointRadius: 0 },
        ] },
        options: { responsive: true, maintainAspectRatio: false, animation: false,
          scales: { x: { min: 0, max: 1, title: { display: true, text: "Predicted chance" } },
                    y: { min: 0, max: 1, title: { display: true, text: "Observed win rate" } } } },
      });
    },
    odds: function (canvas, all) {
      var rows = all[canvas.dataset.stage] || [];
      return new Chart(canvas, {
        type: "bar",
        data: { labels: rows.map(function (r) { return r.label; }), datasets: [
          { label: "95% interval", data: rows.map(function (r) { return [r.low, r.high]; }),
            backgroundColor: rows.map(function (r) { return r.or >= 1 ? "rgba(22,163,74,0.35)" : "rgba(220,38,38,0.35)"; }) },
          { label: "Odds ratio", type: "scatter", data: rows.map(function (r, i) { return { x: r.or, y: r.label }; }),
            backgroundColor: "#111827", pointRadius: 4 },
        ] },
        options: { indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
          scales: { x: { type: "logarithmic", title: { display: true, text: "Odds ratio (log scale, 1 = no effect)" } } } },
      });
    },
  };

  function draw() {
    if (typeof Chart === "undefined") return;
    document.querySelectorAll("canvas[data-scoring-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chartSource);
      var build = builders[canvas.dataset.scoringChart];
      if (!source || !build) return;
      build(canvas, JSON.parse(source.textContent));
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
