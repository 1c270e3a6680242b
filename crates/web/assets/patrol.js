// The patrol recorder: watches the phone's position and sends fixes in batches. Fixes wait in
// localStorage until the server has them, so a dropped signal (or a reloaded page) loses
// nothing; the server ignores a fix it already holds, so sending twice is harmless.
(function () {
  var box = document.getElementById("recorder");
  if (!box) return;
  var id = box.getAttribute("data-id");
  var csrf = box.getAttribute("data-csrf");
  var status = document.getElementById("gps-status");
  var key = "patrol-fixes-" + id;
  var EVERY_MS = 15000;
  var BATCH = 500;
  var sending = false;
  var lastSent = 0;

  function queue() {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function save(q) { localStorage.setItem(key, JSON.stringify(q)); }
  function say(text, bad) {
    status.textContent = text;
    status.className = bad ? "alert error" : "alert ok";
    status.hidden = false;
  }
  say("正在启动定位…");

  function send(done) {
    var q = queue();
    if (sending || q.length === 0) { if (done) done(); return; }
    sending = true;
    var batch = q.slice(0, BATCH);
    var body = new URLSearchParams();
    body.set("_csrf", csrf);
    body.set("fixes", JSON.stringify(batch));
    var base = document.documentElement.getAttribute("data-base") || "";
    fetch(base + "/patrols/" + id + "/fixes", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        if (r.ok) return r.json().then(function (s) {
          save(queue().slice(batch.length));
          lastSent = Date.now();
          document.getElementById("patrol-km").textContent = (s.metres / 1000).toFixed(2);
          document.getElementById("patrol-points").textContent = s.kept;
          say("正在记录轨迹：已上传 " + s.kept + " 个定位点" + (s.dropped ? "（" + s.dropped + " 个未采用，原因见巡查记录）" : ""));
        });
        if (r.status >= 400 && r.status < 500) {
          // The server refuses this batch for good (ended long ago, malformed): drop it.
          save(queue().slice(batch.length));
          say("部分定位点未被接收（" + r.status + "），请刷新页面", true);
          return;
        }
        throw new Error(String(r.status));
      })
      .catch(function () {
        say("信号中断：已在手机上暂存 " + queue().length + " 个定位点，恢复后自动上传", true);
      })
      .then(function () {
        sending = false;
        if (done) done();
      });
  }

  function fix(p) {
    var q = queue();
    q.push({ t: p.timestamp, lon: +p.coords.longitude.toFixed(7), lat: +p.coords.latitude.toFixed(7), acc: Math.round(p.coords.accuracy) });
    save(q);
    // The finding's position follows the phone until it is picked on the map.
    var fields = document.querySelectorAll(".here-lon:not([data-pinned]), .here-lat:not([data-pinned])");
    for (var i = 0; i < fields.length; i++) {
      var lon = fields[i].classList.contains("here-lon");
      fields[i].value = (lon ? p.coords.longitude : p.coords.latitude).toFixed(7);
      fields[i].dispatchEvent(new Event("input"));
    }
    if (Date.now() - lastSent >= EVERY_MS) send();
  }

  if (!navigator.geolocation) {
    say("此浏览器不能定位，无法记录轨迹；记录和小结仍可填写", true);
  } else {
    navigator.geolocation.watchPosition(fix, function (e) {
      // The browser's own message is English: say it by its code.
      var why = ["", "没有定位权限", "暂时定不到位置", "定位超时"][e.code] || "定位失败";
      say(why + "，请在浏览器设置里允许定位，并到开阔处", true);
    }, { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 });
  }
  setInterval(send, EVERY_MS);
  window.addEventListener("online", function () { send(); });
  // Keep the screen on while recording: a locked phone stops reporting its position.
  if (navigator.wakeLock) navigator.wakeLock.request("screen").catch(function () {});

  // Ending sends what is waiting first, so the last stretch counts.
  var end = document.getElementById("end-form");
  end.addEventListener("submit", function (ev) {
    if (queue().length === 0) return;
    ev.preventDefault();
    var go = function () { end.submit(); };
    setTimeout(go, 5000);
    send(go);
  });
  send();
})();
