// 记录当前位置: fill the visit form's hidden coordinates from the phone's location, if the user allows it.
(function () {
  "use strict";
  var button = document.querySelector("[data-locate]");
  if (!button) return;
  var status = document.querySelector("[data-locate-status]");
  button.addEventListener("click", function () {
    if (!navigator.geolocation) {
      status.textContent = "此设备无法定位";
      return;
    }
    status.textContent = "定位中…";
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        var lat = pos.coords.latitude.toFixed(6), lng = pos.coords.longitude.toFixed(6);
        document.getElementById("id_latitude").value = lat;
        document.getElementById("id_longitude").value = lng;
        status.textContent = lat + ", " + lng;
      },
      function () { status.textContent = "未能获取位置（可不填）"; },
      { enableHighAccuracy: true, timeout: 10000 }
    );
  });
})();
