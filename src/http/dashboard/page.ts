// The dashboard as strings in a module, not files beside it: the handler is mounted in other
// people's servers and bundles (ESM, CJS, the clawhost bin, their own esbuild or webpack),
// where files next to a module are not copied; a string travels with the code. No build step.

/** The page: no inline script or style, so the CSP can forbid both. */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>clawhost</title>
<link rel="stylesheet" href="/dashboard/style.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header><h1>clawhost</h1><span id="status" class="muted">not connected</span><button id="logout" hidden>forget token</button></header>
<form id="login" hidden>
  <label for="token">API token (the server printed where its file is)</label>
  <input id="token" type="password" autocomplete="off" required>
  <button type="submit">connect</button>
  <p id="login-error" class="error"></p>
</form>
<main id="main" hidden>
  <table id="gateways">
    <thead><tr><th>name</th><th>state</th><th>pid</th><th>port</th><th>restarts</th><th>memory</th><th>ready since</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
  <p id="action-error" class="error"></p>
  <section id="logs" hidden>
    <h2>logs of <span id="logs-name"></span> <button id="logs-close">close</button></h2>
    <pre id="logs-lines"></pre>
  </section>
</main>
</body>
</html>
`;

export const STYLE_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
header { display: flex; gap: 1rem; align-items: baseline; padding: .75rem 1.25rem; background: #1d232a; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
main, form { padding: 1rem 1.25rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e3e6ea; }
th { font-weight: 600; color: #56606b; }
td.state span { padding: .1rem .5rem; border-radius: 1rem; background: #e3e6ea; }
td.state span.ready { background: #c9f0d3; }
td.state span.failed, td.state span.unhealthy { background: #f8cfcf; }
td.state span.starting, td.state span.restarting, td.state span.stopping, td.state span.backoff { background: #fbe8b5; }
button { margin-right: .3rem; }
.muted { color: #aab3bd; }
.error { color: #b42318; }
pre { background: #11161b; color: #d7dde3; padding: .75rem; max-height: 24rem; overflow: auto; font-size: 12px; }
`;

