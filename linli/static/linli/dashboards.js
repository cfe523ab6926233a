// Dashboards: draws each [data-chart] from the page's #dashboard-charts JSON with the vendored ECharts;
// a click on a bar, slice or point opens the list behind it. No inline script (CSP).
(function () {
  "use strict";
  var PALETTE = ["#2f6fdf", "#e8833a", "#3aa776", "#c44e52", "#8172b2", "#937860", "#da8bc3", "#8c8c8c"];

  function option(spec) {
    var base = { color: PALETTE, animation: false, title: { text: spec.title, left: 0, textStyle: { fontSize: 14 } },
      tooltip: { trigger: spec.kind === "pie" ? "item" : "axis", confine: true }, grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true } };
    var series = spec.series;
    if (spec.kind === "pie") {
      base.legend = { bottom: 0, type: "scroll" };
      base.series = [{ type: "pie", radius: ["35%", "62%"], center: ["50%", "52%"], label: { formatter: "{b}\n{c}" },
        data: spec.labels.map(function (l, i) { return { name: l, value: series[0].data[i] }; }) }];
    } else if (spec.kind === "pyramid") {
      base.legend = { top: 0, right: 0 };
      base.tooltip = { trigger: "axis", axisPointer: { type: "shadow" }, confine: true,
        valueFormatter: function (v) { return Math.abs(v); } };
      base.xAxis = { type: "value", axisLabel: { formatter: function (v) { return Math.abs(v); } } };
      base.yAxis = { type: "category", data: spec.labels, axisTick: { show: false } };
      base.series = series.map(function (s, i) {
        return { name: s.name, type: "bar", stack: "p", barWidth: "60%",
          label: { show: true, position: i === 0 ? "left" : "right", formatter: function (p) { return Math.abs(p.value); } },
          data: s.data.map(function (v) { return i === 0 ? -v : v; }) };
      });
    } else if (spec.kind === "hbar") {
      base.xAxis = { type: "value" };
      base.yAxis = { type: "category", data: spec.labels, inverse: true, axisLabel: { width: 110, overflow: "truncate" } };
      base.series = series.map(function (s) { return { name: s.name, type: "bar", data: s.data, label: { show: true, position: "right" } }; });
    } else {
      base.legend = series.length > 1 ? { top: 0, right: 0 } : undefined;
      base.xAxis = { type: "category", data: spec.labels, axisLabel: { hideOverlap: true } };
      base.yAxis = { type: "value" };
      base.series = series.map(function (s) { return { name: s.name, type: spec.kind === "line" ? "line" : "bar", data: s.data, smooth: false }; });
    }
    return base;
  }

  function draw(root) {
    var data = document.getElementById("dashboard-charts");
    if (!data || typeof echarts === "undefined") { return; }
    var specs = {};
    JSON.parse(data.textContent).forEach(function (s) { specs[s.id] = s; });
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = specs[el.getAttribute("data-chart")];
      if (!spec) { return; }
      var old = echarts.getInstanceByDom(el);
      if (old) { old.dispose(); }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option(spec));
      chart.on("click", function (p) {
        var url = spec.urls && spec.urls[p.dataIndex];
        if (url) { window.location.assign(url); }
      });
      el.setAttribute("data-drawn", "1");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
  window.addEventListener("resize", function () {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var c = echarts.getInstanceByDom(el);
      if (c) { c.resize(); }
    });
  });
})();
