// The supervisors' live feed (/supervisor/alerts/ws): spike alerts and voicemail waiting
// for review. A "snapshot" message replaces both lists (on every (re)connection); "alert"
// and "voicemail" messages add one item at the top. Built with textContent only.
"use strict";
(function () {
  const root = document.getElementById("supervisor-feed");
  if (!root) { return; }
  const $ = (id) => document.getElementById(id);
  const MAX_ITEMS = 50;

  const languageName = window.lifelineLanguageName;  // language_names.js

  function item(parts, href, linkText) {
    const li = document.createElement("li");
    for (const [text, cls] of parts) {
      const span = document.createElement("span");
      span.textContent = text;
      if (cls) { span.className = cls; }
      li.appendChild(span);
      li.appendChild(document.createTextNode(" "));
    }
    const a = document.createElement("a");
    a.href = href;
    a.textContent = linkText;
    li.appendChild(a);
    return li;
  }

  function alertItem(a) {
    const li = item([
      [a.reports + " reports of " + a.category_label, "what"],
      ["at " + a.facility, "facility"],
      ["within " + a.window_days + " days (first " + a.first_day + ")", "window"],
    ], "/reports?facility=" + encodeURIComponent(a.facility_id) + "&category=" +
       encodeURIComponent(a.category), "Reports");
    li.classList.add("spike");
    li.dataset.alertId = String(a.id);
    return li;
  }

  function voicemailItem(v) {
    const parts = [
      [v.emergency ? "Emergency" : "Voicemail", "triage"],
      [v.facility || "Unknown facility", "facility"],
      [v.line || "", "line"],
      [languageName(v.language), "language"],
      [v.left, "time"],  // on the hotline's clock, written by the server
    ];
    if (v.reason === "oncall_unanswered") {
      parts.splice(1, 0, ["nobody on the on-call list accepted", "reason"]);
    }
    const li = item(parts, "/voicemail?show=unreviewed", "Review messages");
    if (v.emergency) { li.classList.add("emergency"); }
    li.dataset.voicemailId = v.id;
    return li;
  }

  function fill(list, items, emptyText) {
    if (items.length === 0) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = emptyText;
      items = [li];
    }
    list.replaceChildren(...items);
  }

  function add(list, li, key) {
    if (list.querySelector("[" + key + '="' + CSS.escape(li.getAttribute(key)) + '"]')) {
      return;  // already shown (a snapshot raced the push)
    }
    const empty = list.querySelector("li.empty");
    if (empty) { empty.remove(); }
    li.classList.add("fresh");
    list.prepend(li);
    while (list.children.length > MAX_ITEMS) { list.lastElementChild.remove(); }
  }

  function onMessage(event) {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (message.type === "snapshot") {
      fill($("feed-alerts"), message.alerts.map(alertItem), "No spike alert.");
      fill($("feed-voicemails"), message.voicemails.map(voicemailItem), "No voicemail waiting.");
    } else if (message.type === "alert") {
      add($("feed-alerts"), alertItem(message), "data-alert-id");
    } else if (message.type === "voicemail") {
      add($("feed-voicemails"), voicemailItem(message), "data-voicemail-id");
    }
  }

  window.lifelineLiveSocket(root.dataset.ws, {
    message: onMessage,
    open: () => { $("feed-connection").textContent = ""; },
    dropped: () => { $("feed-connection").textContent = "Reconnecting…"; },
    signedOut: () => { $("feed-connection").textContent = "Signed out: sign in again."; },
  });
})();
