// The report's two static files, app.css and app.js, written beside the pages. They are constants:
// nothing from the state reaches them, so the CSP can allow 'self' scripts without letting any
// repo data run. Pages work without app.js: it only adds relative ages and the auto-refresh.

export const APP_CSS = `:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#59636e;--line:#d1d9e0;--panel:#f6f8fa;
--ok:#1a7f37;--bad:#cf222e;--wait:#9a6700;--run:#0969da;--idle:#6e7781;--link:#0969da;--logbg:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;
--panel:#151b23;--ok:#3fb950;--bad:#f85149;--wait:#d29922;--run:#4493f8;--idle:#9198a1;--link:#4493f8;--logbg:#010409}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:80rem;padding:1rem;background:var(--bg);color:var(--fg);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;overflow-wrap:anywhere}
a{color:var(--link)}
header.top{display:flex;flex-wrap:wrap;gap:.3rem 1rem;align-items:baseline;border-bottom:1px solid var(--line);margin-bottom:1rem}
header.top h1{font-size:1.4rem;margin:.3rem 0}
nav.crumbs{color:var(--muted)}
.refresh{margin-left:auto;color:var(--muted);font-size:.85rem;white-space:nowrap}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
h3{font-size:1.05rem;margin:1rem 0 .4rem}
h2 .muted,h3 .muted{font-weight:normal;font-size:.85rem}
section.card>h2:first-child,section.card>h3:first-child{margin-top:.2rem}
section.card{border:1px solid var(--line);border-radius:6px;padding:.6rem .9rem;margin:.8rem 0;background:var(--panel)}
.muted,footer{color:var(--muted)}
footer{margin-top:2rem;border-top:1px solid var(--line);padding-top:.5rem;font-size:.85rem}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
pre{background:var(--logbg);border:1px solid var(--line);border-radius:6px;padding:.6rem;overflow-x:auto;margin:.3rem 0;
white-space:pre-wrap;word-break:break-word}
pre.message{background:var(--panel)}
.log-head pre{max-height:40rem;overflow-y:auto}
.table{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:normal}
td.msg{overflow-wrap:anywhere;min-width:10rem}
th{font-weight:600;color:var(--muted);font-size:.85rem}
.status{display:inline-block;white-space:nowrap;padding:0 .5rem;border-radius:1rem;font-weight:600;font-size:.85rem;color:#fff;background:var(--idle)}
.s-passed,.s-deployed{background:var(--ok)}
.s-failed{background:var(--bad)}
.s-rolled-back,.t-warn{background:var(--wait)}
.t-ok{background:var(--ok)}.t-bad{background:var(--bad)}.t-idle{background:var(--idle)}
.warn{color:var(--wait);font-weight:600}
.s-waiting{background:var(--wait)}
.s-running{background:var(--run)}
.failure{border:2px solid var(--bad)}
.live-note{border-left:4px solid var(--run);padding:.3rem .6rem;background:var(--panel)}.live-done{border-left-color:var(--idle)}
pre.live-log:empty{display:none}
.dora-charts{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem}
.dora-chart{margin:.3rem 0;flex:1 1 14rem;max-width:24rem}
.dora-chart figcaption{color:var(--muted);font-size:.85rem}
svg.chart{width:100%;height:2.5rem;display:block}
td.chart-cell svg.chart{width:8rem;height:1.5rem}
.chart-bg{fill:var(--panel)}.c-deploy{fill:var(--ok)}.c-lead{fill:var(--run)}.c-run{fill:var(--idle)}
.waiting{border:2px solid var(--wait);border-radius:6px;padding:.6rem .9rem;margin:.8rem 0;background:var(--panel)}
.copy{display:inline-block;user-select:all;background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:.1rem .4rem;font-size:1rem}
.differs{color:var(--bad);font-weight:600}
.drift{border:2px solid var(--bad);border-radius:6px;padding:.6rem .9rem;margin:.8rem 0;background:var(--panel)}
.drift>h2:first-child{margin-top:.2rem}
ul.reasons{margin:.2rem 0;padding-left:1.1rem;font-size:.9em}
.ok{color:var(--ok);font-weight:600}
.error{color:var(--bad)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
details>summary{cursor:pointer;color:var(--muted)}
nav.filters,nav.pages{display:flex;flex-wrap:wrap;gap:.3rem .8rem;margin:.5rem 0}
nav.filters a[aria-current],nav.pages a[aria-current]{font-weight:700;text-decoration:none;color:var(--fg)}
.stats{display:flex;flex-wrap:wrap;gap:.5rem 2rem;margin:.5rem 0}
.stats b{font-size:1.3rem;display:block}
.timeline{display:grid;grid-template-columns:minmax(6rem,max-content) 1fr max-content;gap:.2rem .6rem;align-items:center;margin:.5rem 0}
.timeline svg{width:100%;height:.8rem;display:block;background:var(--panel);border-radius:3px}
.tl-passed,.tl-deployed{fill:var(--ok)}.tl-failed{fill:var(--bad)}.tl-rolled-back{fill:var(--wait)}.tl-running{fill:var(--run)}.tl-waiting{fill:var(--wait)}
.tl-pending,.tl-skipped{fill:var(--idle)}
.step{border-top:1px solid var(--line);padding:.3rem 0}
.step>p{margin:.3rem 0}
.a-f0{color:#3b3b3b}.a-f1{color:#c62828}.a-f2{color:#2e7d32}.a-f3{color:#9a6700}.a-f4{color:#1565c0}.a-f5{color:#8e24aa}.a-f6{color:#00838f}.a-f7{color:#6e7781}
.a-f8{color:#59636e}.a-f9{color:#e53935}.a-f10{color:#43a047}.a-f11{color:#b08800}.a-f12{color:#1e88e5}.a-f13{color:#ab47bc}.a-f14{color:#00acc1}.a-f15{color:#1b1f24}
@media (prefers-color-scheme:dark){.a-f0{color:#8b949e}.a-f1{color:#ff7b72}.a-f2{color:#3fb950}.a-f3{color:#d29922}.a-f4{color:#58a6ff}.a-f5{color:#bc8cff}
.a-f6{color:#39c5cf}.a-f7{color:#c9d1d9}.a-f8{color:#8b949e}.a-f9{color:#ffa198}.a-f10{color:#56d364}.a-f11{color:#e3b341}.a-f12{color:#79c0ff}
.a-f13{color:#d2a8ff}.a-f14{color:#56d4dd}.a-f15{color:#f0f6fc}}
.a-b0{background:#24292f;color:#fff}.a-b1{background:#ffebe9}.a-b2{background:#dafbe1}.a-b3{background:#fff8c5}.a-b4{background:#ddf4ff}.a-b5{background:#fbefff}
.a-b6{background:#d8f7f9}.a-b7{background:#eaeef2}.a-b8{background:#57606a;color:#fff}.a-b9{background:#ffcecb}.a-b10{background:#aceebb}.a-b11{background:#fae17d}
.a-b12{background:#b6e3ff}.a-b13{background:#ecd8ff}.a-b14{background:#b3f0f5}.a-b15{background:#fff;color:#1b1f24}
@media (prefers-color-scheme:dark){.a-b1{background:#5d1f1a}.a-b2{background:#1b4721}.a-b3{background:#4b3900}.a-b4{background:#0c2d6b}.a-b5{background:#3c1e70}
.a-b6{background:#0b3d42}.a-b7{background:#30363d}.a-b9{background:#8e1519}.a-b10{background:#2b6a30}.a-b11{background:#6c5400}.a-b12{background:#1f4f99}
.a-b13{background:#6e40c9}.a-b14{background:#1b6e75}}
.a-bold{font-weight:700}.a-dim{opacity:.7}.a-italic{font-style:italic}.a-u{text-decoration:underline}
img.badge{vertical-align:middle}
@media (max-width:40rem){body{padding:.5rem;font-size:14px}th,td{padding:.25rem .3rem}.timeline{grid-template-columns:5rem 1fr max-content}
.hide-narrow{display:none}
.table{overflow-x:visible}
.table table,.table tbody,.table tr,.table td{display:block;width:100%}
.table thead{display:none}
.table tr{border:1px solid var(--line);border-radius:6px;margin:.4rem 0;padding:.2rem .5rem;background:var(--bg)}
.table td{border:0;padding:.1rem 0;display:flow-root;overflow-wrap:anywhere}
.table td:empty{display:none}
.table td::before{content:attr(data-label);float:left;width:33%;margin-right:3%;color:var(--muted);font-size:.85rem;overflow-wrap:normal}
.table td .status{white-space:normal}
td.msg{min-width:0}
dl.facts{grid-template-columns:minmax(5rem,35%) 1fr}
dl.facts dd{min-width:0}
.timeline>span{min-width:0}
header.top .refresh{margin-left:0}}
`;

