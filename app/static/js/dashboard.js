/* Home page charts: data come from a JSON block rendered by the server (no inline script, CSP 'self'). */
(function () {
  "use strict";
  var holder = document.getElementById("unit-chart");
  var source = document.getElementById("unit-chart-data");
  if (!holder || !source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent || "{}");
  if (!data.units || !data.units.length) { return; }
  var chart = echarts.init(holder);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { data: ["在办（未逾期）", "逾期"], top: 0 },
    grid: { left: 10, right: 30, top: 30, bottom: 10, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: data.units, inverse: true },
    series: [
      { name: "在办（未逾期）", type: "bar", stack: "n", data: data.open, itemStyle: { color: "#286090" },
        label: { show: true, formatter: function (p) { return p.value || ""; } } },
      { name: "逾期", type: "bar", stack: "n", data: data.overdue, itemStyle: { color: "#c12e2a" },
        label: { show: true, formatter: function (p) { return p.value || ""; } } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
