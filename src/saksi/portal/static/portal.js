/* saksi portal: click-to-sort tables and live updates. Vanilla JS, no build step.
   The pages are complete without it. */
(function () {
  "use strict";
  var lang = document.documentElement.lang === "en" ? "en" : "id";

  /* ---- sortable tables: the server sends them sorted; this only re-orders rows */
  function cellKey(td) {
    var v = td.querySelector("[data-v]") || (td.hasAttribute("data-v") ? td : null);
    if (v) return { n: Number(v.getAttribute("data-v")) };
    return { s: td.textContent.trim().toLowerCase() };
  }
  function sortTable(table, col, th) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    rows.sort(function (a, b) {
      var x = cellKey(a.cells[col]), y = cellKey(b.cells[col]);
      if (x.n !== undefined && y.n !== undefined) return (x.n - y.n) * dir;
      if (x.n !== undefined) return -1;
      if (y.n !== undefined) return 1;
      return x.s.localeCompare(y.s, lang) * dir;
    });
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function enhanceTables(root) {
    root.querySelectorAll("table[data-sortable]").forEach(function (table) {
      var ths = table.tHead ? table.tHead.rows[0].cells : [];
      Array.prototype.forEach.call(ths, function (th, i) {
        if (th.querySelector("button")) return;
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = th.textContent;
        th.textContent = "";
        th.appendChild(b);
        b.addEventListener("click", function () { sortTable(table, i, th); });
      });
    });
  }

  /* ---- live updates: poll the page's JSON twin with If-None-Match; when it
     changes, fetch this page again and swap <main>. Back off on errors, pause
     while the tab is hidden. */
  var main = document.querySelector("main[data-live]");
  var status = null;
  function say(text) {
    status = document.querySelector("[data-live-status]");
    if (status) status.textContent = text;
  }
  function stamp() {
    var d = new Date();
    return (lang === "en" ? "Updated " : "Diperbarui ") +
      ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2) + ":" + ("0" + d.getSeconds()).slice(-2);
  }
  if (main && window.fetch) {
    var url = main.getAttribute("data-live");
    var etag = null, base = window.SAKSI_LIVE_MS || 12000, delay = base, timer = null, busy = false;
    var keepVerify = !!document.querySelector(".verify");
    function schedule(ms) { clearTimeout(timer); timer = setTimeout(tick, ms); }
    function tick() {
      if (document.visibilityState === "hidden" || busy) { schedule(delay); return; }
      busy = true;
      var headers = etag ? { "If-None-Match": etag } : {};
      fetch(url, { headers: headers, cache: "no-cache" }).then(function (r) {
        if (r.status === 304) return null;
        if (!r.ok) throw new Error("HTTP " + r.status);
        var tag = r.headers.get("ETag");
        var first = etag === null;
        etag = tag;
        if (first) return null;
        return refresh();
      }).then(function () {
        delay = base; busy = false; schedule(delay + Math.random() * base / 4);
      }).catch(function () {
        busy = false; delay = Math.min(delay * 2, 180000); schedule(delay);
      });
    }
    function refresh() {
      if (keepVerify) {  /* never wipe a verification in progress: offer a reload */
        say(lang === "en" ? "New data — reload the page" : "Ada data baru — muat ulang halaman");
        return null;
      }
      return fetch(location.href, { cache: "no-cache" }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("main");
        if (!fresh) return;
        main.innerHTML = fresh.innerHTML;
        enhanceTables(main);
        main.classList.remove("updated"); void main.offsetWidth; main.classList.add("updated");
        say(stamp());
      });
    }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") schedule(500);
    });
    schedule(Math.min(1500, base));
  }
  enhanceTables(document);
})();
