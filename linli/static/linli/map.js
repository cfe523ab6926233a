// The grid map page: areas coloured by the chosen figure, a card for the clicked area, buildings and open
// cases as points. Text is set with textContent: names are user text.
(function () {
  "use strict";
  var SHADES = ["#f1f5fb", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd"];
  var GROUP_COLOURS = ["#2f6fdf", "#e8833a", "#3aa776", "#8172b2", "#937860", "#da8bc3", "#8c8c8c"];

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }
  function fmt(v, percent) {
    if (v === null || v === undefined) { return "—"; }
    return percent ? (v * 100).toFixed(1) + "%" : String(v);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("grid-map");
    if (!node || typeof L === "undefined") { return; }
    var config = LinliMap.readJson("map-config");
    var m = LinliMap.create(node, config);
    var select = document.getElementById("map-measure");
    var card = document.getElementById("map-card");
    var legend = document.getElementById("map-legend");
    fetch(config.data_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var measures = {};
        data.measures.forEach(function (ms) { measures[ms.key] = ms; });
        var polygons = [], bounds = null;
        function shade(ms, path) {
          if (!ms) { return SHADES[0]; }
          var v = ms.values[path];
          if (v === null || v === undefined) { return "#dddddd"; }
          var max = 0;
          Object.keys(ms.values).forEach(function (k) { if (ms.values[k] > max) { max = ms.values[k]; } });
          var i = max > 0 ? Math.min(4, Math.floor((v / max) * 4.999)) : 0;
          return SHADES[i];
        }
        function showCard(a) {
          card.textContent = "";
          card.appendChild(el("h3", a.name));
          card.appendChild(el("p", a.kind_label, "muted small"));
          var dl = el("dl");
          data.measures.forEach(function (ms) {
            if (a.kind !== "grid" && !(a.path in ms.values)) { return; }
            dl.appendChild(el("dt", ms.label));
            dl.appendChild(el("dd", fmt(ms.values[a.path], ms.percent)));
          });
          card.appendChild(dl);
          var links = el("p", null, "links");
          a.links.forEach(function (l) { var link = el("a", l[0]); link.href = l[1]; links.appendChild(link); });
          card.appendChild(links);
          card.hidden = false;
        }
        function paint() {
          var ms = measures[select ? select.value : ""];
          polygons.forEach(function (p) {
            if (p.area.kind === "grid") { p.layer.setStyle({ fillColor: shade(ms, p.area.path) }); }
          });
          if (legend && ms) {
            legend.textContent = "";
            var max = 0;
            Object.keys(ms.values).forEach(function (k) { if (ms.values[k] > max) { max = ms.values[k]; } });
            SHADES.forEach(function (c, i) {
              var li = el("li"); var sw = el("span", null, "swatch sw-" + i); li.appendChild(sw);
              li.appendChild(el("span", "≥ " + fmt(max * i / 5, ms.percent).replace(/\.0(?=%|$)/, "")));
              legend.appendChild(li);
            });
          }
        }
        data.areas.forEach(function (a) {
          var grid = a.kind === "grid";
          var layer = L.polygon(m.rings(a.boundary), {
            color: grid ? "#2b4c7e" : "#c0262d", weight: grid ? 1.5 : 2.5, dashArray: grid ? null : "6 4",
            fill: grid, fillOpacity: 0.75, fillColor: SHADES[0], interactive: grid
          }).addTo(m.map);
          if (grid) {
            layer.bindTooltip(a.name, { sticky: true });
            layer.on("click", function () { showCard(a); });
          }
          polygons.push({ area: a, layer: layer });
          bounds = bounds ? bounds.extend(layer.getBounds()) : layer.getBounds();
        });
        var overlays = {};
        if (data.buildings.length) {
          var b = L.layerGroup();
          data.buildings.forEach(function (p) {
            L.circleMarker(m.toMap(p.lat, p.lng), { radius: 4, color: "#333", weight: 1, fillColor: "#fff", fillOpacity: 1 })
              .bindTooltip(p.label).on("click", function () { window.location.assign(p.url); }).addTo(b);
          });
          b.addTo(m.map); overlays["楼栋"] = b;
        }
        data.layers.forEach(function (layerSpec) {
          var g = L.layerGroup(), colours = {}, n = 0;
          layerSpec.points.forEach(function (p) {
            if (!(p.group in colours)) { colours[p.group] = p.group === "已超期" ? "#c0262d" : GROUP_COLOURS[n++ % GROUP_COLOURS.length]; }
            L.circleMarker(m.toMap(p.lat, p.lng), { radius: 5, color: colours[p.group], weight: 1, fillOpacity: 0.85 })
              .bindTooltip(p.label + "（" + p.group + (p.detail ? " · " + p.detail : "") + "）")
              .on("click", function () { window.location.assign(p.url); }).addTo(g);
          });
          g.addTo(m.map); overlays[layerSpec.title + "（" + layerSpec.points.length + "）"] = g;
          var list = document.getElementById("map-groups");
          if (list) {
            Object.keys(colours).forEach(function (k) {
              var li = el("li"); var sw = el("span", null, "swatch"); sw.style.background = colours[k];
              li.appendChild(sw); li.appendChild(el("span", k)); list.appendChild(li);
            });
          }
        });
        if (Object.keys(overlays).length) { L.control.layers(null, overlays, { collapsed: false }).addTo(m.map); }
        if (bounds) { m.map.fitBounds(bounds, { padding: [10, 10] }); } else { m.map.setView([30, 114], 4); }
        if (select) { select.addEventListener("change", paint); }
        paint();
        node.setAttribute("data-ready", String(polygons.length));
      });
  });
})();
