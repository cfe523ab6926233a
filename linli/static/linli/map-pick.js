// The map picker in a form (templates/core/_map_picker.html): a click sets the hidden latitude/longitude
// (WGS-84) and asks the server which area holds the point (data-locate: dashboards:locate for staff,
// portal:map_locate for residents); that area is chosen in the form's select named by data-area-field.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map-picker]").forEach(function (node) {
      if (typeof L === "undefined") { return; }
      var form = node.closest("form");
      var said = form.querySelector("[data-map-picked]");
      var m = LinliMap.create(node, { tile_url: "", tile_coords: "wgs84" });
      var marker = null, bounds = null;
      function put(lat, lng) {
        if (marker) { m.map.removeLayer(marker); }
        marker = L.circleMarker(m.toMap(lat, lng), { radius: 7, color: "#c0262d", fillOpacity: 0.9 }).addTo(m.map);
      }
      var lat0 = parseFloat(node.getAttribute("data-lat")), lng0 = parseFloat(node.getAttribute("data-lng"));
      fetch(node.getAttribute("data-areas"), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        data.areas.forEach(function (a) {
          var layer = L.polygon(m.rings(a.boundary), { color: a.kind === "grid" ? "#2b4c7e" : "#c0262d", weight: 1, fillOpacity: a.kind === "grid" ? 0.08 : 0, interactive: false }).addTo(m.map);
          bounds = bounds ? bounds.extend(layer.getBounds()) : layer.getBounds();
        });
        if (!isNaN(lat0) && !isNaN(lng0)) { put(lat0, lng0); m.map.setView(m.toMap(lat0, lng0), 16); }
        else if (bounds) { m.map.fitBounds(bounds); } else { m.map.setView([30, 114], 4); }
        node.setAttribute("data-ready", "1");
      });
      m.map.on("click", function (e) {
        var w = m.fromMap(e.latlng);
        put(w[0], w[1]);
        form.querySelector('[name="latitude"]').value = w[0];
        form.querySelector('[name="longitude"]').value = w[1];
        // data-check: a control to tick once a point is picked (the portal's "在别处" choice).
        var tick = node.getAttribute("data-check") && form.querySelector(node.getAttribute("data-check"));
        if (tick) { tick.checked = true; }
        fetch(node.getAttribute("data-locate") + "?lat=" + w[0] + "&lng=" + w[1], { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (found) {
            var select = form.querySelector('select[name="' + (node.getAttribute("data-area-field") || "area") + '"]');
            if (found.area && select && select.querySelector('option[value="' + found.area + '"]')) {
              if (select.value !== String(found.area)) {
                // A building or room typed for the old grid would not be in the new one.
                ["building", "room"].forEach(function (n) { var f = form.querySelector('[name="' + n + '"]'); if (f) { f.value = ""; } });
              }
              select.value = String(found.area);
              said.textContent = "已选位置 " + w[0] + ", " + w[1] + "：" + found.name;
            } else {
              said.textContent = "已选位置 " + w[0] + ", " + w[1] + "。" + (found.message || "");
            }
          });
      });
    });
  });
})();