// Kept small and dependency-free; it reads nothing but the DOM, the clock and the storage of the
// browser, so no repo data can steer it.
// A slipway (the ramp a ship slides down), so a pinned tab is recognisable; without an icon link
// browsers ask the server for /favicon.ico and log a 404.
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0969da"/><path d="M4 26 28 14v4L4 30z" fill="#fff"/><path d="M10 18h10l-3 4h-5z" fill="#fff"/></svg>
`;

export const APP_JS = `'use strict';
(function () {
  var KEY = 'slipway-report-refresh';
  var SECONDS = 30;
  var place = location.pathname;
  function ago(ms) {
    var s = Math.round(ms / 1000);
    if (s < 0) return 'in the future';
    if (s < 45) return 'just now';
    var m = Math.round(s / 60);
    if (m < 60) return m + (m === 1 ? ' minute ago' : ' minutes ago');
    var h = Math.round(m / 60);
    if (h < 36) return h + (h === 1 ? ' hour ago' : ' hours ago');
    var d = Math.round(h / 24);
    if (d < 60) return d + (d === 1 ? ' day ago' : ' days ago');
    return null;
  }
  function ages() {
    var now = Date.now();
    document.querySelectorAll('time.t[datetime]').forEach(function (t) {
      var when = new Date(t.getAttribute('datetime'));
      if (isNaN(when.getTime())) return;
      if (!t.dataset.abs) t.dataset.abs = t.textContent;
      var rel = ago(now - when.getTime());
      t.textContent = rel === null ? t.dataset.abs : rel;
      t.title = when.toLocaleString() + ' (' + t.dataset.abs + ')';
    });
  }
  function store(kind) {
    try { return window[kind]; } catch (e) { return null; }
  }
  var session = store('sessionStorage');
  var local = store('localStorage');
  function restore() {
    if (!session) return;
    var saved = session.getItem('slipway-scroll:' + place);
    if (saved === null) return;
    session.removeItem('slipway-scroll:' + place);
    if ('scrollRestoration' in history) history.scrollRestoration = 'manual';
    try {
      var s = JSON.parse(saved);
      (s.open || []).forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
      (s.closed || []).forEach(function (id) { var d = document.getElementById(id); if (d) d.open = false; });
      window.scrollTo(0, s.y || 0);
    } catch (e) { /* a stale entry: ignore */ }
  }
  function reload() {
    var sel = window.getSelection && window.getSelection();
    // Someone is copying the approve command: try again at the next tick.
    if (sel && String(sel) !== '') return;
    if (session) {
      var open = [], closed = [];
      document.querySelectorAll('details[id]').forEach(function (d) { (d.open ? open : closed).push(d.id); });
      session.setItem('slipway-scroll:' + place, JSON.stringify({ y: window.scrollY, open: open, closed: closed }));
    }
    location.reload();
  }
  var timer = null;
  // ?refresh (or ?refresh=N seconds) turns it on for a wall screen's bookmark.
  var asked = /[?&]refresh(?:=(\\d+))?(?:&|$)/.exec(location.search);
  if (asked && asked[1]) SECONDS = Math.max(1, Number(asked[1]));
  function enabled() {
    if (asked) return true;
    return !!local && local.getItem(KEY) === 'on';
  }
  function arm(on) {
    if (timer !== null) clearInterval(timer);
    timer = on ? setInterval(reload, SECONDS * 1000) : null;
  }
  function control() {
    var header = document.querySelector('header.top');
    if (!header) return;
    var label = document.createElement('label');
    label.className = 'refresh';
    var box = document.createElement('input');
    box.type = 'checkbox';
    box.id = 'auto-refresh';
    box.checked = enabled();
    box.addEventListener('change', function () {
      if (local) local.setItem(KEY, box.checked ? 'on' : 'off');
      arm(box.checked);
    });
    label.appendChild(box);
    label.appendChild(document.createTextNode(' auto-refresh every ' + SECONDS + ' s'));
    header.appendChild(label);
    arm(box.checked);
  }
  // A running run's page served by slipway run: poll the run's statuses and append each running
  // step's new log bytes (HTTP Range from the byte the page was rendered with), until it ends.
  // Everything is put in as text nodes: no log byte is ever parsed as HTML.
  function live() {
    var note = document.getElementById('live');
    if (!note || !/^https?:$/.test(location.protocol) || !window.fetch || !window.TextDecoder) return;
    var runUrl = note.getAttribute('data-run');
    var logBase = note.getAttribute('data-logs');
    var busy = false, done = false, timer = null, decoders = {};
    function badge(el, status) { if (el) { el.textContent = status; el.className = 'status s-' + status; } }
    function blockOf(id) { return document.getElementById('step-' + id); }
    function preOf(block) { return block ? block.querySelector('pre.live-log') : null; }
    function add(stage, step) {
      var section = document.getElementById('stage-' + stage.name);
      if (!section) {
        section = document.createElement('section');
        section.className = 'card';
        section.id = 'stage-' + stage.name;
        var h = document.createElement('h3');
        h.textContent = stage.name;
        section.appendChild(h);
        document.querySelector('main').appendChild(section);
      }
      var block = document.createElement('div');
      block.className = 'step';
      block.id = 'step-' + step.id;
      var p = document.createElement('p');
      var wrap = document.createElement('span');
      wrap.className = 'step-status';
      wrap.appendChild(document.createElement('span'));
      var name = document.createElement('strong');
      name.textContent = step.name;
      p.appendChild(wrap);
      p.appendChild(document.createTextNode(' '));
      p.appendChild(name);
      var pre = document.createElement('pre');
      pre.className = 'live-log';
      pre.setAttribute('data-step', step.id);
      pre.setAttribute('data-offset', '0');
      block.appendChild(p);
      block.appendChild(pre);
      section.appendChild(block);
      return block;
    }
    function pull(pre) {
      var id = pre.getAttribute('data-step');
      var offset = Number(pre.getAttribute('data-offset')) || 0;
      return fetch(logBase + encodeURIComponent(id) + '.log', { headers: { Range: 'bytes=' + offset + '-' }, cache: 'no-store' }).then(function (r) {
        if (r.status !== 206 && r.status !== 200) return;
        return r.arrayBuffer().then(function (buf) {
          var bytes = new Uint8Array(buf);
          if (r.status === 200) bytes = bytes.subarray(offset);
          var d = decoders[id] || (decoders[id] = new TextDecoder('utf-8'));
          var text = d.decode(bytes, { stream: true }).replace(/\\x1b\\[[0-?]*[ -\\/]*[@-~]/g, '');
          pre.setAttribute('data-offset', String(offset + bytes.length));
          if (text !== '') pre.appendChild(document.createTextNode(text));
        });
      });
    }
    // The timeline as renderTimeline draws it (src/report/timeline.ts), from the live statuses.
    function timeline(run) {
      var box = document.querySelector('.timeline');
      if (!box) return;
      var spans = [];
      run.stages.forEach(function (s) {
        spans.push({ label: s.name, status: s.status, start: s.startedAt, end: s.finishedAt, indent: false });
        s.steps.forEach(function (x) { spans.push({ label: x.name, status: x.status, start: x.startedAt, end: x.finishedAt, indent: true }); });
      });
      spans = spans.filter(function (s) { return s.start; });
      var t0 = Date.parse(run.startedAt || (spans[0] && spans[0].start));
      var t1 = run.finishedAt ? Date.parse(run.finishedAt) : Date.now();
      if (!(t1 > t0) || spans.length === 0) return;
      var NS = 'http://www.w3.org/2000/svg';
      while (box.firstChild) box.removeChild(box.firstChild);
      spans.forEach(function (s) {
        var start = Date.parse(s.start);
        var end = s.end ? Date.parse(s.end) : t1;
        var x = Math.max(0, Math.min(1000, (start - t0) / (t1 - t0) * 1000));
        var w = Math.max(2, Math.min(1000 - x, (end - start) / (t1 - t0) * 1000));
        var label = document.createElement('span');
        var name = document.createElement(s.indent ? 'span' : 'strong');
        name.textContent = (s.indent ? '· ' : '') + s.label;
        label.appendChild(name);
        var svg = document.createElementNS(NS, 'svg');
        svg.setAttribute('viewBox', '0 0 1000 10');
        svg.setAttribute('preserveAspectRatio', 'none');
        svg.setAttribute('role', 'img');
        svg.setAttribute('aria-label', s.label + ': ' + s.status);
        var rect = document.createElementNS(NS, 'rect');
        rect.setAttribute('class', 'tl-' + s.status);
        rect.setAttribute('x', x.toFixed(1));
        rect.setAttribute('y', '0');
        rect.setAttribute('width', w.toFixed(1));
        rect.setAttribute('height', '10');
        svg.appendChild(rect);
        var took = document.createElement('span');
        took.className = 'muted';
        took.textContent = s.end ? seconds(end - start) : s.status;
        box.appendChild(label);
        box.appendChild(svg);
        box.appendChild(took);
      });
    }
    function seconds(ms) {
      if (ms < 1000) return Math.round(ms) + ' ms';
      var s = ms / 1000;
      if (s < 60) return (s < 10 ? s.toFixed(1) : Math.round(s)) + ' s';
      var m = Math.floor(Math.round(s) / 60);
      return m < 60 ? m + ' min ' + (Math.round(s) % 60) + ' s' : Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
    }
    function tick() {
      if (busy || done) return;
      busy = true;
      fetch(runUrl, { cache: 'no-store' }).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      }).then(function (run) {
        note.className = 'live-note live-on';
        note.textContent = 'Live: this page follows the run as it goes.';
        badge(document.querySelector('#run-status .status'), run.status);
        timeline(run);
        var pulls = [];
        run.stages.forEach(function (stage) {
          stage.steps.forEach(function (step) {
            var block = blockOf(step.id) || add(stage, step);
            badge(block.querySelector('.step-status > span'), step.status);
            var pre = preOf(block);
            if (pre && step.bytes > (Number(pre.getAttribute('data-offset')) || 0)) pulls.push(pull(pre));
          });
        });
        return Promise.all(pulls).then(function () {
          if (run.status === 'running' || run.status === 'queued') return;
          done = true;
          clearInterval(timer);
          note.className = 'live-note live-done';
          note.textContent = 'The run has ended: ' + run.status + '. Reload the page for its whole record.';
        });
      }).catch(function () { /* no live routes here (a plain static server) or a blip: the snapshot stays */ }).then(function () { busy = false; });
    }
    timer = setInterval(tick, 1000);
    tick();
  }
  // Restore last: the switch and the relative ages change the layout the position refers to.
  live();
  ages();
  setInterval(ages, 30000);
  control();
  restore();
})();
`;
