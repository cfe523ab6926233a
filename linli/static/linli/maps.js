// The grid map's shared parts, on the vendored Leaflet: a map with no tiles by default (a plain background,
// boundaries and a scale bar work with no network), or the configured intranet tile service; coordinates
// are stored as WGS-84 and shifted to GCJ-02 for drawing when the tiles are GCJ-02 (LINLI_MAP_TILE_COORDS).
(function () {
  "use strict";
  var A = 6378245.0, EE = 0.00669342162296594323;
  function outOfChina(lat, lng) { return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function tLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
    return r;
  }
  function tLng(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
    return r;
  }
  function wgsToGcj(lat, lng) {
    if (outOfChina(lat, lng)) { return [lat, lng]; }
    var dLat = tLat(lng - 105, lat - 35), dLng = tLng(lng - 105, lat - 35);
    var rad = lat / 180 * Math.PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sq) * Math.PI);
    dLng = (dLng * 180) / (A / sq * Math.cos(rad) * Math.PI);
    return [lat + dLat, lng + dLng];
  }
  function gcjToWgs(lat, lng) {  // iterate the forward shift back (error well under a metre)
    var wLat = lat, wLng = lng;
    for (var i = 0; i < 5; i++) {
      var g = wgsToGcj(wLat, wLng);
      wLat += lat - g[0]; wLng += lng - g[1];
    }
    return [wLat, wLng];
  }

  function create(el, config) {
    var gcj = config.tile_coords === "gcj02" && !!config.tile_url;
    var map = L.map(el, { zoomSnap: 0.5, maxZoom: config.max_zoom || 19, attributionControl: !!config.tile_url });
    if (config.tile_url) {
      L.tileLayer(config.tile_url, { maxZoom: config.max_zoom || 19, attribution: config.attribution || "" }).addTo(map);
    }
    L.control.scale({ imperial: false }).addTo(map);
    return {
      map: map,
      toMap: function (lat, lng) { return gcj ? wgsToGcj(lat, lng) : [lat, lng]; },
      fromMap: function (latlng) {
        var r = gcj ? gcjToWgs(latlng.lat, latlng.lng) : [latlng.lat, latlng.lng];
        return [Math.round(r[0] * 1e6) / 1e6, Math.round(r[1] * 1e6) / 1e6];
      },
      // GeoJSON coordinates (lng, lat) of a Polygon/MultiPolygon → Leaflet latlngs in the map's system.
      rings: function (geometry) {
        var polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
        var self = this;
        return polys.map(function (rings) {
          return rings.map(function (ring) { return ring.map(function (p) { return self.toMap(p[1], p[0]); }); });
        });
      }
    };
  }

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  window.LinliMap = { create: create, readJson: readJson, wgsToGcj: wgsToGcj, gcjToWgs: gcjToWgs };
})();
