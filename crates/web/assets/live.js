// Live feed on staff pages: shows the latest change to a case the viewer may see, as a link;
// on the dashboard, also keeps a running list of the last changes. Plain script, no framework;
// pages work without it.
(function () {
  var box = document.getElementById("live");
  if (!box || !window.EventSource) return;
  var list = document.getElementById("feed");
  var feed = new EventSource("/cases/events");
  function link(d) {
    var a = document.createElement("a");
    a.href = "/cases/" + d.event.case_id;
    a.textContent = d.summary;
    return a;
  }
  feed.addEventListener("case", function (m) {
    var d = JSON.parse(m.data);
    if (list) {
      var hint = list.querySelector(".hint");
      if (hint) hint.remove();
      var li = document.createElement("li");
      li.textContent = new Date().toTimeString().slice(0, 5) + " ";
      li.appendChild(link(d));
      list.insertBefore(li, list.firstChild);
      while (list.children.length > 30) list.removeChild(list.lastChild);
      return;
    }
    box.textContent = "新动态：";
    box.appendChild(link(d));
    box.hidden = false;
  });
})();
