// Forms that send photos or files show how far the upload has got: on a weak phone signal a
// few photos take many seconds. The form is sent as it would be, through XMLHttpRequest for
// its progress events; then the browser goes where the server sent it (or shows the page it
// answered with, such as the form again with what to fix). Without script the form posts as
// usual, and small uploads are left to the browser.
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
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[enctype='multipart/form-data']")) return;
    if (size(form) < SMALL) return;
    e.preventDefault();
    var button = form.querySelector("button[type=submit], button:not([type])");
    var box = form.querySelector(".upload-progress");
    if (!box) {
      box = document.createElement("p");
      box.className = "upload-progress";
      box.setAttribute("role", "status");
      box.innerHTML = '<progress max="1" value="0"></progress> <span></span>';
      (button ? button.parentNode : form).insertBefore(box, button ? button.nextSibling : null);
    }
    var bar = box.querySelector("progress");
    var said = box.querySelector("span");
    said.textContent = "正在上传……";
    if (box.scrollIntoView) box.scrollIntoView({ block: "nearest" });
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
      document.open();
      document.write(xhr.responseText);
      document.close();
    };
    xhr.onerror = function () {
      said.textContent = "网络中断，没有上传完。填写的内容还在，信号好时请再点一次提交。";
      if (button) button.disabled = false;
    };
    xhr.send(new FormData(form));
  });
})();
