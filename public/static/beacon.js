// Re-renders every <time datetime> in the visitor's own time zone, in the
// page's language (<html lang>), with Latin digits as the server writes
// them. The page reads fine without it: the server writes each time in the
// page's zone.
(function () {
  "use strict";
  var opts = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short", numberingSystem: "latn" };
  var fmt;
  try { fmt = new Intl.DateTimeFormat(document.documentElement.lang || undefined, opts); } catch (e) { return; }
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d)) { el.title = el.textContent; el.textContent = fmt.format(d); }
  });
})();
