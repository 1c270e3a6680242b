// 善治外勤: the grid worker's app for places without a signal. While online it keeps a copy of
// the worker's own work (their grid, open cases, residents due a visit with masked names,
// today's patrol, the forms' lists); without a signal it shows that copy and queues what is
// done — reports with photos, patrol fixes and findings, visits, case steps — each with a key
// made here and the time it was made. When the signal returns the queue is sent in order; the
// server applies each key once. Both the copy and the queue are sealed with AES-GCM under a
// key the browser cannot export, which is forgotten with the session.
(function () {
  "use strict";
  var base = document.documentElement.getAttribute("data-base") || "";
  var $ = function (id) { return document.getElementById(id); };
  var DB = "shanzhi-field";
  var MAX_ITEMS = 200;             // queued items kept at most
  var MAX_QUEUED_BYTES = 60e6;     // and their photos' bytes
  var PHOTO_SIDE = 1600;           // photos are shrunk on the phone to this many pixels
  var FIX_BATCH_MS = 60000;        // a patrol's fixes are queued once a minute
  var st = { pack: null, csrf: "", offset: 0, synced: 0, here: null, sending: false, fixes: [], watching: false };

  // ---- IndexedDB: kv (the sealed copy, its key, when it was synced), outbox, problems.
  var opened = null;
  function idb() {
    if (!opened) opened = new Promise(function (ok, fail) {
      var r = indexedDB.open(DB, 1);
      r.onupgradeneeded = function () {
        var d = r.result;
        d.createObjectStore("kv");
        d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        d.createObjectStore("problems", { keyPath: "key" });
      };
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { fail(r.error); };
    });
    return opened;
  }
  async function run(store, mode, fn) {
    var d = await idb();
    return new Promise(function (ok, fail) {
      var t = d.transaction(store, mode);
      var req = fn(t.objectStore(store));
      t.oncomplete = function () { ok(req ? req.result : undefined); };
      t.onerror = t.onabort = function () { fail(t.error); };
    });
  }
  var kv = {
    get: function (k) { return run("kv", "readonly", function (s) { return s.get(k); }); },
    put: function (k, v) { return run("kv", "readwrite", function (s) { return s.put(v, k); }); },
    del: function (k) { return run("kv", "readwrite", function (s) { return s.delete(k); }); }
  };
  var all = function (store) { return run(store, "readonly", function (s) { return s.getAll(); }); };
  var drop = function (store, id) { return run(store, "readwrite", function (s) { return s.delete(id); }); };
  var add = function (store, v) { return run(store, "readwrite", function (s) { return s.put(v); }); };

  // ---- Sealing. Where Web Crypto is missing (an insecure page) nothing is sealed.
  var subtle = window.crypto && window.crypto.subtle;
  async function key() {
    var k = await kv.get("key");
    if (k || !subtle) return k || null;
    k = await subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    await kv.put("key", k);
    return k;
  }
  async function seal(bytes) {
    var k = await key();
    if (!k) return { plain: bytes };
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return { iv: iv, ct: await subtle.encrypt({ name: "AES-GCM", iv: iv }, k, bytes) };
  }
  async function unseal(box) {
    if (box.plain) return box.plain;
    return subtle.decrypt({ name: "AES-GCM", iv: box.iv }, await key(), box.ct);
  }
  var sealJson = function (v) { return seal(new TextEncoder().encode(JSON.stringify(v))); };
  var unsealJson = async function (box) { return JSON.parse(new TextDecoder().decode(await unseal(box))); };

  // ---- Words on the page.
  function say(id, text, bad) {
    var el = $(id);
    el.textContent = text;
    el.hidden = !text;
    if (bad !== undefined) el.className = bad ? "alert error" : "alert ok";
  }
  function clock(ms) {
    var d = new Date(ms);
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + two(d.getHours()) + ":" + two(d.getMinutes());
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function now() { return Date.now() + st.offset; }

  // ---- The copy: read it, refresh it, forget it.
  async function loadCopy() {
    var meta = await kv.get("meta");
    if (!meta) return;
    if (meta.until < Date.now()) {
      // The session is over: what was kept for it goes with it (the queue stays, to be sent
      // after the worker signs in again).
      await kv.del("copy");
      return;
    }
    var box = await kv.get("copy");
    if (!box) return;
    var body = await unsealJson(box);
    st.pack = body.pack; st.csrf = body.csrf; st.offset = meta.offset; st.synced = meta.synced;
  }

  async function sync() {
    var r;
    try {
      r = await fetch(base + "/app/pack", { credentials: "same-origin", headers: { accept: "application/json" } });
    } catch (e) {
      showSync(false);
      return false;
    }
    var json = (r.headers.get("content-type") || "").indexOf("json") >= 0;
    if (r.redirected || (!json && r.ok) || r.status === 401 || r.status === 403) {
      await signedOut();
      return false;
    }
    if (!r.ok) { showSync(false); return false; }
    var body = await r.json();
    var meta = await kv.get("meta");
    if (meta && meta.account !== body.pack.account_id) {
      // Another account on this phone: the last one's queue is not sent under this one's name.
      await run("outbox", "readwrite", function (s) { return s.clear(); });
      await run("problems", "readwrite", function (s) { return s.clear(); });
    }
    st.pack = body.pack; st.csrf = body.csrf; st.offset = body.pack.now - Date.now(); st.synced = Date.now();
    await kv.put("copy", await sealJson(body));
    await kv.put("meta", { synced: st.synced, until: body.until, offset: st.offset, account: body.pack.account_id });
    render();
    showSync(true);
    return true;
  }

  async function signedOut() {
    await kv.del("copy");
    st.pack = null; st.csrf = "";
    render();
    var n = (await all("outbox")).length;
    var sync = $("sync");
    sync.textContent = "登录已失效，本机保存的内容已清除。" + (n ? "还有 " + n + " 项待发送，重新登录后自动发送。" : "");
    var a = el("a", "重新登录");
    a.href = base + "/login?next=" + encodeURIComponent("/app");
    sync.appendChild(a);
    sync.className = "alert error";
  }

  function showSync(online) {
    var s = $("sync");
    s.className = "muted";
    if (!st.synced) { s.textContent = online ? "" : "当前无信号，本机还没有保存的内容：请到有信号的地方打开一次"; return; }
    s.textContent = (online ? "已同步：" : "当前无信号，显示的是本机保存的内容，上次同步 ") + clock(st.synced);
  }

  // ---- The pages of the app.
  function light(due) {
    var left = due - now();
    if (left < 0) return ["已超时", "light red"];
    if (left < 24 * 3600e3) return ["即将到期", "light yellow"];
    return ["正常", "light green"];
  }

  async function render() {
    var p = st.pack;
    $("who").textContent = p ? p.name : "";
    var queued = await all("outbox");
    var waiting = {};
    queued.forEach(function (q) { if (q.case_id) waiting[q.case_id] = q.summary; });
    var list = $("case-list");
    list.textContent = "";
    var cases = p ? p.cases : [];
    $("n-todo").textContent = cases.length ? "(" + cases.length + ")" : "";
    if (p && !cases.length) list.appendChild(el("li", "没有等您处理的事件"));
    cases.forEach(function (c) {
      var li = el("li");
      li.id = "case-" + c.id;
      var l = light(c.due);
      var head = el("p");
      head.appendChild(el("span", l[0], l[1]));
      head.appendChild(document.createTextNode(" " + c.title));
      li.appendChild(head);
      li.appendChild(el("p", c.stage + " · 期限 " + clock(c.due) + (c.address ? " · " + c.address : ""), "muted"));
      if (waiting[c.id]) {
        li.appendChild(el("p", "已保存，待发送：" + waiting[c.id], "muted queued"));
      } else {
        var acts = el("div", "", "actions");
        c.actions.forEach(function (a) {
          var b = el("button", { start: "开始处置", handle: "办结", resolve: "就地处置" }[a]);
          b.type = "button";
          b.setAttribute("data-action", a);
          b.addEventListener("click", function () { act(c, a, li); });
          acts.appendChild(b);
        });
        var open = el("a", "查看详情");
        open.href = base + "/cases/" + c.id;
        acts.appendChild(open);
        li.appendChild(acts);
      }
      list.appendChild(li);
    });

    var vl = $("visit-list");
    vl.textContent = "";
    var visits = p ? p.visits : [];
    $("n-visit").textContent = visits.length ? "(" + visits.length + ")" : "";
    if (p && !visits.length) vl.appendChild(el("li", "今天没有到期的走访"));
    visits.forEach(function (v) {
      var li = el("li");
      li.appendChild(el("p", v.name + " · " + v.tag));
      li.appendChild(el("p", (v.due ? "应于 " + v.due + " 前走访" : "从未走访") + "（每 " + v.every_days + " 天）", "muted"));
      var b = el("button", "记录走访");
      b.type = "button";
      b.setAttribute("data-household", v.household_id);
      b.addEventListener("click", function () { openVisit(v); });
      li.appendChild(b);
      vl.appendChild(li);
    });

    var purposes = document.querySelector("#visit-form select[name=purpose]");
    if (p && purposes.options.length !== p.purposes.length + 1) {
      purposes.textContent = "";
      purposes.appendChild(new Option("请选择", ""));
      p.purposes.forEach(function (x) { purposes.appendChild(new Option(x[1], x[0])); });
    }
    var cats = document.querySelector("#report-form select[name=category]");
    if (p && cats.options.length !== p.categories.length + 1) {
      cats.textContent = "";
      cats.appendChild(new Option("请选择", ""));
      p.categories.forEach(function (x) { cats.appendChild(new Option(x[1], x[0])); });
    }

    var patrol = p && p.patrol;
    var today = p && p.patrols_today ? "今日已计 " + p.patrols_today[0] + "/" + p.patrols_today[1] + " 次巡查（一日双巡）" : "";
    $("patrol-state").textContent = patrol
      ? "巡查进行中，" + clock(patrol.started_at) + " 开始。" + today
      : (p ? "当前没有进行中的巡查。" + today : "");
    $("as-finding").hidden = !patrol;
    if (patrol) watch();
    drawMap();
    showQueue(queued);
  }

  function drawMap() {
    var box = $("grid-map");
    box.textContent = "";
    var g = st.pack && st.pack.grid;
    if (!g || !g.rings.length) return;
    var xs = [], ys = [];
    g.rings.forEach(function (r) { r.forEach(function (c) { xs.push(c[0]); ys.push(c[1]); }); });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    var w = 300, h = Math.max(120, Math.min(300, w * (y1 - y0) / Math.max(x1 - x0, 1e-9)));
    var sx = function (x) { return ((x - x0) / Math.max(x1 - x0, 1e-9) * (w - 20) + 10).toFixed(1); };
    var sy = function (y) { return ((y1 - y) / Math.max(y1 - y0, 1e-9) * (h - 20) + 10).toFixed(1); };
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", g.name + "的范围和待办事件位置");
    g.rings.forEach(function (r) {
      var path = document.createElementNS(ns, "path");
      path.setAttribute("d", r.map(function (c, i) { return (i ? "L" : "M") + sx(c[0]) + " " + sy(c[1]); }).join("") + "Z");
      svg.appendChild(path);
    });
    st.pack.cases.forEach(function (c) {
      if (!c.lon_lat) return;
      var dot = document.createElementNS(ns, "circle");
      dot.setAttribute("cx", sx(c.lon_lat[0]));
      dot.setAttribute("cy", sy(c.lon_lat[1]));
      dot.setAttribute("r", 5);
      svg.appendChild(dot);
    });
    box.appendChild(el("p", g.name, "muted"));
    box.appendChild(svg);
  }

  async function showQueue(queued) {
    queued = queued || await all("outbox");
    var box = $("outbox");
    box.textContent = "";
    box.hidden = !queued.length;
    if (queued.length) {
      box.className = "alert";
      box.appendChild(document.createTextNode("有 " + queued.length + " 项待发送（已保存在本机，恢复信号后自动发送）："
        + queued.map(function (q) { return q.summary; }).join("；") + " "));
      var b = el("button", "立即发送", "link");
      b.type = "button";
      b.addEventListener("click", function () { flush(); });
      box.appendChild(b);
    }
    var problems = await all("problems");
    $("problems").hidden = !problems.length;
    var pl = $("problem-list");
    pl.textContent = "";
    problems.forEach(function (x) {
      var li = el("li");
      li.appendChild(el("p", x.summary + "：" + x.message));
      if (x.case_id) {
        var a = el("a", "打开事件");
        a.href = base + "/cases/" + x.case_id;
        li.appendChild(a);
        li.appendChild(document.createTextNode(" "));
      }
      var ok = el("button", "知道了", "link");
      ok.type = "button";
      ok.addEventListener("click", async function () { await drop("problems", x.key); showQueue(); });
      li.appendChild(ok);
      pl.appendChild(li);
    });
  }

  // ---- The queue.
  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  async function enqueue(item, photos, summary) {
    var queued = await all("outbox");
    var bytes = queued.reduce(function (n, q) { return n + (q.bytes || 0); }, 0);
    var mine = photos.reduce(function (n, p) { return n + p.size; }, 0);
    if (queued.length >= MAX_ITEMS || bytes + mine > MAX_QUEUED_BYTES) {
      say("said", "本机待发送的内容已满，请到有信号的地方先发送，再继续记录", true);
      return false;
    }
    var sent = { key: newKey(), made_at: now(), lon: st.here ? st.here[0] : null, lat: st.here ? st.here[1] : null };
    var sealed = [];
    for (var i = 0; i < photos.length; i++) sealed.push(await seal(await photos[i].arrayBuffer()));
    await add("outbox", {
      box: await sealJson({ sent: sent, item: item }),
      photos: sealed,
      bytes: mine,
      summary: summary,
      case_id: item.kind === "step" ? item.case_id : null
    });
    say("said", "已保存：" + summary + (navigator.onLine ? "，正在发送" : "。当前无信号，恢复后自动发送"), false);
    await render();
    flush();
    return true;
  }

  async function flush() {
    if (st.sending) return;
    st.sending = true;
    var done = 0, refreshed = false;
    try {
      for (;;) {
        var items = await all("outbox");
        if (!items.length) break;
        if (!st.csrf && !(await sync())) break;
        var it = items[0];
        var body = await unsealJson(it.box);
        var fd = new FormData();
        fd.set("_csrf", st.csrf);
        fd.set("key", body.sent.key);
        fd.set("made_at", String(body.sent.made_at));
        if (body.sent.lon != null) { fd.set("lon", String(body.sent.lon)); fd.set("lat", String(body.sent.lat)); }
        fd.set("item", JSON.stringify(body.item));
        for (var i = 0; i < it.photos.length; i++) {
          fd.append("photos", new Blob([await unseal(it.photos[i])], { type: "image/jpeg" }), "photo" + i + ".jpg");
        }
        var r;
        try {
          r = await fetch(base + "/app/send", { method: "POST", body: fd, credentials: "same-origin" });
        } catch (e) {
          break; // still no signal
        }
        var json = (r.headers.get("content-type") || "").indexOf("json") >= 0;
        if (r.ok && json) {
          var a = await r.json();
          await drop("outbox", it.seq);
          say("said", a.said, false);
          done++;
          continue;
        }
        if (json && r.status >= 400 && r.status < 500 && r.status !== 429) {
          // Refused for good (the case moved on, the form was wrong): shown, never dropped silently.
          var e = await r.json();
          await add("problems", {
            key: body.sent.key,
            summary: it.summary,
            message: (e.error && e.error.message) || "未能提交",
            case_id: it.case_id
          });
          await drop("outbox", it.seq);
          done++;
          continue;
        }
        if (!json && (r.status === 403 || r.redirected) && !refreshed) {
          // The form token went stale: a fresh one, then the same item again.
          refreshed = true;
          if (await sync()) continue;
        }
        break; // the server is busy or down: later
      }
    } finally {
      st.sending = false;
    }
    if (done) await sync();
    await render();
  }

  // ---- Forms.
  async function shrink(file) {
    try {
      var img = await createImageBitmap(file);
      var scale = Math.min(1, PHOTO_SIDE / Math.max(img.width, img.height));
      var c = document.createElement("canvas");
      c.width = Math.round(img.width * scale);
      c.height = Math.round(img.height * scale);
      c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
      return await new Promise(function (ok) { c.toBlob(ok, "image/jpeg", 0.8); });
    } catch (e) {
      return file; // a format the browser cannot draw goes as it is; the server checks it
    }
  }
  async function photosOf(input) {
    var out = [];
    for (var i = 0; i < input.files.length; i++) out.push(await shrink(input.files[i]));
    return out;
  }

  function act(c, action, li) {
    if (action === "start") {
      enqueue({ kind: "step", case_id: c.id, version: c.version, action: "start", result: "" }, [], "「" + c.title + "」开始处置");
      return;
    }
    var old = li.querySelector(".step-form");
    if (old) { old.remove(); return; }
    var form = $("step-form").content.firstElementChild.cloneNode(true);
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var result = form.result.value.trim();
      if (!result) { form.result.focus(); return; }
      var photos = await photosOf(form.photos);
      var label = action === "handle" ? "办结" : "就地处置";
      await enqueue({ kind: "step", case_id: c.id, version: c.version, action: action, result: result }, photos, "「" + c.title + "」" + label);
    });
    li.appendChild(form);
    form.result.focus();
  }

  function openVisit(v) {
    var f = $("visit-form");
    f.hidden = false;
    f.household_id.value = v.household_id;
    $("visit-who").textContent = "走访 " + v.name + "（" + v.tag + "）";
    f.scrollIntoView();
  }
  $("visit-form").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var f = ev.target;
    if (!f.purpose.value) { say("said", "请选择走访事由", true); return; }
    if (!f.notes.value.trim() && !f.findings.value.trim()) { say("said", "请填写走访情况或发现的问题", true); return; }
    var ok = await enqueue({
      kind: "visit",
      household_id: Number(f.household_id.value),
      purpose: f.purpose.value,
      notes: f.notes.value,
      findings: f.findings.value
    }, [], "走访" + $("visit-who").textContent.replace(/^走访 /, ""));
    if (ok) { f.reset(); f.hidden = true; }
  });
  document.querySelector("#visit-form [data-close]").addEventListener("click", function () { $("visit-form").hidden = true; });

  $("report-form").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var f = ev.target;
    var text = f.description.value.trim();
    if (!f.category.value) { say("said", "请选择事项类别", true); return; }
    if (!text) { say("said", "请写明发生了什么", true); return; }
    var photos = await photosOf(f.photos);
    var patrol = st.pack && st.pack.patrol;
    var item;
    if (patrol && f.finding.checked) {
      item = { kind: "finding", patrol_id: patrol.id, text: text, category: f.category.value };
    } else {
      item = {
        kind: "report", category: f.category.value, title: text.slice(0, 30), description: text,
        address: f.address.value.trim() || null,
        node_code: st.here || !st.pack || !st.pack.grid ? null : st.pack.grid.code,
        lon: st.here ? st.here[0] : null, lat: st.here ? st.here[1] : null
      };
    }
    var ok = await enqueue(item, photos, (item.kind === "finding" ? "巡查发现：" : "上报：") + text.slice(0, 20));
    if (ok) f.reset();
  });

  // ---- Position, and a patrol's track while one is under way.
  function watch() {
    if (st.watching || !navigator.geolocation) return;
    st.watching = true;
    navigator.geolocation.watchPosition(function (p) {
      st.here = [+p.coords.longitude.toFixed(7), +p.coords.latitude.toFixed(7)];
      $("report-where").textContent = "位置：已定位（精度约 " + Math.round(p.coords.accuracy) + " 米）";
      if (st.pack && st.pack.patrol) {
        st.fixes.push({ t: p.timestamp + st.offset, lon: st.here[0], lat: st.here[1], acc: Math.round(p.coords.accuracy) });
      }
    }, function () {
      $("report-where").textContent = "位置：未能定位，将按网格或地址上报";
    }, { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 });
  }
  setInterval(function () {
    var patrol = st.pack && st.pack.patrol;
    if (!patrol || !st.fixes.length) return;
    var fixes = st.fixes.splice(0, st.fixes.length);
    enqueue({ kind: "fixes", patrol_id: patrol.id, fixes: fixes }, [], "巡查轨迹 " + fixes.length + " 个定位点");
  }, FIX_BATCH_MS);

  // ---- Tabs.
  function tab() {
    var name = (location.hash || "#todo").slice(1);
    if (!$("tab-" + name)) name = "todo";
    document.querySelectorAll(".tab").forEach(function (s) { s.hidden = s.id !== "tab-" + name; });
    document.querySelectorAll(".field-tabs a").forEach(function (a) {
      if (a.getAttribute("data-tab") === name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    if (name === "report") watch();
  }
  window.addEventListener("hashchange", tab);

  // ---- Logging out forgets everything kept here (the server also asks the browser to).
  $("logout").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var f = ev.target;
    var n = (await all("outbox")).length;
    if (n && !confirm("还有 " + n + " 项没有发送，退出后将被清除。确定退出吗？")) return;
    f._csrf.value = st.csrf;
    try {
      (await caches.keys()).forEach(function (k) { caches.delete(k); });
      var regs = navigator.serviceWorker ? await navigator.serviceWorker.getRegistrations() : [];
      regs.forEach(function (r) { r.unregister(); });
      (await idb()).close();
      indexedDB.deleteDatabase(DB);
    } catch (e) { /* the server's Clear-Site-Data finishes the job */ }
    f.submit();
  });

  window.addEventListener("online", function () { sync().then(flush); });
  window.addEventListener("offline", function () { showSync(false); });
  // Not every browser tells when the signal returns (navigator.onLine can stay wrong): try.
  setInterval(flush, 30000);

  (async function start() {
    tab();
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(base + "/sw.js", { scope: base + "/app" }).catch(function () {});
    }
    try {
      await loadCopy();
    } catch (e) {
      // A copy that no longer opens (its key is gone) is of no use: start afresh.
      await kv.del("copy");
    }
    await render();
    showSync(false);
    if (await sync()) await flush();
    document.documentElement.setAttribute("data-ready", "1");
  })();
})();
