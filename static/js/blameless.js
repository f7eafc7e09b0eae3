// Blameless hints: a quiet note under the fields where people write, never blocking the form.
// Every textarea and every "title" input of a POST form is checked as the writer pauses, unless the
// field or its form has data-no-blameless (the postmortem editor has its own preview).
document.addEventListener("DOMContentLoaded", function () {
  var url = document.body.dataset.blamelessHintUrl;
  if (!url) return;
  var token = "";
  try { token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) {}

  function wire(field) {
    if (field.dataset.blamelessWired || field.closest("[data-no-blameless]")) return;
    field.dataset.blamelessWired = "1";
    var hint = document.createElement("div");
    hint.className = "blameless-hint";
    hint.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", hint);
    var timer = null, seq = 0;
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(url, {
          method: "POST",
          body: new URLSearchParams({ text: field.value }),
          headers: { "X-CSRFToken": token },
          credentials: "same-origin",
        }).then(function (r) { return r.ok ? r.text() : ""; })
          .then(function (html) { if (mine === seq) hint.innerHTML = html; })
          .catch(function () {});
      }, 500);
    });
  }

  function scan(root) {
    root.querySelectorAll('form[method="post"] textarea, form[method="post"] input[name="title"]').forEach(wire);
  }
  scan(document);
  document.body.addEventListener("htmx:afterSettle", function (ev) { scan(ev.target); });
});
