// Before the first paint: what only this browser knows and the page's first paint must
// respect, and when the page's later modules run. The server puts this file into the
// pages that show their HTML at once (`<script src="/static/js/boot.js" data-inline>`,
// pages.py: inlined, with its hash in the Content-Security-Policy), so it costs no
// request. A classic script, kept small. Its comment lines are not sent.
//
// - Streamer mode (streamer.js) is on: `html.streamer` before anything shows, so a
//   room code or a room name holding it never appears, not even for a frame.
// - The language this browser picked (i18n.js) is not the one the server wrote the
//   page in (no cookie yet): the page stays hidden (`is-loading`) until its script has
//   put its text in that language, as every page did before it came translated.
// - A room page (`<html data-room>`) for which this browser holds a seat: `has-seat`,
//   so the page says it is joining instead of asking for a name; else the name it was
//   given last time is in the name prompt at once.
// - The page's later modules: `<script type="module" data-later>`, which the server
//   turns into `<meta name="drawgame-later">` naming them and every module they need,
//   each after what it imports. They start loading once the page has painted, all at
//   once (what the first paint needs is in the HTML and its stylesheet, and nothing
//   competes with them for the network), and run one module at a time, each in a task
//   of its own, so that the page answers a tap or a key between any two.
//   `data-later="interaction"` (for a script a page that asks for a name needs none of):
//   they load and run when the player first touches the page (a key, a tap, a click),
//   and at once on a page that has nothing to ask. A form of the server's sent before
//   the page's script runs is sent again by it (`data-pending` on the form). A `<link rel="preload" data-href data-later>` (the data the
//   page's script reads first) is fetched as they start loading.
(function () {
  var root = document.documentElement;
  var LINKS_A_TASK = 4;
  function read(key) {
    try {
      return localStorage.getItem("drawgame." + key);
    } catch (e) {
      return null;
    }
  }
  if (read("streamer") === "1") root.classList.add("streamer");
  var picked = read("lang");
  if (picked && picked !== root.lang) root.classList.add("is-loading");
  var room = root.getAttribute("data-room");
  if (room && read("seat." + room)) root.classList.add("has-seat");
  var asking = Boolean(room) && !root.classList.contains("has-seat") && !root.classList.contains("is-loading");

  function words(text) {
    return (text || "").split(" ").filter(Boolean);
  }
  // A few links a task: starting a request takes the main thread a moment.
  function links(rel, hrefs, then) {
    var at = 0;
    var some = function () {
      hrefs.slice(at, at + LINKS_A_TASK).forEach(function (href) {
        var link = document.createElement("link");
        link.rel = rel;
        link.href = href;
        document.head.appendChild(link);
      });
      at += LINKS_A_TASK;
      if (at < hrefs.length) setTimeout(some, 0);
      else if (then) then();
    };
    some();
  }
  function run(meta) {
    if (meta.hasAttribute("data-running")) return;
    meta.setAttribute("data-running", "");
    var modules = words(meta.getAttribute("data-preload"));
    var next = function (i) {
      if (i === modules.length) return words(meta.content).forEach(function (src) { import(src); });
      import(modules[i]).then(function () { setTimeout(next, 0, i + 1); }, function (err) {
        setTimeout(next, 0, modules.length);
        throw err;
      });
    };
    links("modulepreload", modules, function () { next(0); });
  }
  function onInteraction(meta) {
    var events = ["keydown", "pointerdown", "touchstart", "input", "change", "submit"];
    var go = function () {
      events.forEach(function (type) { window.removeEventListener(type, go, true); });
      run(meta);
    };
    events.forEach(function (type) { window.addEventListener(type, go, { capture: true, passive: true }); });
  }
  // A form of the server's (`data-prerendered`) sent before the page's script has taken it.
  window.addEventListener("submit", function (event) {
    if (!event.target.hasAttribute("data-prerendered")) return;
    event.preventDefault();
    event.target.setAttribute("data-pending", "");
  }, true);
  function afterPaint() {
    // Data the page's script will ask for: `<link data-href data-later>`, fetched now.
    Array.prototype.forEach.call(document.querySelectorAll("link[data-later][data-href]"), function (link) {
      link.href = link.getAttribute("data-href");
    });
    var metas = document.querySelectorAll('meta[name="drawgame-later"]');
    Array.prototype.forEach.call(metas, function (meta) {
      if (meta.getAttribute("data-when") !== "interaction" || !asking) return run(meta);
      onInteraction(meta);
    });
  }
  function whenParsed() {
    var name = document.getElementById("name-input");
    var watch = document.getElementById("spectate");
    if (asking && name && !name.value) name.value = read("name") || "";
    if (asking && watch) watch.checked = read("spectate") === "1";
    var done = false;
    var once = function () {
      if (!done) afterPaint();
      done = true;
    };
    // After the next frame has been painted; at once in a tab that paints nothing
    // (hidden); and in any case after a second, should frames not come.
    if (document.visibilityState === "hidden") return once();
    requestAnimationFrame(function () { setTimeout(once, 0); });
    setTimeout(once, 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", whenParsed);
  else whenParsed();
})();
