// Live feed on staff pages: shows the latest change to a case the viewer may see, as a link;
// on the dashboard, also keeps a running list of the last changes. Plain script, no framework;
// pages work without it.
(function () {
  var box = document.getElementById("live");
  if (!box || !window.EventSource) return;
  var list = document.getElementById("feed");
  // Under a sub-path the page says where (data-base), and every address starts there.
  var base = document.documentElement.getAttribute("data-base") || "";
  var feed = null;
  function link(d) {
    var a = document.createElement("a");
    a.href = base + "/cases/" + d.event.case_id;
    a.textContent = d.summary;
    return a;
  }
  function show(m) {
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
  }
  // The stream is closed when the page is left: a page kept in the back-forward cache would
  // otherwise hold its connection, and over HTTP/1.1 a browser has only six per server, so a
  // few pages on would leave none for the next form.
  function open() {
    if (feed) return;
    feed = new EventSource(base + "/cases/events");
    feed.addEventListener("case", show);
  }
  window.addEventListener("pagehide", function () {
    if (feed) feed.close();
    feed = null;
  });
  window.addEventListener("pageshow", open);
  open();
})();
