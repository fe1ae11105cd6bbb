// The web chat: the bot's conversation over /chat/messages. Replies are shown as text, never as HTML.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("ask");
  var input = document.getElementById("text");
  var send = document.getElementById("send");

  function add(text, who) {
    var div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function ask(text) {
    text = (text || "").trim();
    if (!text) { return; }
    add(text, "me");
    var waiting = add("正在查询…", "bot wait");
    send.disabled = true;
    fetch("/chat/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ text: text })
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      waiting.className = "msg bot";
      waiting.textContent = res.ok ? res.body.reply : ("出错了：" + ((res.body.error || {}).message || "请稍后再试"));
    }).catch(function () {
      waiting.className = "msg bot";
      waiting.textContent = "网络异常，请稍后再试。";
    }).then(function () {
      send.disabled = false;
      log.scrollTop = log.scrollHeight;
      input.focus();
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    ask(text);
  });
  Array.prototype.forEach.call(document.querySelectorAll(".quick button"), function (b) {
    b.addEventListener("click", function () { ask(b.getAttribute("data-text")); });
  });
  input.focus();
})();
