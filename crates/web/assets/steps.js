// 长辈版, one question per screen: in the elders' mode a long form (marked data-steps) shows
// one field or group at a time with 上一步 / 下一步 and where the person is (第 2 步，共 6 步);
// the buttons that send it appear on the last step. A step's own checks run before moving on.
// Without script, or in the ordinary mode, the whole form shows as it is.
(function () {
  if (!document.documentElement.classList.contains("elder")) return;
  document.querySelectorAll("form[data-steps]").forEach(function (form) {
    var steps = [];
    var rest = [];
    Array.prototype.forEach.call(form.children, function (el) {
      if (el.matches("input[type=hidden]") || el.hidden) return;
      (el.matches("label, fieldset") ? steps : rest).push(el);
    });
    if (steps.length < 3) return;
    var nav = document.createElement("div");
    nav.className = "steps-nav";
    nav.innerHTML = '<p class="steps-where" role="status" aria-live="polite"></p>' +
      '<button type="button" class="secondary" data-back>上一步</button> ' +
      '<button type="button" data-next>下一步</button>';
    form.appendChild(nav);
    var where = nav.querySelector(".steps-where");
    var back = nav.querySelector("[data-back]");
    var next = nav.querySelector("[data-next]");
    var at = 0;
    function show(i, focus) {
      at = i;
      steps.forEach(function (s, j) { s.hidden = j !== i; });
      var last = i === steps.length - 1;
      rest.forEach(function (el) { el.hidden = !last; });
      back.hidden = i === 0;
      next.hidden = last;
      where.textContent = "第 " + (i + 1) + " 步，共 " + steps.length + " 步";
      if (focus) {
        var first = steps[i].querySelector("input:not([type=hidden]), select, textarea, button");
        if (first) first.focus();
        steps[i].scrollIntoView({ block: "start" });
      }
    }
    function fine(step) {
      var fields = step.querySelectorAll("input, select, textarea");
      for (var k = 0; k < fields.length; k++) {
        if (!fields[k].checkValidity()) {
          fields[k].reportValidity();
          return false;
        }
      }
      return true;
    }
    next.addEventListener("click", function () {
      if (fine(steps[at])) show(at + 1, true);
    });
    back.addEventListener("click", function () {
      show(at - 1, true);
    });
    // Back from the server (a fix asked for, a code sent): start where something is missing,
    // or at the end when everything is filled in; a fresh form starts at the beginning.
    var missing = -1;
    for (var i = 0; i < steps.length && missing < 0; i++) {
      var fields = steps[i].querySelectorAll("input, select, textarea");
      for (var k = 0; k < fields.length; k++) {
        if (!fields[k].checkValidity()) { missing = i; break; }
      }
    }
    var returned = document.querySelector(".alert");
    show(missing >= 0 ? (returned ? missing : 0) : (returned ? steps.length - 1 : 0), false);
  });
})();
