// "使用当前位置" on the report form: fills longitude and latitude from the phone's position.
// Plain script; without it (or without permission) the reporter picks the grid instead.
(function () {
  var button = document.getElementById("here");
  var status = document.getElementById("here-status");
  if (!button || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(
      function (p) {
        document.getElementById("lon").value = p.coords.longitude.toFixed(6);
        document.getElementById("lat").value = p.coords.latitude.toFixed(6);
        status.textContent = "已定位（精度约 " + Math.round(p.coords.accuracy) + " 米），将自动落入所在网格";
      },
      function (e) {
        // The browser's own message is English: say it by its code.
        var why = ["", "没有定位权限", "暂时定不到位置", "定位超时"][e.code] || "定位失败";
        status.textContent = why + "，请选择所在网格";
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
