// Buttons that act on the page itself (print a poster), wired here: pages carry no inline
// script (the content security policy forbids it).
document.addEventListener("click", function (e) {
  var t = e.target.closest ? e.target.closest("[data-print]") : null;
  if (!t) return;
  e.preventDefault();
  window.print();
});
