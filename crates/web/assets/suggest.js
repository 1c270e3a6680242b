// Suggestions on the report forms while they are typed: the likeliest categories for the words
// (a tap picks one; the reporter's choice is what is filed) and, on the staff form, where the
// typed address places the report. Plain script; without it the forms work as before.
(function () {
  var box = document.getElementById("suggest");
  // Not in the elders' mode: chips appearing as one types move the buttons under the finger;
  // 不清楚 in the category list serves them instead.
  if (!box || !window.fetch || document.documentElement.classList.contains("elder")) return;
  var form = box.closest("form");
  var text = form.querySelector("textarea[name=description]");
  var title = form.querySelector("input[name=title]");
  var category = form.querySelector("select[name=category]");
  var address = document.getElementById("address");
  var grid = form.querySelector("select[name=node_code]");
  var status = document.getElementById("address-status");
  var timer = null;

  function percent(x) {
    return Math.round(x * 100) + "%";
  }
  function ask(query, then) {
    fetch(box.dataset.url + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j) then(j); })
      .catch(function () {});
  }
  function option(code) {
    for (var i = 0; i < category.options.length; i++) {
      if (category.options[i].value === code) return category.options[i];
    }
    return null;
  }
  function show(j) {
    var guesses = Array.isArray(j) ? j : j.categories || [];
    box.textContent = "";
    if (!guesses.length) { box.hidden = true; return; }
    var lead = document.createElement("span");
    lead.textContent = "可能是：";
    box.appendChild(lead);
    guesses.forEach(function (g) {
      if (!option(g.code)) return;
      var b = document.createElement("button");
      b.type = "button";
      b.className = "chip" + (category.value === g.code ? " chosen" : "");
      b.textContent = g.name + " " + percent(g.likelihood);
      b.addEventListener("click", function () {
        category.value = g.code;
        category.dispatchEvent(new Event("change"));
        show(j);
      });
      box.appendChild(b);
    });
    var why = [];
    if (j.words && j.words.length) why.push("依据：" + j.words.map(function (w) { return "“" + w + "”"; }).join(""));
    if (j.departments && j.departments.length) {
      var d = j.departments[0];
      why.push("建议承办：" + (d.kind || "网格或社区自办") + " " + percent(d.likelihood));
    }
    if (why.length) {
      var p = document.createElement("p");
      p.className = "hint";
      p.textContent = why.join("；");
      box.appendChild(p);
    }
    box.hidden = false;
  }
  function typed() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var words = ((title && title.value) || "") + " " + text.value;
      if (words.trim().length < 4) { box.hidden = true; return; }
      ask("text=" + encodeURIComponent(words.trim().slice(0, 2000)), show);
    }, 400);
  }
  text.addEventListener("input", typed);
  if (title) title.addEventListener("input", typed);
  if (text.value.trim()) typed();

  if (address && grid && status) {
    address.addEventListener("change", function () {
      var q = address.value.trim();
      status.textContent = "";
      if (!q) return;
      ask("address=" + encodeURIComponent(q.slice(0, 200)), function (j) {
        var p = j.place;
        if (!p) return;
        var named = null;
        for (var i = 0; i < grid.options.length; i++) {
          if (grid.options[i].value === p.code) named = grid.options[i];
        }
        if (p.confidence >= 0.7 && named) {
          var parts = (p.parts || []).length ? "，依据：" + p.parts.join("、") : "";
          status.textContent = "地址落在：" + named.textContent + (p.target ? "（" + p.target.name + "）" : "") + "，把握 " + percent(p.confidence) + parts;
        } else {
          var maybe = (p.candidates || []).slice(0, 3).map(function (c) { return c.name; });
          status.textContent = "地址不够明确" + (maybe.length ? "（可能是：" + maybe.join("、") + "）" : "") + "，请在地图上点出位置或选择网格";
        }
      });
    });
  }
})();