export const APP_JS = `"use strict";
(function () {
  var KEY = "clawhost-token";
  var $ = function (id) { return document.getElementById(id); };
  var rows = new Map();
  var lastId = 0;
  var events;
  var logs;

  function token() { return sessionStorage.getItem(KEY); }

  function api(path, init) {
    init = init || {};
    var headers = new Headers(init.headers || {});
    headers.set("Authorization", "Bearer " + token());
    return fetch(path, Object.assign({}, init, { headers: headers, cache: "no-store" })).then(function (res) {
      if (res.status === 401) { sessionStorage.removeItem(KEY); showLogin("the token was refused"); throw new Error("unauthorized"); }
      return res;
    });
  }

  // SSE over fetch (EventSource cannot send Authorization): calls onRecord(id, data) per record.
  function stream(path, lastEventId, signal, onRecord) {
    var headers = lastEventId ? { "Last-Event-ID": String(lastEventId) } : {};
    return api(path, { headers: headers, signal: signal }).then(function (res) {
      if (!res.ok || !res.body) throw new Error("stream answered " + res.status);
      var reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      var buffer = "";
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) return;
          buffer += r.value;
          var end;
          while ((end = buffer.indexOf("\\n\\n")) >= 0) {
            var block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            var id = null, data = "";
            block.split("\\n").forEach(function (line) {
              if (line.indexOf("id: ") === 0) id = Number(line.slice(4));
              else if (line.indexOf("data: ") === 0) data += line.slice(6);
            });
            if (data) onRecord(id, JSON.parse(data));
          }
          return pump();
        });
      }
      return pump();
    });
  }

  function fmtBytes(n) { return n === undefined ? "" : (n / 1048576).toFixed(0) + " MB"; }

  function cell(tr, cls) { var td = document.createElement("td"); if (cls) td.className = cls; tr.appendChild(td); return td; }

  function renderRow(g) {
    var tr = rows.get(g.name);
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.name = g.name;
      ["name", "state", "pid", "port", "restarts", "memory", "ready", "actions"].forEach(function (c) { cell(tr, c); });
      ["start", "stop", "restart", "logs"].forEach(function (op) {
        var b = document.createElement("button");
        b.textContent = op;
        b.dataset.op = op;
        b.addEventListener("click", function () { op === "logs" ? openLogs(g.name) : act(g.name, op, b); });
        tr.querySelector("td.actions").appendChild(b);
      });
      rows.set(g.name, tr);
      $("gateways").tBodies[0].appendChild(tr);
    }
    tr.querySelector("td.name").textContent = g.name;
    setState(tr, g.state);
    tr.querySelector("td.pid").textContent = g.pid === undefined ? "" : String(g.pid);
    tr.querySelector("td.port").textContent = String(g.ports.gateway);
    tr.querySelector("td.restarts").textContent = String(g.restartsTotal);
    tr.querySelector("td.memory").textContent = fmtBytes(g.resources && g.resources.rssBytes);
    tr.querySelector("td.ready").textContent = g.readyAt ? new Date(g.readyAt).toLocaleTimeString() : "";
  }

  function setState(tr, state) {
    var td = tr.querySelector("td.state");
    td.textContent = "";
    var span = document.createElement("span");
    span.className = state;
    span.textContent = state;
    td.appendChild(span);
    tr.dataset.state = state;
  }

  function refresh(name) {
    return api("/gateways/" + encodeURIComponent(name)).then(function (res) { return res.ok ? res.json().then(renderRow) : undefined; });
  }

  function act(name, op, button) {
    $("action-error").textContent = "";
    button.disabled = true;
    api("/gateways/" + encodeURIComponent(name) + "/" + op, { method: "POST" })
      .then(function (res) { return res.json().then(function (body) { if (!res.ok) throw new Error(body.error.message); renderRow(body); }); })
      .catch(function (err) { if (err.message !== "unauthorized") $("action-error").textContent = err.message; })
      .finally(function () { button.disabled = false; });
  }

  function onEvent(id, r) {
    if (id !== null) lastId = id;
    if (r.type === "log" || r.gateway === null) return;
    if (r.type === "removed") { var tr = rows.get(r.gateway); if (tr) tr.remove(); rows.delete(r.gateway); return; }
    var row = rows.get(r.gateway);
    if (r.type === "state" && row) setState(row, r.data.to);
    if (r.type === "state" || r.type === "ready" || r.type === "exit" || r.type === "added") refresh(r.gateway);
  }

  function follow() {
    events = new AbortController();
    $("status").textContent = "live";
    stream("/events", lastId, events.signal, onEvent)
      .catch(function () {})
      .then(function () {
        if (events.signal.aborted || !token()) return;
        $("status").textContent = "reconnecting";
        setTimeout(follow, 1000);
      });
  }

  function openLogs(name) {
    if (logs) logs.abort();
    logs = new AbortController();
    var pre = $("logs-lines");
    pre.textContent = "";
    $("logs-name").textContent = name;
    $("logs").hidden = false;
    stream("/gateways/" + encodeURIComponent(name) + "/logs?tail=200&sources=stdout,stderr&follow=1", 0, logs.signal, function (_id, r) {
      pre.appendChild(document.createTextNode(r.time.slice(11, 19) + " " + r.level + " " + (r.subsystem || r.source) + " " + r.message + "\\n"));
      while (pre.childNodes.length > 500) pre.removeChild(pre.firstChild);
      pre.scrollTop = pre.scrollHeight;
    }).catch(function () {});
  }

  // Memory and uptime change without an event: one request for the whole table every 5 s while the page is open.
  var resourcesTimer = null;
  function refreshResources() {
    api("/gateways").then(function (res) { return res.ok ? res.json().then(function (view) { view.gateways.forEach(renderRow); }) : undefined; }).catch(function () {});
  }

  function start() {
    if (resourcesTimer === null) resourcesTimer = setInterval(function () { if (token() && !document.hidden) refreshResources(); }, 5000);
    $("login").hidden = true;
    $("main").hidden = false;
    $("logout").hidden = false;
    api("/gateways").then(function (res) { return res.json(); }).then(function (view) {
      view.gateways.forEach(renderRow);
      // The snapshot's seq: the stream continues from it, so no change falls between the two.
      lastId = view.seq;
      follow();
    }).catch(function () {});
  }

  function showLogin(message) {
    if (resourcesTimer !== null) { clearInterval(resourcesTimer); resourcesTimer = null; }
    if (events) events.abort();
    if (logs) logs.abort();
    $("main").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("status").textContent = "not connected";
    $("login-error").textContent = message || "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("login").addEventListener("submit", function (e) {
      e.preventDefault();
      sessionStorage.setItem(KEY, $("token").value.trim());
      $("token").value = "";
      start();
    });
    $("logout").addEventListener("click", function () { sessionStorage.removeItem(KEY); showLogin(); });
    $("logs-close").addEventListener("click", function () { if (logs) logs.abort(); $("logs").hidden = true; });
    if (token()) start(); else showLogin();
  });
})();
`;
