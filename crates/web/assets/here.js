// Position on the report forms. "使用当前位置" fills longitude and latitude from the phone; the
// map (svg.pick, drawn by the server with its projection in data attributes) shows a pin that a
// tap, dragging the pin or the arrow keys move, and that follows the fields when something else
// fills them (the button, the patrol recorder). Plain script; without it the form still works:
// the reporter picks the grid, or the report goes to the QR code's grid.
(function () {
  var status = document.getElementById("here-status");
  function say(text) {
    if (status) status.textContent = text;
  }
  function set(input, value) {
    input.value = value;
    input.dispatchEvent(new Event("input"));
  }

  var maps = document.querySelectorAll("svg.pick");
  for (var i = 0; i < maps.length; i++) pin(maps[i]);

  function pin(svg) {
    var lon = document.getElementById(svg.dataset.lon);
    var lat = document.getElementById(svg.dataset.lat);
    var mark = svg.querySelector(".pin");
    if (!lon || !lat || !mark) return;
    var d = svg.dataset, x0 = +d.x0, y1 = +d.y1, kx = +d.kx, s = +d.s, pad = +d.pad;
    var box = svg.viewBox.baseVal;
    var at = null;

    function show(x, y) {
      at = { x: Math.min(Math.max(x, 0), box.width), y: Math.min(Math.max(y, 0), box.height) };
      mark.setAttribute("transform", "translate(" + at.x.toFixed(1) + " " + at.y.toFixed(1) + ")");
      mark.removeAttribute("visibility");
    }
    // A position chosen on the map: the fields take it, and GPS updates no longer overwrite it.
    function choose(x, y) {
      show(x, y);
      lon.dataset.pinned = lat.dataset.pinned = "1";
      lon.value = (x0 + (at.x - pad) / (kx * s)).toFixed(6);
      lat.value = (y1 - (at.y - pad) / s).toFixed(6);
      say("已在地图上标出位置，提交后将落入所在网格");
    }
    function follow() {
      var x = parseFloat(lon.value), y = parseFloat(lat.value);
      if (isFinite(x) && isFinite(y)) show(pad + (x - x0) * kx * s, pad + (y1 - y) * s);
    }
    function inside(e) {
      var p = svg.createSVGPoint();
      p.x = e.clientX;
      p.y = e.clientY;
      return p.matrixTransform(svg.getScreenCTM().inverse());
    }

    svg.addEventListener("click", function (e) {
      var p = inside(e);
      choose(p.x, p.y);
    });
    // Dragging starts on the pin only, so a finger on the map still scrolls the page.
    var dragging = false;
    mark.addEventListener("pointerdown", function (e) {
      dragging = true;
      mark.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    mark.addEventListener("pointermove", function (e) {
      if (!dragging) return;
      var p = inside(e);
      choose(p.x, p.y);
    });
    mark.addEventListener("pointerup", function () {
      dragging = false;
    });
    svg.addEventListener("keydown", function (e) {
      var step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
      if (!step) return;
      e.preventDefault();
      var from = at || { x: box.width / 2, y: box.height / 2 };
      choose(from.x + step[0] * 6, from.y + step[1] * 6);
    });
    lon.addEventListener("input", follow);
    lat.addEventListener("input", follow);
    follow();
  }

  var button = document.getElementById("here");
  if (!button || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    say("正在定位…");
    navigator.geolocation.getCurrentPosition(
      function (p) {
        var lon = document.getElementById("lon"), lat = document.getElementById("lat");
        delete lon.dataset.pinned;
        delete lat.dataset.pinned;
        set(lon, p.coords.longitude.toFixed(6));
        set(lat, p.coords.latitude.toFixed(6));
        say("已定位（精度约 " + Math.round(p.coords.accuracy) + " 米），将自动落入所在网格");
      },
      function (e) {
        // The browser's own message is English: say it by its code.
        var why = ["", "没有定位权限", "暂时定不到位置", "定位超时"][e.code] || "定位失败";
        say(why + "，请在地图上点出位置，或选择所在网格");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
