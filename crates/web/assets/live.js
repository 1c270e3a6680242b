// Live feed on staff pages: shows the latest change to a case the viewer may see, as a link.
// Plain script, no framework; pages work without it.
(function () {
  var box = document.getElementById("live");
  if (!box || !window.EventSource) return;
  var feed = new EventSource("/cases/events");
  feed.addEventListener("case", function (m) {
    var d = JSON.parse(m.data);
    var a = document.createElement("a");
    a.href = "/cases/" + d.event.case_id;
    a.textContent = d.summary;
    box.textContent = "新动态：";
    box.appendChild(a);
    box.hidden = false;
  });
})();
