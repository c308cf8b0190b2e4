// Folio watch: the live preview's client, loaded at the end of every document `folio watch` serves.
// The script element says which build (generation) the page came from and which server made it. The page
// polls /__folio/state; a new good build reloads it (keeping the scroll position), and the latest build's
// diagnostics are shown in a box at the top. Everything it draws lives in a shadow root, so the book's CSS
// and the preview's never touch, and the book's documents are left as the EPUB has them.
(function () {
  "use strict";
  var script = document.currentScript;
  var generation = Number(script.getAttribute("data-generation"));
  var server = script.getAttribute("data-server");
  var POLL_MS = 300, RETRY_MS = 1000;
  var scrollKey = "folio-scroll:" + location.pathname;
  var shownAttempt = -1, dismissedAttempt = -1, lastState = null, connected = true;

  var host = document.createElement("div");
  host.id = "folio-preview";
  host.setAttribute("style", "display: contents");
  var root = host.attachShadow({mode: "open"});
  var style = document.createElement("style");
  style.textContent = [
    ".box, .bar { all: initial; position: fixed; z-index: 2147483647; box-sizing: border-box;",
    "  font: 13px/1.45 system-ui, sans-serif; color: #1a1a1a; writing-mode: horizontal-tb; }",
    ".box { top: 0; left: 0; right: 0; max-height: 45vh; overflow: auto; padding: 10px 14px;",
    "  border-bottom: 3px solid; box-shadow: 0 2px 10px rgba(0,0,0,.25); }",
    ".box[hidden] { display: none; }",
    ".box.error { background: #fff0f0; border-color: #c0262d; }",
    ".box.warning { background: #fff8e0; border-color: #b58100; }",
    ".head { display: flex; gap: 1em; align-items: baseline; font-weight: 600; margin-bottom: 6px; }",
    ".head span { flex: 1; }",
    ".line { font: 12.5px/1.45 ui-monospace, 'DejaVu Sans Mono', monospace; white-space: pre-wrap;",
    "  overflow-wrap: anywhere; margin: 2px 0; }",
    ".line.error { color: #8c0f14; } .line.warning { color: #6b4c00; }",
    "button { font: inherit; cursor: pointer; border: 1px solid #999; border-radius: 4px;",
    "  background: #fff; padding: 0 8px; }",
    ".bar { bottom: 10px; right: 10px; display: flex; gap: 2px; align-items: center; padding: 3px;",
    "  background: rgba(255,255,255,.92); border: 1px solid #bbb; border-radius: 6px; }",
    ".bar a { color: #1a1a1a; text-decoration: none; padding: 2px 8px; border-radius: 4px; }",
    ".bar a:hover { background: #e8e8e8; } .bar a.off { color: #bbb; pointer-events: none; }",
    ".dot { width: 8px; height: 8px; border-radius: 50%; margin: 0 6px; background: #2a9d48; }",
    ".dot.building { background: #d08c00; } .dot.failed { background: #c0262d; }",
    ".dot.offline { background: #888; }"
  ].join("\n");
  root.appendChild(style);
  var box = element("div", "box");
  box.hidden = true;
  var bar = element("div", "bar");
  var prev = link("\u2039", "Previous document"), contents = link("Contents", "Contents");
  var next = link("\u203a", "Next document"), dot = element("span", "dot");
  [prev, contents, next, dot].forEach(function (node) { bar.appendChild(node); });
  root.appendChild(box);
  root.appendChild(bar);
  (document.body || document.documentElement).appendChild(host);

  function element(name, className, text) {
    var node = document.createElement(name);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function link(text, title) {
    var node = element("a", "off", text);
    node.title = title;
    return node;
  }

  function aim(node, href) {
    if (href) node.href = href; else node.removeAttribute("href");
    node.className = href ? "" : "off";
  }

  // Where this document sits in the spine: previous, contents, next.
  function showNavigation(state) {
    var spine = state.spine, at = spine.findIndex(function (s) { return s.href === location.pathname; });
    aim(prev, at > 0 ? spine[at - 1].href : null);
    aim(next, at >= 0 && at < spine.length - 1 ? spine[at + 1].href : null);
    aim(contents, state.contents);
    prev.title = at > 0 ? spine[at - 1].title : "";
    next.title = at >= 0 && at < spine.length - 1 ? spine[at + 1].title : "";
  }

  function showStatus(state) {
    var errors = state ? state.diagnostics.filter(function (d) { return d.severity === "error"; }) : [];
    dot.className = "dot " + (!connected ? "offline" : state.building ? "building" : errors.length ? "failed" : "");
    dot.title = !connected ? "folio watch is not running: this page reloads when it is back"
      : state.building ? "building\u2026" : errors.length ? "the last build failed" : "live: rebuilt on save";
  }

  // The latest attempt's diagnostics; errors mean the page shows the last good build, if there was one.
  function showDiagnostics(state) {
    if (state.attempt === shownAttempt) return;
    shownAttempt = state.attempt;
    var items = state.diagnostics, errors = items.filter(function (d) { return d.severity === "error"; });
    box.textContent = "";
    box.hidden = !items.length || dismissedAttempt === state.attempt;
    if (box.hidden) return;
    box.className = "box " + (errors.length ? "error" : "warning");
    var head = element("div", "head");
    head.appendChild(element("span", "", errors.length
      ? "Build failed: " + count(errors.length, "error") + ". " + (state.generation
        ? "Showing the last good build." : "Nothing has built yet.")
      : count(items.length, "warning") + " in the last build"));
    var close = element("button", "", "\u00d7");
    close.title = "Hide until the next build";
    close.addEventListener("click", function () { dismissedAttempt = state.attempt; box.hidden = true; });
    head.appendChild(close);
    box.appendChild(head);
    items.forEach(function (d) { box.appendChild(element("div", "line " + d.severity, d.text)); });
  }

  function count(n, noun) { return n + " " + noun + (n === 1 ? "" : "s"); }

  function reload() {
    sessionStorage.setItem(scrollKey, JSON.stringify([window.scrollX, window.scrollY]));
    location.reload();
  }

  function poll() {
    fetch("/__folio/state", {cache: "no-store"}).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    }).then(function (state) {
      connected = true;
      lastState = state;
      // A restarted server counts from 1 again: its first good build replaces the page too.
      if (state.generation && (state.generation !== generation || state.server !== server)) {
        reload();
        return;
      }
      showNavigation(state);
      showDiagnostics(state);
      showStatus(state);
      setTimeout(poll, POLL_MS);
    }).catch(function () {
      connected = false;
      showStatus(lastState);
      setTimeout(poll, RETRY_MS);
    });
  }

  // Back where the reader was before the reload, once the fonts have laid the text out.
  var saved = sessionStorage.getItem(scrollKey);
  if (saved) {
    sessionStorage.removeItem(scrollKey);
    document.fonts.ready.then(function () { window.scrollTo.apply(window, JSON.parse(saved)); });
  }

  // Arrow keys turn pages in horizontal books; in vertical ones they scroll the text.
  document.addEventListener("keydown", function (event) {
    var horizontal = getComputedStyle(document.documentElement).writingMode.indexOf("horizontal") === 0;
    if (!horizontal || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var target = event.key === "ArrowLeft" ? prev : event.key === "ArrowRight" ? next : null;
    if (target && target.getAttribute("href")) location.href = target.getAttribute("href");
  });

  poll();
})();
