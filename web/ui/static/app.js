// Active Defense pages: small progressive enhancements. Everything works
// without this file except charts and auto-refresh. No inline scripts: the
// pages send a strict Content-Security-Policy.
(function () {
  "use strict";

  // Forms and buttons with data-confirm ask first.
  document.addEventListener("submit", function (e) {
    var b = e.submitter, msg = (b && b.dataset.confirm) || e.target.dataset.confirm;
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  });

  // The search's custom time range fields show only for "custom".
  document.querySelectorAll("select[data-toggle='custom-range']").forEach(function (sel) {
    var form = sel.closest("form");
    var sync = function () { form.classList.toggle("custom", sel.value === "custom"); };
    sel.addEventListener("change", sync);
    sync();
  });

  // Hunting console examples fill the editor.
  document.querySelectorAll("[data-example]").forEach(function (b) {
    b.addEventListener("click", function () {
      var ta = document.getElementById("sql");
      if (ta) { ta.value = b.dataset.example; ta.focus(); }
    });
  });

  // get fetches a URL of this site; null when the session ended.
  function get(url, type) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": type } }).then(function (r) {
      if (r.redirected || !r.ok) { return null; }
      return type === "application/json" ? r.json() : r.text();
    }).catch(function () { return null; });
  }

  // Regions with data-refresh are replaced by a fresh server rendering
  // every data-every seconds while the page is visible (polling, no
  // streaming, so pages reach network idle).
  document.querySelectorAll("[data-refresh]").forEach(function (el) {
    var every = Math.max(5, parseInt(el.dataset.every || "30", 10)) * 1000;
    var timer = setInterval(function () {
      if (document.hidden || el.contains(document.activeElement)) { return; }
      get(el.dataset.refresh, "text/html").then(function (html) {
        if (html === null) { clearInterval(timer); return; }
        el.innerHTML = html;
      });
    }, every);
  });

  // Settings: the plain-language sentences follow the values as they are
  // typed (the server writes them, so the wording exists once).
  var sf = document.getElementById("settings-form");
  if (sf && sf.dataset.describe) {
    var pending;
    sf.addEventListener("input", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        var q = new URLSearchParams();
        sf.querySelectorAll("input[name*='.'], select[name*='.']").forEach(function (f) {
          if (f.type !== "password" && !f.disabled) { q.append(f.name, f.value); }
        });
        get(sf.dataset.describe + "?" + q.toString(), "application/json").then(function (d) {
          if (!d) { return; }
          Object.keys(d.sentences).forEach(function (k) {
            var p = sf.querySelector(".sentence[data-case='" + k + "']");
            if (p) { p.textContent = d.sentences[k]; }
          });
          sf.querySelectorAll(".field-error.live").forEach(function (n) { n.remove(); });
          Object.keys(d.errors || {}).forEach(function (k) {
            var f = sf.querySelector("[name='" + k + "']");
            if (!f) { return; }
            var s = document.createElement("span");
            s.className = "field-error live";
            s.textContent = d.errors[k];
            f.closest("label").appendChild(s);
          });
        });
      }, 300);
    });
  }

  // Dashboard charts (uPlot), refreshed with the page's polling period.
  var box = document.querySelector("[data-charts]");
  if (box && window.uPlot) {
    var colors = ["#1d7a3a", "#b3261e", "#e08a00", "#1f5fbf", "#7b3fb3", "#0f8a8a", "#8a5a0f", "#555"];
    var plots = {};
    var utc = function (ts) { return window.uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); };
    var draw = function (data) {
      Object.keys(data).forEach(function (name) {
        var el = box.querySelector("[data-chart='" + name + "']");
        if (!el) { return; }
        var c = data[name], cols = [c.t].concat((c.series || []).map(function (s) { return s.values; }));
        var key = (c.series || []).map(function (s) { return s.label; }).join("|");
        var p = plots[name];
        if (p && p.key === key) { p.plot.setData(cols); return; }
        if (p) { p.plot.destroy(); }
        el.textContent = "";
        if (!c.series || c.series.length === 0) {
          el.textContent = "No data in this window.";
          plots[name] = null;
          return;
        }
        var series = [{}].concat(c.series.map(function (s, i) {
          return { label: s.label, stroke: colors[i % colors.length], width: 1.5 };
        }));
        var opts = { width: el.clientWidth || 600, height: 240, tzDate: utc, series: series,
          axes: [{}, { size: 70 }], scales: { x: { time: true } } };
        plots[name] = { key: key, plot: new window.uPlot(opts, cols, el) };
      });
    };
    var load = function () {
      if (document.hidden) { return; }
      get(box.dataset.charts, "application/json").then(function (d) { if (d) { draw(d); } });
    };
    load();
    setInterval(load, Math.max(5, parseInt(box.dataset.every || "30", 10)) * 1000);
    window.addEventListener("resize", function () {
      Object.keys(plots).forEach(function (n) {
        var p = plots[n], el = box.querySelector("[data-chart='" + n + "']");
        if (p && el) { p.plot.setSize({ width: el.clientWidth, height: 240 }); }
      });
    });
  }
})();
