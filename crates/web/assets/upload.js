// Forms that send photos or files: the form is sent as it would be, through XMLHttpRequest, so
// that a large upload shows how far it has got (on a weak phone signal a few photos take many
// seconds) and so that nothing chosen is lost when the server asks for a fix: its message is
// shown above the form, which stays as it was — photos included, since a page can never fill
// a file field again — with the fresh form token of the answer. Otherwise the browser goes
// where the server sent it. Without script the form posts as usual (the server keeps every
// typed field).
(function () {
  if (!window.FormData || !window.XMLHttpRequest) return;
  var SMALL = 256 * 1024;
  function size(form) {
    var total = 0;
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      for (var i = 0; i < input.files.length; i++) total += input.files[i].size;
    });
    return total;
  }
  function mb(n) {
    return (n / 1048576).toFixed(1);
  }
  // Shows what went wrong above the form, which is left as it is.
  function tell(form, text) {
    var shown = document.getElementById("form-fix") || document.createElement("p");
    shown.id = "form-fix";
    shown.className = "alert error";
    shown.setAttribute("role", "alert");
    shown.textContent = text;
    form.parentNode.insertBefore(shown, form);
    shown.scrollIntoView({ block: "center" });
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[enctype='multipart/form-data']")) return;
    var total = size(form);
    if (total === 0) return;
    e.preventDefault();
    var button = form.querySelector("button[type=submit], button:not([type])");
    var box = form.querySelector(".upload-progress");
    if (!box && total >= SMALL) {
      box = document.createElement("p");
      box.className = "upload-progress";
      box.setAttribute("role", "status");
      box.innerHTML = '<progress max="1" value="0"></progress> <span></span>';
      (button ? button.parentNode : form).insertBefore(box, button ? button.nextSibling : null);
    }
    var bar = box ? box.querySelector("progress") : document.createElement("progress");
    var said = box ? box.querySelector("span") : document.createElement("span");
    said.textContent = "正在上传……";
    if (box && box.scrollIntoView) box.scrollIntoView({ block: "nearest" });
    if (button) button.disabled = true;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.onprogress = function (p) {
      if (!p.lengthComputable) return;
      bar.value = p.loaded / p.total;
      said.textContent = "正在上传 " + Math.round((100 * p.loaded) / p.total) + "%（" +
        mb(p.loaded) + " / " + mb(p.total) + " MB），请不要离开本页";
    };
    xhr.upload.onload = function () {
      said.textContent = "上传完成，正在保存……";
    };
    xhr.onload = function () {
      var sentTo = form.action.split("#")[0];
      if (xhr.responseURL && xhr.responseURL !== sentTo) {
        window.location.replace(xhr.responseURL);
        return;
      }
      var answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var fix = answer.querySelector(".alert.error");
      if (xhr.status >= 400 && xhr.status < 500 && fix) {
        // Asked to fix something: say what, and keep the form as it is.
        var token = answer.querySelector("input[name=_csrf]");
        var mine = form.querySelector("input[name=_csrf]");
        if (token && mine) mine.value = token.value;
        if (box) box.remove();
        if (button) button.disabled = false;
        tell(form, fix.textContent);
        return;
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    };
    xhr.onerror = function () {
      if (box) box.remove();
      if (button) button.disabled = false;
      tell(form, "网络中断，没有上传完。填写的内容和照片都还在，信号好时请再点一次提交。");
    };
    xhr.send(new FormData(form));
  });
})();
