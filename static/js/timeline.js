// Live timeline: Enter adds, entries are placed by (occurred_at, id), live changes merge by id, and day
// headings follow the viewer's local dates. Loaded from base.html: the Content-Security-Policy forbids
// inline scripts.
(function () {
  "use strict";

  function isEntry(li) { return li && li.dataset && li.dataset.id; }
  function key(li) { return [Number(li.dataset.at || 0), Number(li.dataset.id || 0)]; }
  function before(a, b) { return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]); }

  // Put one day heading before the first entry of each local day, and nowhere else.
  function fixDays(list) {
    Array.prototype.slice.call(list.querySelectorAll(":scope > li.day")).forEach(function (d) { d.remove(); });
    var day = null;
    Array.prototype.slice.call(list.children).forEach(function (li) {
      if (!isEntry(li) || !li.dataset.day) return;
      if (li.dataset.day !== day) {
        day = li.dataset.day;
        var h = document.createElement("li");
        h.className = "day";
        h.dataset.day = day;
        var h3 = document.createElement("h3");
        h3.textContent = li.dataset.dayLabel || day;
        h.appendChild(h3);
        li.before(h);
      }
    });
  }

  // Insert `li` at its (occurred_at, id) place, replacing an older copy with the same id.
  function place(list, li) {
    var existing = null;
    for (var i = 0; i < list.children.length; i++) {
      if (list.children[i].id === li.id) { existing = list.children[i]; break; }
    }
    if (li.hasAttribute("data-gone")) {
      if (existing) existing.remove();
      return;
    }
    if (existing && existing.classList.contains("editing")) return; // never clobber an open edit form
    if (existing) existing.remove();
    var empty = document.getElementById("timeline-empty");
    if (empty) empty.remove();
    var k = key(li);
    var node = list.lastElementChild;
    while (node && (!isEntry(node) ? node.classList.contains("day") : before(k, key(node)))) {
      node = node.previousElementSibling;
    }
    if (node && node.classList.contains("load-older")) return; // belongs to the part not loaded yet
    if (node) node.after(li); else list.prepend(li);
    li.classList.add("arrived");
    window.setTimeout(function () { li.classList.remove("arrived"); }, 2000);
  }

  function drain() {
    var incoming = document.getElementById("timeline-incoming");
    var list = document.getElementById("timeline-list");
    if (!list) return;
    if (incoming && incoming.children.length) {
      Array.prototype.slice.call(incoming.querySelectorAll("li")).forEach(function (li) { place(list, li); });
      incoming.innerHTML = "";
    }
    fixDays(list);
  }

  function focusQuickAdd() {
    var box = document.getElementById("qa-body");
    if (box) box.focus();
  }

  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    if (!el || !el.matches || !el.matches("textarea[data-enter-submits]")) return;
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      if (el.value.trim() === "") return;
      if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
    }
  });

  // Form errors come back as 422 with the form re-rendered: hindsight.js swaps them in (every HTMX form).

  document.addEventListener("htmx:afterSwap", function (ev) {
    drain();
    var target = ev.detail && ev.detail.target;
    if (target && target.id === "quick-add") focusQuickAdd();
  });
  document.addEventListener("htmx:oobAfterSwap", drain);
  document.addEventListener("htmx:afterSettle", function (ev) {
    drain();
    var elt = ev.detail && ev.detail.elt;
    if (elt && elt.id === "quick-add") focusQuickAdd();
  });
})();
