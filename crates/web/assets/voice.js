// 语音留言: where the browser can record (MediaRecorder), a button records a voice note in the
// page and puts it into the form's voice field, so the form sends it like a chosen file.
// Without it the file field still takes a recording made with the phone's own recorder.
(function () {
  'use strict';
  var box = document.getElementById('recorder');
  var input = document.getElementById('voice');
  if (!box || !input || !window.MediaRecorder || !window.DataTransfer ||
      !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var button = document.getElementById('record');
  var said = document.getElementById('record-state');
  var play = document.getElementById('record-play');
  var LIMIT_S = 120;
  var recorder = null;
  var started = 0;
  var timer = 0;
  box.hidden = false;

  function seconds() {
    return Math.round((Date.now() - started) / 1000);
  }

  // The first container this browser records in that the server takes.
  function chosenType() {
    var types = ['audio/webm;codecs=opus', 'audio/webm', 'audio/mp4', 'audio/ogg;codecs=opus'];
    for (var i = 0; i < types.length; i++) {
      if (MediaRecorder.isTypeSupported(types[i])) {
        return types[i];
      }
    }
    return '';
  }

  function extension(mime) {
    if (mime.indexOf('mp4') >= 0) { return 'm4a'; }
    if (mime.indexOf('ogg') >= 0) { return 'ogg'; }
    return 'webm';
  }

  function stop() {
    if (recorder && recorder.state !== 'inactive') {
      recorder.stop();
    }
  }

  function record(stream) {
    var type = chosenType();
    var chunks = [];
    recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
    recorder.ondataavailable = function (e) {
      if (e.data && e.data.size) { chunks.push(e.data); }
    };
    recorder.onstop = function () {
      clearInterval(timer);
      stream.getTracks().forEach(function (t) { t.stop(); });
      var mime = (recorder.mimeType || type || 'audio/webm').split(';')[0];
      var file = new File(chunks, '语音留言.' + extension(mime), { type: mime });
      var list = new DataTransfer();
      list.items.add(file);
      input.files = list.files;
      play.src = URL.createObjectURL(file);
      play.hidden = false;
      button.textContent = '重新录音';
      said.textContent = '已录好 ' + seconds() + ' 秒，点“提交”时一起发送；可先点播放听一听。';
    };
    recorder.start(1000);
    started = Date.now();
    button.textContent = '说完了，停止录音';
    said.textContent = '正在录音… 0 秒（最长 ' + LIMIT_S + ' 秒）';
    timer = setInterval(function () {
      var s = seconds();
      said.textContent = '正在录音… ' + s + ' 秒（最长 ' + LIMIT_S + ' 秒）';
      if (s >= LIMIT_S) { stop(); }
    }, 500);
  }

  button.addEventListener('click', function () {
    if (recorder && recorder.state === 'recording') {
      stop();
      return;
    }
    navigator.mediaDevices.getUserMedia({ audio: true }).then(record, function () {
      said.textContent = '无法使用话筒：请在浏览器设置里允许本页使用话筒，或选择手机里的录音文件。';
    });
  });
})();
