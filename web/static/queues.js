// The supervisors' live queue view: fetches the snapshot (/supervisor/queues.json) every
// few seconds and rebuilds the tables, and the lines about answered calls with no intake
// above them (worded by the server), with textContent only. A failed fetch keeps the last
// tables on screen, dimmed, under "Connection lost".
"use strict";
(function () {
  const root = document.getElementById("queues");
  if (!root) { return; }
  const status = document.getElementById("queues-status");
  const missingLine = document.getElementById("missing-intakes");
  const stranded = document.getElementById("stranded-drafts");
  const template = document.getElementById("queue-template");
  const onCallTemplate = document.getElementById("on-call-template");
  const source = root.dataset.source;
  const every = Number(root.dataset.refresh || "2") * 1000;

  const clock = (seconds) => {
    if (seconds === null || seconds === undefined) { return "–"; }
    const s = Math.max(0, Math.floor(seconds));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  };
  const languageName = window.lifelineLanguageName;  // language_names.js
  const triage = (emergency) => (emergency ? "Emergency" : "Not urgent");  // as the console says it

  function row(cells, classes) {
    const tr = document.createElement("tr");
    for (const [text, cls] of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) { td.className = cls; }
      tr.appendChild(td);
    }
    for (const cls of classes || []) { tr.classList.add(cls); }
    return tr;
  }

  function fill(tbody, items, toRow, columns, emptyText) {
    const rows = items.map(toRow);
    if (rows.length === 0) {
      const tr = row([[emptyText, ""]], ["empty"]);
      tr.firstChild.colSpan = columns;
      rows.push(tr);
    }
    tbody.replaceChildren(...rows);
  }

  function waitingRow(w) {
    const tr = row([
      [String(w.position), "position"], [triage(w.emergency), "triage"],
      [w.facility || "Unknown facility", "facility"], [w.line, "line"],
      [languageName(w.language), "language"], [clock(w.waited), "waited"],
    ], [w.emergency ? "emergency" : "", w.long_wait ? "long-wait" : ""].filter(Boolean));
    tr.dataset.callId = w.call_id;
    return tr;
  }

  // Buttons for supervise.js, which handles their clicks (data-* say what they ask).
  function buttons(tr, items) {
    const td = document.createElement("td");
    td.className = "actions";
    for (const [label, data] of items) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      Object.assign(button.dataset, data);
      td.appendChild(button);
    }
    tr.appendChild(td);
  }

  function talkingRow(c) {
    const tr = row([
      [c.operator, "operator"], [triage(c.emergency), "triage"],
      [c.facility || "Unknown facility", "facility"], [languageName(c.language), "language"],
      [clock(c.talking), "talking"],
    ], c.emergency ? ["emergency"] : []);
    tr.dataset.callId = c.call_id;
    buttons(tr, [["Listen in", "listen"], ["Whisper", "whisper"], ["Join", "join"]].map(
      ([label, mode]) => [label, { supervise: mode, callId: c.call_id }]));
    return tr;
  }

  function operatorRow(o) {
    let text = o.status;
    if (o.paused && o.pause_reason) { text += " (" + o.pause_reason + ")"; }
    if (o.status === "wrap-up") { text += " " + clock(o.wrapup_left) + " left"; }
    const tr = row([
      [o.username, "operator"], [text, "status-" + o.status.replace(/ /g, "-")],
      [o.registered ? "registered" : "offline", o.registered ? "phone" : "phone-offline"],
    ]);
    tr.dataset.operator = o.username;
    const actions = [];
    if (o.logged_in && !o.paused) { actions.push(["Pause", { force: "pause", operator: o.username }]); }
    if (o.logged_in) { actions.push(["Log out", { force: "logout", operator: o.username }]); }
    buttons(tr, actions);
    return tr;
  }

  function counts(c) {
    const parts = [c.waiting + " waiting"];
    if (c.emergencies_waiting) { parts[0] += " (" + c.emergencies_waiting + " emergency)"; }
    if (c.waiting) { parts.push("longest wait " + clock(c.longest_wait)); }
    parts.push(c.in_progress + " in progress");
    if (c.on_call) { parts.push(c.on_call + " emergency with the on-call list"); }
    parts.push(c.ready + " ready of " + c.logged_in + " logged in");
    return parts.join(" · ");
  }

  function today(t) {
    if (!t) { return "Today: no figures (the database is away)."; }
    if (t.received === 0) { return "No calls yet today."; }
    const level = t.service_level === null ? "–" : Math.round(t.service_level * 100) + "%";
    return "Today: " + t.answered + " answered · " + t.abandoned + " abandoned while waiting · " +
      t.voicemail + " to voicemail · " + (t.no_message ? t.no_message + " left no message · " : "") +
      "service level " + level + " (answered within " +
      t.threshold + " s)";
  }

  function section(queue) {
    const id = "queue-" + queue.queue_id;
    let el = document.getElementById(id);
    if (!el) {
      el = template.content.firstElementChild.cloneNode(true);
      el.id = id;
    }
    return el;
  }

  // Emergencies that left the queues for their line's on-call list, until their call ends.
  function onCallRow(c) {
    const tr = row([
      [triage(true), "triage"], [c.facility || "Unknown facility", "facility"],
      [languageName(c.language), "language"], [c.status, "on-call-status"],
      [clock(c.seconds), "since"],
    ], ["emergency"]);
    tr.dataset.callId = c.call_id;
    return tr;
  }

  function onCallSection(calls) {
    const el = onCallTemplate.content.firstElementChild.cloneNode(true);
    fill(el.querySelector("tbody"), calls, onCallRow, 5, "");
    return el;
  }

  // Left as last shown while the database is away (the snapshot's "missing" is null).
  function showMissing(m) {
    if (!m) { return; }
    missingLine.hidden = false;
    missingLine.className = m.count ? "warning" : "small";
    const link = missingLine.querySelector("a");
    link.href = m.link;
    link.textContent = m.counted;
    missingLine.querySelector(".missing-rest").textContent = m.rest;
    stranded.hidden = m.stranded_lines.length === 0;
    stranded.querySelector("h2").textContent = m.stranded;
    stranded.querySelector("ul").replaceChildren(...m.stranded_lines.map((s) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = s.href;
      a.textContent = s.call;
      li.append(a, s.rest);
      return li;
    }));
    const more = stranded.querySelector(".stranded-more");
    more.hidden = !m.more_stranded;
    more.querySelector("a").href = m.link;
  }

  function render(snapshot) {
    showMissing(snapshot.missing);
    const sections = snapshot.queues.map((queue) => {
      const el = section(queue);
      el.querySelector(".queue-name").textContent = queue.name;
      el.querySelector(".queue-counts").textContent = counts(queue.counts);
      el.querySelector(".queue-today").textContent = today(queue.today);
      fill(el.querySelector(".queue-waiting tbody"), queue.waiting, waitingRow, 6,
        "Nobody is waiting.");
      fill(el.querySelector(".queue-talking tbody"), queue.in_progress, talkingRow, 6,
        "No calls in progress.");
      fill(el.querySelector(".queue-operators tbody"), queue.operators, operatorRow, 4,
        "No operators serve this queue.");
      return el;
    });
    if (sections.length === 0) {
      const p = document.createElement("p");
      p.textContent = "No queues are set up yet.";
      sections.push(p);
    }
    if (snapshot.on_call.length) { sections.unshift(onCallSection(snapshot.on_call)); }
    root.replaceChildren(...sections);
    root.dispatchEvent(new CustomEvent("queues:snapshot", { detail: snapshot }));
  }

  function showStatus(text, lost) {
    status.textContent = text;
    status.classList.toggle("lost", lost);
    root.classList.toggle("lost", lost);
  }

  async function refresh() {
    let signedOut = false;
    try {
      const response = await fetch(source, {
        headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin",
        signal: AbortSignal.timeout(every * 2),
      });
      if (response.status === 401 || response.status === 403) {
        signedOut = true;
        throw new Error("signed out");
      }
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      const snapshot = await response.json();
      render(snapshot);
      showStatus("Live · updated " + snapshot.updated, false);  // the hotline's clock
    } catch (e) {
      showStatus(signedOut
        ? "Connection lost: your session has ended. Reload the page to sign in again."
        : "Connection lost: retrying…", true);
      if (signedOut) { return; }
    }
    window.setTimeout(refresh, every);
  }

  refresh();
})();
