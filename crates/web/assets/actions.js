// What a page does to itself, wired here: pages carry no inline script (the content security
// policy forbids it). Buttons that print (a poster); buttons that copy a text (a tracking
// code), shown only where the browser can; and a page marked data-refresh="N" (the wall
// screen) reloads itself every N seconds — unless someone used it in the last minute, so a
// person reading it at a desk is never pulled away mid-task.
document.addEventListener("click", function (e) {
  var t = e.target.closest ? e.target.closest("[data-print]") : null;
  if (!t) return;
  e.preventDefault();
  window.print();
});

(function () {
  if (!navigator.clipboard || !window.isSecureContext) return;
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var from = document.getElementById(b.getAttribute("data-copy"));
      if (!from) return;
      navigator.clipboard.writeText(from.textContent.trim()).then(function () {
        b.textContent = "已复制，可粘贴到微信或备忘录保存";
      }, function () {
        b.textContent = "没能复制，请抄下查询码";
      });
    });
  });
})();

(function () {
  var marked = document.querySelector("[data-refresh]");
  if (!marked) return;
  var every = 1000 * Number(marked.getAttribute("data-refresh"));
  if (!(every > 0)) return;
  var used = 0;
  ["keydown", "pointerdown", "scroll", "input"].forEach(function (kind) {
    document.addEventListener(kind, function () {
      used = Date.now();
    }, { passive: true, capture: true });
  });
  function due() {
    if (Date.now() - used < 60000) {
      setTimeout(due, 60000);
    } else {
      window.location.reload();
    }
  }
  setTimeout(due, every);
})();
