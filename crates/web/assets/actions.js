// What a page does to itself, wired here: pages carry no inline script (the content security
// policy forbids it). Buttons that print (a poster); and a page marked data-refresh="N" (the
// wall screen) reloads itself every N seconds — unless someone used it in the last minute, so
// a person reading it at a desk is never pulled away mid-task.
document.addEventListener("click", function (e) {
  var t = e.target.closest ? e.target.closest("[data-print]") : null;
  if (!t) return;
  e.preventDefault();
  window.print();
});

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
