// Small progressive enhancements. No inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("submit", function (ev) {
      if (!window.confirm(el.dataset.confirm)) ev.preventDefault();
    });
  });
});

// People pickers ([data-picker]): type to get suggestions (HTMX), Down/Up move through them, Enter in the
// box picks the first one (never submits an empty pick), Escape closes the list and returns to the box.
(function () {
  "use strict";
  function options(picker) { return Array.prototype.slice.call(picker.querySelectorAll("[data-option]")); }
  function expanded(picker) {
    var input = picker.querySelector("[data-picker-input]");
    if (input) input.setAttribute("aria-expanded", options(picker).length ? "true" : "false");
  }
  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    if (!el || !el.closest) return;
    var picker = el.closest("[data-picker]");
    if (!picker) return;
    var input = picker.querySelector("[data-picker-input]");
    var opts = options(picker);
    var i = opts.indexOf(el);
    if (ev.key === "ArrowDown" && opts.length) {
      ev.preventDefault();
      (opts[i + 1] || opts[0]).focus();
    } else if (ev.key === "ArrowUp" && (i >= 0)) {
      ev.preventDefault();
      if (i === 0) input.focus(); else opts[i - 1].focus();
    } else if (ev.key === "Escape") {
      var list = picker.querySelector(".suggestions");
      if (list) list.innerHTML = "";
      expanded(picker);
      if (input) input.focus();
    } else if (ev.key === "Enter" && el === input) {
      ev.preventDefault();
      if (opts.length) opts[0].click();
    }
  });
  document.addEventListener("htmx:afterSwap", function (ev) {
    var target = ev.detail && ev.detail.target;
    var picker = target && target.closest && target.closest("[data-picker]");
    if (picker) expanded(picker);
  });
})();

// The live header (templates/incidents/incident/_header.html) skips a refresh while someone is typing in
// it or in the facts grid below (a people picker, the status time): the next poll catches up.
document.addEventListener("htmx:beforeRequest", function (ev) {
  var elt = ev.detail && ev.detail.elt;
  if (!elt || elt.id !== "incident-head") return;
  var active = document.activeElement;
  if (active && active.matches && active.matches("input, textarea, select") &&
      active.closest("#incident-head, #incident-facts")) ev.preventDefault();
});

// The incident page follows its live header: the tab's title after a change of title, and when its polls
// answer 404 (the incident was made restricted to others, or deleted: not found and not allowed look the
// same) a notice, and every poll of the page stops instead of asking again every few seconds.
(function () {
  "use strict";
  var POLLS = ["incident-head", "timeline-live"];
  document.addEventListener("htmx:afterSettle", function () {
    var head = document.getElementById("incident-head");
    if (head && head.dataset.title && document.title !== head.dataset.title) document.title = head.dataset.title;
  });
  function stopPolls() {
    POLLS.forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) return;
      // A copy htmx never processed: the poll ends with the original (htmx polls only what is in the page).
      var still = el.cloneNode(true);
      ["hx-get", "hx-trigger", "hx-swap-oob"].forEach(function (name) { still.removeAttribute(name); });
      el.replaceWith(still);
    });
  }
  function showGone(listUrl) {
    if (document.getElementById("incident-gone")) return;
    var main = document.querySelector("main");
    if (!main) return;
    var notice = document.createElement("div");
    notice.id = "incident-gone";
    notice.className = "card gone-notice";
    notice.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = "This incident is no longer visible to you: it was made restricted, or deleted. " +
      "This page has stopped updating.";
    var link = document.createElement("a");
    link.href = listUrl || "/";
    link.textContent = "Back to the incidents you may see";
    notice.appendChild(text);
    notice.appendChild(link);
    main.prepend(notice);
  }
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var d = ev.detail || {};
    var asker = (d.requestConfig && d.requestConfig.elt) || d.elt;  // `elt` is the swap's target
    if (!d.xhr || d.xhr.status !== 404 || !asker || POLLS.indexOf(asker.id) < 0) return;
    d.shouldSwap = false;
    d.isError = false;
    var head = document.getElementById("incident-head");
    var listUrl = head && head.dataset.listUrl;
    stopPolls();
    showGone(listUrl);
    document.title = "No longer visible · Hindsight";
  });
})();

// A form that htmx posts and the server refuses answers 400 (or 422) with the form again, as typed, and
// beside it what is wrong or what to confirm (a past due date): swap it in like a success, so the warning
// shows in place and nothing typed is lost. htmx 2 swaps no 4xx by default (it only logs "Response Status
// Error Code 400"). A full page (an error page) or a plain-text answer is not a form: left as an error.
document.addEventListener("htmx:beforeSwap", function (ev) {
  var d = ev.detail || {};
  var xhr = d.xhr;
  if (!xhr || (xhr.status !== 400 && xhr.status !== 422)) return;
  var type = xhr.getResponseHeader("Content-Type") || "";
  var body = xhr.responseText || "";
  if (type.indexOf("text/html") !== 0 || /<html[\s>]/i.test(body) || !/<form[\s>]/i.test(body)) return;
  d.shouldSwap = true;
  d.isError = false;
});

// A success banner ("Meeting saved.") is about the last full page load: it goes once something else is
// done on the page in place (an HTMX post, not a live poll) or after 10 seconds. Errors stay.
(function () {
  "use strict";
  function clearSuccess() {
    document.querySelectorAll(".messages li.success").forEach(function (li) {
      var list = li.parentNode;
      li.remove();
      if (list && !list.children.length) list.remove();
    });
  }
  document.addEventListener("DOMContentLoaded", function () { window.setTimeout(clearSuccess, 10000); });
  document.addEventListener("htmx:afterSwap", function (ev) {
    var config = ev.detail && ev.detail.requestConfig;
    if (config && String(config.verb).toLowerCase() === "post") clearSuccess();
  });
})();

// On a narrow screen the main navigation is a menu: the Menu button opens and closes it (Escape closes).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector("[data-nav-toggle]");
  var header = document.querySelector("header.top");
  if (!button || !header) return;
  function set(open) {
    header.classList.toggle("nav-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  button.addEventListener("click", function () { set(!header.classList.contains("nav-open")); });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && header.classList.contains("nav-open")) { set(false); button.focus(); }
  });
});

// On a phone a table of four or more columns becomes stacked cards (`table.stack` in hindsight.css): every
// cell but the first is labelled with its column's heading; a cell across the whole row (an empty list's
// "Nothing yet") stays whole. Insights' figure tables keep their columns and scroll inside their card.
(function () {
  "use strict";
  function stack() {
    document.querySelectorAll("table").forEach(function (table) {
      if (table.closest(".figure-table, .no-stack")) return;
      var heads = table.querySelectorAll("thead tr:last-child th");
      if (heads.length < 4) return;
      var names = Array.prototype.map.call(heads, function (th) {
        return th.textContent.replace(/\s+/g, " ").trim();
      });
      table.classList.add("stack");
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        var column = 0;
        Array.prototype.forEach.call(tr.children, function (cell) {
          var span = cell.colSpan || 1;
          if (span >= names.length) cell.classList.add("whole");
          else if (column > 0 && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[column] || "");
          column += span;
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", stack);
  document.addEventListener("htmx:afterSettle", stack);
})();
