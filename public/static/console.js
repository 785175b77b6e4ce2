// The console's progressive enhancements; every action works without them.
// 1. Forms with data-confirm ask before they submit.
// 2. An incident page whose notifications are still going out refreshes
//    each update's delivery counts every two seconds until they settle.
document.addEventListener("submit", (e) => {
  const msg = e.target.dataset && e.target.dataset.confirm;
  if (msg && !window.confirm(msg)) e.preventDefault();
});

(() => {
  const box = document.getElementById("deliveries");
  if (!box || !box.dataset.busy) return;
  // The words come from the page, in its language (data-t-*), with
  // {name} holes; English stands in for a page without them.
  const t = box.dataset;
  const fill = (text, vals) => text.replace(/\{(\w+)\}/g, (m, k) => (k in vals ? vals[k] : m));
  const line = (u) => {
    if (u.nobody) return fill(t.tNobody || "Reached no one: {why}.", { why: u.nobody });
    if (u.preparing) return t.tPreparing || "Preparing notifications…";
    const head = (t.tNotifications || "Notifications") + " — ";
    if (!u.channels || !u.channels.length) return head + (t.tNone || "no notifications");
    return head + u.channels.map((c) => fill(t.tCounts || "{ch}: {sent} sent, {wait} pending, {fail} failed",
      { ch: c.channel, sent: c.sent, wait: c.pending + c.sending, fail: c.failed })).join(" · ");
  };
  const tick = async () => {
    try {
      const r = await fetch(box.dataset.url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (!r.ok) return;
      const data = await r.json();
      for (const el of box.querySelectorAll("[data-update]")) {
        const u = data.updates[el.dataset.update];
        if (u) el.textContent = line(u);
      }
      if (!data.busy) return;
    } catch (_) { /* try again on the next tick */ }
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 1000);
})();

// 3. Each colour typed as #rrggbb gets a colour picker beside it, kept in
//    step both ways; the text field is what the form sends.
for (const pick of document.querySelectorAll("input[type=color][data-color-for]")) {
  const text = document.getElementById(pick.dataset.colorFor);
  if (!text) continue;
  const sync = () => { if (/^#[0-9a-fA-F]{6}$/.test(text.value)) pick.value = text.value.toLowerCase(); };
  sync();
  text.addEventListener("input", sync);
  pick.addEventListener("input", () => { text.value = pick.value; });
  pick.hidden = false;
}
