// A small polygon editor on Leaflet (no plugin): click the map to add a vertex, drag a vertex to move it,
// click a vertex to remove it. The ring is written to the GeoJSON textarea (WGS-84) on every change, so the
// form posts what is drawn; the server validates it (areas.services). Building points: "在地图上点选" then
// a click on the map fills that building's form.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("boundary-map");
    if (!node || typeof L === "undefined") { return; }
    var config = LinliMap.readJson("map-config");
    var editor = LinliMap.readJson("boundary-editor");
    var m = LinliMap.create(node, config);
    var text = document.getElementById("boundary-text");
    var count = document.getElementById("vertex-count");
    var vertices = [];  // Leaflet latlngs in the map's system
    var markers = [];
    var shape = L.polygon([], { color: "#2f6fdf", weight: 2, fillOpacity: 0.2 }).addTo(m.map);
    var bounds = null;
    var placing = null;

    editor.context.forEach(function (a) {
      var layer = L.polygon(m.rings(a.boundary), a.parent
        ? { color: "#c0262d", weight: 2, dashArray: "6 4", fill: false, interactive: false }
        : { color: "#888", weight: 1, fillColor: "#bbb", fillOpacity: 0.3, interactive: false }).addTo(m.map);
      layer.bindTooltip(a.name);
      bounds = bounds ? bounds.extend(layer.getBounds()) : layer.getBounds();
    });

    function write() {
      shape.setLatLngs(vertices);
      count.textContent = vertices.length ? vertices.length + " 个顶点" : "尚未绘制";
      if (vertices.length < 3) { text.value = ""; return; }
      var ring = vertices.map(function (ll) { var w = m.fromMap(ll); return [w[1], w[0]]; });
      ring.push(ring[0]);
      text.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    }
    function addVertex(ll, at) {
      var marker = L.marker(ll, { draggable: true, icon: L.divIcon({ className: "map-vertex", iconSize: [12, 12] }) });
      marker.on("drag", function () { vertices[markers.indexOf(marker)] = marker.getLatLng(); write(); });
      marker.on("click", function () {
        var i = markers.indexOf(marker);
        markers.splice(i, 1); vertices.splice(i, 1); m.map.removeLayer(marker); write();
      });
      marker.addTo(m.map);
      if (at === undefined) { markers.push(marker); vertices.push(ll); } else { markers.splice(at, 0, marker); vertices.splice(at, 0, ll); }
    }
    if (editor.boundary) {
      var first = m.rings(editor.boundary)[0][0];
      first.slice(0, -1).forEach(function (p) { addVertex(L.latLng(p[0], p[1])); });
      bounds = bounds ? bounds.extend(L.latLngBounds(first)) : L.latLngBounds(first);
    }
    write();

    var pointMarkers = {};
    editor.buildings.forEach(function (b) {
      if (b.lat === null) { return; }
      pointMarkers[b.pk] = L.circleMarker(m.toMap(b.lat, b.lng), { radius: 5, color: "#333", fillColor: "#fff", fillOpacity: 1 })
        .bindTooltip(b.label).addTo(m.map);
    });

    m.map.on("click", function (e) {
      if (placing !== null) {
        var form = document.querySelector('[data-building-form="' + placing + '"]');
        var w = m.fromMap(e.latlng);
        form.querySelector('[name="latitude"]').value = w[0];
        form.querySelector('[name="longitude"]').value = w[1];
        if (pointMarkers[placing]) { m.map.removeLayer(pointMarkers[placing]); }
        pointMarkers[placing] = L.circleMarker(e.latlng, { radius: 6, color: "#c0262d", fillOpacity: 1 }).addTo(m.map);
        form.querySelector("[data-save-point]").hidden = false;
        node.classList.remove("placing");
        placing = null;
        return;
      }
      addVertex(e.latlng);
      write();
    });
    document.querySelectorAll("[data-place]").forEach(function (btn) {
      btn.addEventListener("click", function () { placing = btn.getAttribute("data-place"); node.classList.add("placing"); node.focus(); });
    });
    document.querySelector('[data-edit="undo"]').addEventListener("click", function () {
      if (!markers.length) { return; }
      m.map.removeLayer(markers.pop()); vertices.pop(); write();
    });
    document.querySelector('[data-edit="clear"]').addEventListener("click", function () {
      markers.forEach(function (mk) { m.map.removeLayer(mk); });
      markers = []; vertices = []; text.value = ""; write();
    });
    // Typing GeoJSON by hand (高级) wins over the drawing: the editor stops writing once the text is edited.
    text.addEventListener("input", function () { markers.forEach(function (mk) { mk.off("drag"); }); });

    if (bounds) { m.map.fitBounds(bounds, { padding: [20, 20] }); }
    else if (editor.centre) { m.map.setView(editor.centre, 16); }
    else { m.map.setView([30, 114], 4); }
    node.setAttribute("data-ready", "1");
  });
})();
