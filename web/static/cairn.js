// cairn: progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Elements that only make sense with script (copy buttons, expand all) are hidden until now.
  document.querySelectorAll("[data-js]").forEach(function (el) { el.hidden = false; });

  // Copy buttons: data-copy names the input or element whose text is copied.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy]");
    if (!btn) return;
    var src = document.querySelector(btn.getAttribute("data-copy"));
    if (!src) return;
    var text = "value" in src ? src.value : src.textContent;
    if (src.matches("table.code")) {
      text = Array.prototype.map.call(src.querySelectorAll("td.line"), function (td) { return td.textContent; }).join("\n") + "\n";
    }
    var done = function () {
      var old = btn.textContent;
      btn.textContent = "Copied";
      setTimeout(function () { btn.textContent = old; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else if ("select" in src) {
      src.select();
      document.execCommand("copy");
      done();
    }
  });

  // Line ranges in file views: #L10-L20 marks lines 10 to 20; shift-click extends.
  function markLines() {
    var m = /^#L(\d+)(?:-L?(\d+))?$/.exec(location.hash);
    document.querySelectorAll("tr.hl").forEach(function (tr) { tr.classList.remove("hl"); });
    if (!m) return;
    var a = +m[1], b = m[2] ? +m[2] : a;
    if (b < a) { var t = a; a = b; b = t; }
    for (var i = a; i <= b && i - a < 10000; i++) {
      var row = document.getElementById("L" + i);
      if (row) row.classList.add("hl");
    }
    var first = document.getElementById("L" + a);
    if (first && m[2]) first.scrollIntoView({ block: "center" });
  }
  var anchor = null;
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest(".code .num a");
    if (!link) return;
    var n = +link.getAttribute("href").slice(2);
    if (ev.shiftKey && anchor) {
      ev.preventDefault();
      history.replaceState(null, "", "#L" + Math.min(anchor, n) + "-L" + Math.max(anchor, n));
      markLines();
      return;
    }
    anchor = n;
  });
  window.addEventListener("hashchange", markLines);
  markLines();

  // Diffs: expand or collapse every file at once.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-diffs]");
    if (!btn) return;
    var open = btn.getAttribute("data-diffs") === "open";
    document.querySelectorAll("details.diff-file").forEach(function (d) { d.open = open; });
  });

  // Token presets check the scopes they stand for.
  var presetScopes = { "Administrator": ["admin"], "Read Only": ["read_api"], "tracks_write": ["tracks_write"] };
  document.addEventListener("change", function (ev) {
    var r = ev.target;
    if (r.name === "scopes") {
      var custom = document.querySelector("input[name=preset][value='']");
      if (custom) custom.checked = true;
      return;
    }
    if (r.name !== "preset") return;
    var want = presetScopes[r.value] || [];
    document.querySelectorAll("input[name=scopes]").forEach(function (c) {
      c.checked = want.indexOf(c.value) >= 0;
    });
  });
})();
