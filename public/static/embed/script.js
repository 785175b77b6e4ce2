// Beacon's status embed. A site pastes
//   <script src="https://status.example.com/embed/script.js" async></script>
// and, while the status page has an unresolved incident or a maintenance in
// progress, a small notice shows in a corner of the window: the name, the
// latest update and a link to the status page. The server bakes the page's
// status embed settings in at the end of this file, and the notice's own
// words in every language near its start.
//
// Languages. Statuspage's embed config has no language (position and
// colours only) and its notice shows the incident as written; ours does the
// same for what staff wrote, in the status page's language (the notice says
// so with lang and dir). The one thing the script says itself, the close
// button's name, is in the language of the site that includes it: the
// script address's ?lang= (src=".../embed/script.js?lang=de"), else the
// host page's <html lang>, the first Beacon speaks ("de-AT" is "de"), else
// the status page's. All seven names are baked in (about 400 bytes), so
// that one script, one cache entry and one ETag serve every site.
//
// It runs on other people's pages, so: no library; nodes made with the DOM
// and remote text set only as textContent (never parsed as HTML); styles in
// a shadow root, with the host element's own box pinned by !important rules
// that win over the host's (inside a shadow root's :host, !important beats
// the outer page's !important); the style sheet is constructed, not an
// inline <style> or style attribute, and there is no eval, so a host with a
// strict Content-Security-Policy that allows this script can run it; sizes
// are in px, since rem would follow the host's root font size; any failure
// shows nothing and logs nothing.
(function (cfg) {
  "use strict";
  var me = document.currentScript;
  if (!me || !me.src || !window.fetch || !document.documentElement.attachShadow) return;
  // The status page's address is where this script came from, with any
  // path prefix a proxy adds: ../ of /embed/script.js.
  var base = new URL("..", me.src).href;
  var storeKey = "beacon-embed-dismissed " + base;
  var every = 120000; // ms between two reads of the summary
  var host, region, showing = "";
  var words = {/*words*/}; // {lang, dir, dismiss: {code: name}}: see Languages above
  var asked = new URL(me.src).searchParams.get("lang");

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  // speaks returns the code of the language Beacon speaks that matches
  // the BCP 47 tag, exactly or by its first subtag; "" when none does.
  function speaks(tag) {
    var want = String(tag || "").toLowerCase(), codes = Object.keys(words.dismiss), i;
    for (i = 0; want && i < codes.length; i++) if (codes[i].toLowerCase() === want) return codes[i];
    for (i = 0; want && i < codes.length; i++) {
      if (codes[i].toLowerCase().split("-")[0] === want.split("-")[0]) return codes[i];
    }
    return "";
  }

  // language is the language of the notice's own words (see Languages).
  function language() {
    return speaks(asked) || speaks(document.documentElement.lang) || words.lang;
  }

  // Storage can be refused (privacy modes, sandboxed frames): a dismissal
  // then lasts only until the page reloads.
  function dismissed() {
    try { return localStorage.getItem(storeKey); } catch (e) { return null; }
  }
  function dismiss(key) {
    try { localStorage.setItem(storeKey, key); } catch (e) { /* see above */ }
  }

  function css() {
    var corner = String(cfg.position || "bottom-left").split("-");
    var box = function (kind) {
      return "." + kind + "{background:" + cfg[kind + "_background_color"] + ";color:" + cfg[kind + "_text_color"] + "}";
    };
    return ":host{all:initial!important;display:block!important;position:fixed!important;" +
      corner[0] + ":16px!important;" + corner[1] + ":16px!important;z-index:2147483647!important;" +
      "visibility:visible!important;opacity:1!important;transform:none!important;" +
      "width:auto!important;height:auto!important;max-width:calc(100vw - 32px)!important}" +
      ".box{box-sizing:border-box;position:relative;width:352px;max-width:100%;margin:0;" +
      "padding:12px 44px 12px 16px;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.3);" +
      "font:400 14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;text-align:start;" +
      "overflow-wrap:anywhere;animation:in .2s ease-out}" +
      "p{margin:0}.b{margin-top:4px}" +
      "a{color:inherit;font-weight:600;text-decoration:underline}" +
      "button{all:unset;position:absolute;top:6px;right:6px;width:28px;height:28px;" +
      "border-radius:4px;text-align:center;font:20px/28px sans-serif;color:inherit;cursor:pointer}" +
      "button:hover{background:rgba(0,0,0,.2)}" +
      // Mirrored for a page written right to left; by [dir] rather than
      // inset-inline-end, which browsers from before 2021 lack.
      ".box[dir=rtl]{padding:12px 16px 12px 44px}.box[dir=rtl] button{right:auto;left:6px}" +
      "a:focus-visible,button:focus-visible{outline:2px solid currentColor;outline-offset:2px}" +
      box("incident") + box("maintenance") +
      "@keyframes in{from{opacity:0;transform:translateY(8px)}}" +
      "@media (prefers-reduced-motion:reduce){.box{animation:none}}";
  }

  function mount() {
    host = document.createElement("beacon-status-embed");
    var root = host.attachShadow({ mode: "open" });
    var text = css();
    if (root.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(text);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", "", text)); // older browsers
    }
    // The live region is there from the start, so that a notice put into
    // it later is announced.
    region = el("div");
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    root.appendChild(region);
    document.body.appendChild(host);
    load();
  }

  // entries keeps the well-formed entries of a list the summary holds.
  function entries(v) {
    return Array.isArray(v) ? v.filter(function (x) {
      return x && typeof x.id === "string" && typeof x.name === "string";
    }) : [];
  }

  // newest is the entry of list updated last.
  function newest(list) {
    var best = null;
    for (var i = 0; i < list.length; i++) {
      if (!best || Date.parse(list[i].updated_at) > Date.parse(best.updated_at)) best = list[i];
    }
    return best;
  }

  // pick chooses what to show: the incident updated last, else the
  // maintenance in progress updated last.
  function pick(s) {
    var inc = newest(entries(s && s.incidents));
    if (inc) return { kind: "incident", item: inc };
    var going = entries(s && s.scheduled_maintenances).filter(function (m) {
      return m.status === "in_progress" || m.status === "verifying";
    });
    var m = newest(going);
    return m ? { kind: "maintenance", item: m } : null;
  }

  // plain turns an update's Markdown into one line of plain text.
  function plain(md) {
    var t = String(md || "")
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/\*\*|__|~~|`/g, "")
      .replace(/^\s*(#+|>|[-*+])\s+/gm, "")
      .replace(/\s+/g, " ")
      .trim();
    return t.length > 180 ? t.slice(0, 179).replace(/\s+\S*$/, "") + "\u2026" : t;
  }

  function render(p) {
    var state = "none", key = "", last = {};
    if (p) {
      last = (Array.isArray(p.item.incident_updates) && p.item.incident_updates[0]) || {};
      // A new update makes a dismissed notice come back.
      key = p.item.id + " " + (last.id || p.item.updated_at);
      state = key === dismissed() ? "dismissed" : p.kind;
    }
    host.setAttribute("data-state", state);
    if (state === "none" || state === "dismissed") {
      showing = "";
      region.textContent = "";
      return;
    }
    if (key === showing) return; // unchanged: not announced again
    showing = key;
    var box = el("div", "box " + p.kind);
    box.lang = words.lang; // staff wrote the name and the update in it
    box.dir = words.dir;
    var title = el("p", "t");
    var link = el("a", "", p.item.name);
    link.href = base + "incidents/" + encodeURIComponent(p.item.id);
    link.target = "_blank";
    link.rel = "noopener";
    title.appendChild(link);
    box.appendChild(title);
    var body = plain(last.body);
    if (body) box.appendChild(el("p", "b", body));
    var close = el("button", "", "\u00d7");
    close.type = "button";
    var said = language();
    close.lang = said;
    close.setAttribute("aria-label", words.dismiss[said]);
    close.addEventListener("click", function () {
      dismiss(key);
      showing = "";
      region.textContent = "";
      host.setAttribute("data-state", "dismissed");
    });
    box.appendChild(close);
    region.textContent = "";
    region.appendChild(box);
  }

  // load reads the summary and shows what it says, then again every few
  // minutes while the page is in view.
  function load() {
    fetch(base + "api/v2/summary.json", { credentials: "omit" })
      .then(function (r) {
        if (!r.ok) throw new Error("status " + r.status);
        return r.json();
      })
      .then(function (s) { render(pick(s)); })
      // A failure keeps what is shown: nothing at first, the last notice
      // after, rather than hiding an outage because one read failed.
      .catch(function () {
        if (!host.hasAttribute("data-state")) host.setAttribute("data-state", "error");
      })
      .then(later);
  }

  function later() {
    setTimeout(function () {
      if (document.hidden) later();
      else load();
    }, every);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})({/*config*/});
