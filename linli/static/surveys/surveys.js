// Surveys: display conditions on every answer form, and the door-to-door form that keeps working without a
// network. Filled forms are queued in localStorage, each with a UUID made here, and sent in one batch when
// the network is back; the server stores each UUID once, so a resend after a lost reply is never counted twice.
(function () {
  "use strict";

  function fieldsets(form) { return Array.prototype.slice.call(form.querySelectorAll("fieldset.sv-q")); }

  function chosen(form, name) {
    var out = [];
    form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value) out.push(input.value);
    });
    return out;
  }

  // Show a question only if the question it depends on is shown and has the chosen value; a hidden
  // question's inputs are disabled, so what it held is never sent.
  function applyConditions(form) {
    var shown = {};
    fieldsets(form).forEach(function (fs) {
      var visible = true, parent = fs.getAttribute("data-if");
      if (parent) {
        visible = shown[parent] !== false && chosen(form, parent).indexOf(fs.getAttribute("data-if-value")) >= 0;
      }
      shown["q" + fs.getAttribute("data-q")] = visible;
      fs.hidden = !visible;
      fs.querySelectorAll("input, textarea, select").forEach(function (el) { el.disabled = !visible; });
    });
  }

  function restore(form) {
    var data = document.getElementById("sv-values");
    if (!data) return;
    var values = JSON.parse(data.textContent || "{}");
    Object.keys(values).forEach(function (name) {
      form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
        if (input.type === "radio" || input.type === "checkbox") input.checked = values[name].indexOf(input.value) >= 0;
        else input.value = values[name][0] || "";
      });
    });
  }

  function missing(form) {
    var first = null;
    fieldsets(form).forEach(function (fs) {
      if (first || fs.hidden || !fs.hasAttribute("data-required")) return;
      var inputs = fs.querySelectorAll("input, textarea");
      var names = {};
      inputs.forEach(function (el) { names[el.name] = true; });
      Object.keys(names).forEach(function (name) { if (!first && chosen(form, name).length === 0) first = fs; });
    });
    return first;
  }

  function uuid4() {
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function setupDoor(form) {
    var box = document.querySelector("[data-offline-queue]");
    if (!box) return;
    var key = "linli-survey-queue-" + box.getAttribute("data-survey");
    var sentKey = key + "-sent";
    var uploading = false;
    var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
    var errorBox = form.querySelector("[data-form-error]");
    var messages = box.querySelector("[data-upload-messages]");

    function load() { try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; } }
    function save(queue) { localStorage.setItem(key, JSON.stringify(queue)); show(); }
    function show() {
      box.querySelector("[data-queue-count]").textContent = String(load().length);
      box.querySelector("[data-sent-count]").textContent = localStorage.getItem(sentKey) || "0";
      box.querySelector("[data-net-state]").textContent = navigator.onLine ? "在线" : "离线（答卷保存在本机）";
    }
    function note(text) {
      var li = document.createElement("li");
      li.textContent = text;
      messages.appendChild(li);
    }

    function upload() {
      var queue = load();
      if (uploading || queue.length === 0 || !navigator.onLine) { show(); return; }
      uploading = true;
      var batch = queue.slice(0, 100);
      fetch(box.getAttribute("data-upload"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ items: batch })
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (!result.ok) { note(result.body.detail || "上传失败，稍后重试。"); return; }
        var done = {}, saved = 0;
        result.body.results.forEach(function (r) {
          done[r.uuid] = true;
          if (r.status === "saved") saved += 1;
          if (r.status === "refused") note("有一份答卷未被接收：" + r.message);
        });
        localStorage.setItem(sentKey, String(Number(localStorage.getItem(sentKey) || "0") + saved));
        save(load().filter(function (item) { return !done[item.uuid]; }));
      }).catch(function () {
        // No network, or the reply was lost: everything stays queued; the UUIDs make a resend safe.
      }).then(function () {
        uploading = false;
        show();
        if (load().length && navigator.onLine && batch.length === 100) upload();
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errorBox.hidden = true;
      var target = form.querySelector("[name=token], [name=grid]");
      var gap = missing(form);
      if (target && !target.value) { gap = target; }
      if (gap) {
        errorBox.textContent = gap === target ? "请选择被访对象。" : "第 " + gap.getAttribute("data-n") + " 题为必答题，请作答。";
        errorBox.hidden = false;
        gap.scrollIntoView();
        return;
      }
      var fields = {};
      new FormData(form).forEach(function (value, name) {
        if (name === "csrfmiddlewaretoken" || name === "token" || name === "grid") return;
        (fields[name] = fields[name] || []).push(String(value));
      });
      var item = { uuid: uuid4(), submitted_at: new Date().toISOString(), fields: fields };
      if (target) item[target.name] = target.value;
      var queue = load();
      queue.push(item);
      save(queue);
      if (target && target.name === "token") {
        var option = target.querySelector("option[value='" + target.value + "']");
        if (option) option.remove();
      }
      form.reset();
      applyConditions(form);
      note("已保存第 " + queue.length + " 份待上传答卷。");
      window.scrollTo(0, 0);
      upload();
    });
    box.querySelector("[data-upload-now]").addEventListener("click", upload);
    window.addEventListener("online", upload);
    window.addEventListener("offline", show);
    show();
    upload();
  }

  document.querySelectorAll("[data-survey-form]").forEach(function (form) {
    restore(form);
    applyConditions(form);
    form.addEventListener("change", function () { applyConditions(form); });
    if (form.hasAttribute("data-door-form")) setupDoor(form);
  });
})();
