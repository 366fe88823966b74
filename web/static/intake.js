// The intake form. It is bound when opened (GET /intakes/open): to the call the console
// announces, to the voicemail named on the page, or to nothing (a standalone intake); the
// server answers the form's key (the intake's id) and what to show (a draft, or the saved
// intake). Drafts are kept as the operator types; saving keeps the form, so a later save
// updates the same intake. Report blocks can be added. One-click outcomes ask before
// setting typed work aside, and can be undone. A standalone draft found on opening is not
// put in the form until the operator chooses to continue it (or discards it). A refused
// write (signed out, or signed in again in another tab) says so, fetches the session's
// token once and sends again; what is typed stays in the form, never in the browser's
// storage.
// A draft holds only unsaved work: not an empty form, nor one that is as it was saved.
// When the operator is ready again (or the next call comes), a finished call's form closes:
// saved, it is simply emptied; unsaved, its draft stays in the list of unfinished intakes,
// and the status says so. Ready because the wrap-up ran out (not asked for) while the form
// holds unsaved typing, the form stays on its call, saying so, until it is saved, set aside
// or the next call comes. Nothing typed while the form changes records is taken (it is
// inert): no word lands in a record other than the one on screen when it was typed.
// Listens on document for `lifeline:call`, `lifeline:call-ended` and `lifeline:ready`
// (console.js; detail.asked: Ready, a save or a resume asked for it); dispatches
// `lifeline:intake-saved` (detail: intake_id, call_id, outcome, label),
// `lifeline:outcome-undone` (detail: call_id) and `lifeline:unfinished-changed` (a call's
// unsaved form set aside). No inline scripts (CSP).
(function () {
  "use strict";
  const form = document.getElementById("intake-form");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const statusEl = $("intake-status");
  const heldEl = $("intake-held");
  const bindingEl = $("intake-binding");
  const historyEl = $("person-history");
  const aNumber = $("a-number");
  const blocks = $("report-blocks");
  const template = $("report-template");
  const addButton = $("report-add");
  const saveButton = $("intake-save");
  const MAX_REPORTS = Number(addButton.dataset.max);
  const NUMBERED = /^report_[a-z_]+_([0-9]+)$/;
  const DRAFT_DELAY_MS = 1000;
  const RETRY_CAP_MS = 30000;  // a draft not kept for a lost connection: tried again, waiting
                               // 1 s, 2 s, 4 s... up to this, until it is kept
  let draftTimer = null;
  let retryTimer = null;
  let retries = 0;
  let lookupTimer = null;
  let lastLookup = "";
  let draftInFlight = Promise.resolve();
  let baseline = {};        // the form as bound, before anything was typed
  let opening = 0;          // the latest bind; an older answer is ignored
  let saving = false;
  let pendingOutcome = null;
  let lastOutcome = null;   // {key, label, snapshot} until undone or the form is rebound
  let signedOut = false;    // the last refused write found no session
  let draftTrouble = false; // the status says a draft was not kept
  let restore = null;       // {query, hints, fields}: a standalone draft awaiting a choice
  let lastSaved = null;     // the fields as last saved (or opened saved), as JSON
  let draftHasWork = false; // the server holds a draft of this form with work in it
  let boundAt = "";         // when the bound call came in, as the server words it
  let held = false;         // the wrap-up ran out over unsaved typing: the form stays
  let lastSent = "";        // the last draft sent (it may not have landed yet), as JSON
  // The draft's revision on the server as this page last knew it; a save names it as its
  // base and is refused if another tab's save replaced it since (cases/drafts.py save).
  let revision = "";
  let sending = null;       // {base, revision} of the draft save awaiting its answer
  let unsure = null;        // one whose answer was lost: sent again under the same names
  // Fields the form opens with filled in: alone they are not work a draft keeps
  // (cases/drafts.py PRESET says the same).
  const PRESET = new Set(["intake_id", "call_id", "voicemail_id", "facility_id", "triage",
    "report_id", "language", "person_facility", "followup_assignee", "report_severity",
    "report_affected"]);
  const SIGNED_OUT = "you are signed out. Your text is still here, on this page only: " +
    "sign in again in a new tab (do not reload or close this one), then press Save here.";

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function callId() { return form.elements.call_id.value; }

  // A random (version 4) id; crypto.randomUUID needs a secure context, this does not.
  function newKey() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "intake-status" + (kind ? " " + kind : "");
  }

  function isField(el) {
    return el.name && el.name !== "csrf_token" && el.type !== "button" && el.type !== "submit";
  }

  function fields() {
    const out = {};
    for (const el of form.elements) {
      if (!isField(el)) continue;
      if (el.type === "checkbox") {
        if (el.name.startsWith("report_consent")) {
          out[el.name] = out[el.name] || [];
          if (el.checked) out[el.name].push(el.value);
        } else if (el.checked) {
          out[el.name] = "on";
        }
      } else {
        out[el.name] = el.value;
      }
    }
    return out;
  }

  function fill(values) {
    let wanted = 1;
    for (const name of Object.keys(values)) {
      const m = NUMBERED.exec(name);
      if (m) wanted = Math.max(wanted, Math.min(Number(m[1]), MAX_REPORTS));
    }
    while (blockCount() < wanted) addBlock();
    for (const el of form.elements) {
      if (!isField(el)) continue;
      const value = values[el.name];
      if (el.type === "checkbox") {
        el.checked = Array.isArray(value) ? value.includes(el.value) : Boolean(value);
      } else if (typeof value === "string") {
        el.value = value;
      }
    }
  }

  // What the operator typed since the form was bound (a new report block's key is not typing).
  function typed() {
    const now = fields();
    return Object.keys(now).filter((name) => !name.startsWith("report_id") &&
      JSON.stringify(now[name]) !== JSON.stringify(baseline[name] === undefined ? "" : baseline[name]) &&
      !(Array.isArray(now[name]) && now[name].length === 0 && baseline[name] === undefined));
  }

  // Work that only a draft holds: typed beyond what the form opens with, and not as saved.
  function unsaved() {
    const written = typed().some((name) => !PRESET.has(name.replace(/_[0-9]+$/, "")));
    return written && JSON.stringify(fields()) !== lastSaved;
  }

  function blockCount() { return blocks.querySelectorAll(".report-block").length; }

  function addBlock() {
    const n = blockCount() + 1;
    if (n > MAX_REPORTS) return null;
    // The template is the server's own markup (no typed text in it).
    blocks.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__N__", String(n)));
    const block = blocks.lastElementChild;
    block.querySelector('input[type="hidden"]').value = newKey();
    for (const el of block.querySelectorAll("[name]")) {
      if (!(el.name in baseline)) baseline[el.name] = el.type === "checkbox" ? [] : el.value;
    }
    addButton.disabled = n >= MAX_REPORTS;
    return block;
  }

  function clearErrors() {
    for (const p of form.querySelectorAll(".field-error")) p.remove();
  }

  // The record a refusal points to (the voicemail's intake), as a link below the status.
  function showLink(link) {
    const old = $("intake-elsewhere");
    if (old) old.remove();
    if (!link) return;
    const p = document.createElement("p");
    p.className = "field-error";
    p.id = "intake-elsewhere";
    const a = document.createElement("a");
    a.href = link;
    a.textContent = "Open the intake";
    p.append(a);
    statusEl.after(p);
  }

  function showErrors(errors) {
    clearErrors();
    const names = Object.keys(errors);
    for (const name of names) {
      const p = document.createElement("p");
      p.className = "field-error";
      p.dataset.errorFor = name;
      p.textContent = errors[name];
      const target = form.elements[name];
      const el = target && target.length !== undefined && !target.tagName ? target[target.length - 1] : target;
      if (el && el.parentNode) {
        (el.closest("label.check") || el).after(p);
      } else {
        statusEl.after(p);
      }
    }
    setStatus("Not saved: " + names.map((n) => errors[n]).join(" "), "error");
  }

  // The session's token, after a refusal: signed in again in another tab, this page still
  // carries the old session's. False if signed out, or if the token was not the trouble.
  async function freshToken() {
    const fresh = await window.lifelineSessionToken();
    if (fresh.signedOut !== null) signedOut = fresh.signedOut;
    if (!fresh.token) return false;
    form.elements.csrf_token.value = fresh.token;
    return true;
  }

  // A write; refused (403), it is sent once more with the session's token if that changed.
  // keepalive: the request outlives the page (sent as the page is left).
  async function send(method, url, body, json, keepalive) {
    const once = () => {
      const headers = { "X-CSRF-Token": csrf(), "Accept": "application/json" };
      const init = { method: method, headers: headers, credentials: "same-origin",
                     keepalive: Boolean(keepalive) };
      if (json) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
      else if (body) { init.body = body; }
      return fetch(url, init);
    };
    signedOut = false;
    let response = await once();
    if (response.status === 403 && await freshToken()) response = await once();
    return response;
  }

  // Why a write was refused, as the status says it; the text typed is never lost by it.
  function refusal(response, data) {
    if (signedOut) return SIGNED_OUT;
    const reason = data.error || response.statusText || "refused (" + response.status + ")";
    return /[.!?]$/.test(reason) ? reason : reason + ".";
  }

  // The draft to send now, or null: nothing to keep (an empty form, or as saved).
  function draftBody() {
    if (restore) return null;  // the form is not the draft's until the operator chooses
    const work = unsaved();
    if (!work && !draftHasWork) return null;
    // Back to nothing typed (or to what was saved): the draft keeps only the form's key.
    return { call_id: callId() || null,
      fields: work ? fields() : { intake_id: form.elements.intake_id.value } };
  }

  // The revisions a draft save names: the one before it (the last kept, or the one a save
  // still on its way makes) and its own.
  function nextRevision() {
    if (unsure) return unsure;
    return { base: sending ? sending.revision : revision, revision: newKey() };
  }

  async function saveDraft(leaving) {
    const body = draftBody();
    if (body === null) return;
    const work = unsaved();
    const names = nextRevision();
    const opened = opening;
    lastSent = JSON.stringify(body);
    sending = names;
    try {
      const response = await send("POST", "/drafts", { ...body, ...names }, true, leaving);
      if (sending === names) sending = null;
      unsure = null;
      if (response.ok) {
        if (opened === opening) revision = names.revision;
        if (draftTrouble || !statusEl.classList.contains("error")) setStatus(work ? "Draft kept" : "", "");
        draftTrouble = false;
        draftHasWork = work;
        retries = 0;
        return;
      }
      lastSent = "";
      const data = await response.json().catch(() => ({}));
      setStatus("Not kept on the server: " + refusal(response, data), "error");
    } catch (e) {
      if (sending === names) sending = null;
      unsure = names;
      lastSent = "";
      setStatus("Draft not kept: connection lost. Your text is still here; it is sent again by itself.", "error");
      retryLater();
    }
    draftTrouble = true;
  }

  function retryLater() {
    if (retryTimer) clearTimeout(retryTimer);
    const wait = Math.min(RETRY_CAP_MS, 1000 * 2 ** retries);
    retries += 1;
    retryTimer = setTimeout(() => { retryTimer = null; keepDraft(); }, wait);
  }

  // Leaving the page (a link, a reload, the tab closed or hidden) within the draft's delay
  // of the last keystroke: what was typed since the last draft is sent at once, by a
  // request that outlives the page (keepalive), with the session's token like any other.
  // It is sent now, not after a save still on its way: the page may be gone by then.
  function flushDraft() {
    if (form.inert) return;  // between records: nothing typed now is either's
    const body = draftBody();
    if (body === null || JSON.stringify(body) === lastSent) return;
    if (draftTimer) { clearTimeout(draftTimer); draftTimer = null; }
    draftInFlight = Promise.all([draftInFlight, saveDraft(true)]);
  }

  function draftSoon() {
    if (draftTimer) clearTimeout(draftTimer);
    draftTimer = setTimeout(keepDraft, DRAFT_DELAY_MS);
  }

  // One draft save at a time, in order: an older one never lands after a newer one.
  function keepDraft() {
    draftTimer = null;
    draftInFlight = draftInFlight.then(() => saveDraft(false));
    return draftInFlight;
  }

  // Before saving or rebinding: no draft may land after it (it would outlive the intake,
  // or be filed under the next call).
  async function settleDrafts() {
    if (draftTimer) { clearTimeout(draftTimer); keepDraft(); }
    await draftInFlight;
  }

  async function lookup() {
    lookupTimer = null;
    const typedNumber = aNumber.value.trim();
    if (typedNumber === lastLookup) return;
    lastLookup = typedNumber;
    if ((typedNumber.match(/[0-9]/g) || []).length < 8) { historyEl.textContent = ""; return; }
    const url = "/people/lookup?a_number=" + encodeURIComponent(typedNumber) +
      "&call_id=" + encodeURIComponent(callId());
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      const text = await response.text();
      if (response.ok) {
        historyEl.innerHTML = text;  // server-rendered, autoescaped fragment
      } else {
        // the reason, as plain text: the error page's message
        const page = new DOMParser().parseFromString(text, "text/html");
        const reason = page.getElementById("error-message");
        historyEl.textContent = reason ? reason.textContent : text;
      }
    } catch (e) {
      historyEl.textContent = "Could not look up the A-number (connection lost).";
    }
  }

  function lookupSoon() {
    if (lookupTimer) clearTimeout(lookupTimer);
    lookupTimer = setTimeout(lookup, 400);
  }

  function resetForm() {
    form.reset();
    for (const block of blocks.querySelectorAll(".report-block")) {
      if (block.dataset.report !== "1") block.remove();
    }
    addButton.disabled = false;
    for (const el of form.querySelectorAll('input[type="hidden"]:not([name="csrf_token"])')) el.value = "";
    clearErrors();
    showSaved(null);
    historyEl.textContent = "";
    lastLookup = "";
    $("outcome-confirm").hidden = true;
    $("outcome-done").hidden = true;
    pendingOutcome = null;
    lastOutcome = null;
  }

  function selectIfPresent(select, value) {
    if (!select || value === undefined || value === null) return;
    const v = String(value);
    if ([...select.options].some((o) => o.value === v)) select.value = v;
  }

  // What becomes of a call's form when it is closed, for the status to say (null: nothing
  // to say: not a call's, or nothing typed).
  function setAside() {
    if (!callId() || form.elements.voicemail_id.value || restore) return null;
    const call = "your call" + (boundAt ? " at " + boundAt : "");
    if (unsaved()) {
      return { kept: true, text: "The intake for " + call + " is not saved: it is kept in " +
        "\u201cYour unfinished intakes on calls\u201d. Open it there to finish it." };
    }
    return lastSaved === null ? null : { kept: false, text: "The intake for " + call + " is saved.",
      link: "/intake?call_id=" + encodeURIComponent(callId()) };
  }

  // Below the status: where the intake just set aside, saved, can be opened to correct it.
  function showSaved(link) {
    const old = $("intake-saved-link");
    if (old) old.remove();
    if (!link) return;
    const p = document.createElement("p");
    p.id = "intake-saved-link";
    const a = document.createElement("a");
    a.href = link;
    a.textContent = "Open it to correct it";
    p.append(a);
    statusEl.after(p);
  }

  // Saved, the form's call (or voicemail) is no longer among the unfinished intakes listed.
  function dropUnfinished() {
    const vm = form.elements.voicemail_id.value;
    const href = vm ? "/intake?voicemail=" + vm : "/intake?call_id=" + callId();
    const list = $("unfinished-intakes");
    if (!list || !callId()) return;
    for (const a of list.querySelectorAll("a")) {
      if (a.getAttribute("href") === href) a.closest("li").remove();
    }
    if (!list.querySelector("li")) list.remove();
  }

  // Bind the form: query is "call_id=…", "voicemail=…" or "" (standalone); hints are what
  // the screen pop knows (triage). A call's form bound before is set aside (setAside).
  async function bind(query, hints) {
    const mine = ++opening;
    form.inert = true;  // from here nothing typed would be this record's, nor the next's
    hold(false);
    const aside = setAside();
    await settleDrafts();
    if (mine !== opening) return;
    closeChoice();
    form.inert = true;
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    retries = 0;
    resetForm();
    setStatus("Opening…", "");
    let data;
    try {
      const response = await fetch("/intakes/open?" + query,
        { headers: { "Accept": "application/json" }, credentials: "same-origin" });
      data = await response.json();
      if (!response.ok) throw new Error(data.error || response.statusText);
    } catch (e) {
      if (mine !== opening) return;
      form.inert = false;
      form.elements.intake_id.value = newKey();
      form.elements.report_id.value = newKey();
      lastSaved = null; draftHasWork = false; boundAt = "";
      revision = ""; sending = null; unsure = null;
      setStatus("Could not open the form (" + e.message + "). What you type is kept on this page; reload to try again.", "error");
      return;
    }
    if (mine !== opening) return;
    form.elements.intake_id.value = data.intake_id;
    revision = data.revision; sending = null; unsure = null;
    form.elements.call_id.value = data.call_id;
    form.elements.voicemail_id.value = data.voicemail_id;
    const facility = data.facility_id || (hints && hints.facility_id) || "";
    form.elements.facility_id.value = facility;
    if (hints && /^[0-3]$/.test(String(hints.triage))) form.elements.triage.value = String(hints.triage);
    selectIfPresent(form.elements.person_facility, facility);
    selectIfPresent(form.elements.language, data.language || (hints && hints.language));
    form.elements.report_id.value = newKey();
    baseline = fields();
    boundAt = data.at || "";
    lastSaved = null;
    draftHasWork = Boolean(data.draft_at);
    bindingEl.textContent = data.binding + (data.saved ? " Saved: saving again updates it." : "");
    form.inert = false;
    if (data.kind === "standalone" && data.draft_at) {
      offerChoice({ query: query, hints: hints, fields: data.fields, at: data.draft_at, saved: data.saved });
    } else {
      fill(data.fields || {});
      if (data.saved && !data.draft_at) lastSaved = JSON.stringify(fields());
      const restored = Object.keys(data.fields || {}).length > 1;
      setStatus(restored ? (data.saved ? "Saved intake opened" : "Draft restored") : "", "");
      if (restored) lookupSoon();
    }
    if (aside) {
      setStatus(aside.text, "");
      showSaved(aside.link);
      if (aside.kept) document.dispatchEvent(new CustomEvent("lifeline:unfinished-changed"));
    }
  }

  // A standalone draft found on opening: say what it is (never its narrative or names)
  // and keep the form shut until the operator continues or discards it.
  function offerChoice(found) {
    restore = found;
    const f = found.fields;
    const place = form.elements.person_facility;
    const option = [...place.options].find((o) => o.value && o.value === f.person_facility);
    let what = "You have an unfinished intake, not on any call, last saved " + found.at;
    if (f.a_number) what += ", A-number " + f.a_number;
    if (option) what += ", facility " + option.textContent.trim();
    what += found.saved ? ": changes to an intake saved earlier (discarding them leaves that intake as it was)." : ".";
    $("draft-choice-text").textContent = what;
    $("draft-discard-confirm").hidden = true;
    $("draft-choice").hidden = false;
    form.inert = true;
    setStatus("", "");
  }

  function closeChoice() {
    restore = null;
    $("draft-choice").hidden = true;
    form.inert = false;
  }

  function continueDraft() {
    const found = restore;
    if (!found) return;
    closeChoice();
    fill(found.fields || {});
    setStatus(found.saved ? "Saved intake opened" : "Draft restored", "");
    lookupSoon();
  }

  async function discardDraft() {
    const found = restore;
    if (!found) return;
    let response;
    try {
      response = await send("POST", "/drafts/discard", { call_id: null }, true);
    } catch (e) {
      setStatus("Not discarded: connection lost. Try again.", "error");
      return;
    }
    const data = await response.json().catch(() => ({}));
    if (!(response.ok && data.ok)) {
      setStatus("Not discarded: " + refusal(response, data), "error");
      return;
    }
    await bind(found.query, found.hints);
    setStatus("Discarded: this is a new intake.", "");
  }

  function saved(data, outcome, label) {
    if (draftTimer) { clearTimeout(draftTimer); draftTimer = null; }
    const id = callId();
    document.dispatchEvent(new CustomEvent("lifeline:intake-saved", { detail: {
      intake_id: data.intake_id, call_id: id, outcome: outcome || null, label: label || null,
    } }));
  }

  async function submit(event) {
    event.preventDefault();
    if (saving) return;  // one save at a time; a repeat would change nothing anyway
    saving = true;
    saveButton.disabled = true;
    setStatus("Saving…", "");
    try {
      await settleDrafts();
      let response;
      const sent = JSON.stringify(fields());
      try {
        response = await send("POST", "/intakes", new FormData(form), false);
      } catch (e) {
        setStatus("Not saved: connection lost. Your text is still here; save again (it will not be saved twice).", "error");
        return;
      }
      const data = await response.json().catch(() => ({}));
      if (response.ok && data.ok) {
        lastSaved = sent;
        draftHasWork = false;  // the server deletes the draft on saving
        clearErrors();
        $("outcome-done").hidden = true;
        lastOutcome = null;
        setStatus("Saved", "saved");
        const when = data.saved_at;  // on the hotline's clock, as /calls gives times
        bindingEl.textContent = bindingEl.textContent.replace(/ Saved.*$/, "") +
          " Saved at " + when + ": saving again updates it.";
        dropUnfinished();
        saved(data, null);
        if (held) closeCallForm();  // ready already: no lifeline:ready will close it
        return;
      }
      if (data.errors && !signedOut) {
        showErrors(data.errors); showLink(data.link); return;
      }
      setStatus("Not saved on the server: " + refusal(response, data), "error");
      draftTrouble = true;
    } finally {
      saving = false;
      saveButton.disabled = false;
    }
  }

  function outcome(event) {
    const button = event.currentTarget;
    const changed = typed();
    if (changed.length === 0) { recordOutcome(button.dataset.outcome, button.dataset.label); return; }
    pendingOutcome = { code: button.dataset.outcome, label: button.dataset.label };
    $("outcome-confirm-text").textContent = "You have typed in this form (" + changed.length +
      " field" + (changed.length === 1 ? "" : "s") + "). Record \u201c" + button.dataset.label +
      "\u201d instead? The form is set aside, and you can undo.";
    $("outcome-confirm").hidden = false;
    $("outcome-confirm-no").focus();
  }

  async function recordOutcome(code, label) {
    $("outcome-confirm").hidden = true;
    setStatus("Saving…", "");
    await settleDrafts();
    const key = form.elements.intake_id.value;
    const snapshot = fields();
    try {
      const response = await send("POST", "/intakes/outcome", { intake_id: key, call_id: callId(),
        voicemail_id: form.elements.voicemail_id.value, outcome: code }, true);
      const data = await response.json().catch(() => ({}));
      if (!(response.ok && data.ok)) {
        setStatus("Not saved: " + (signedOut ? SIGNED_OUT : data.error || Object.values(data.errors || {}).join(" ") || response.statusText), "error");
        showLink(data.link);
        return;
      }
      clearErrors();
      lastSaved = null;
      draftHasWork = false;  // the server deletes the draft on saving
      fill(baseline);
      for (const block of blocks.querySelectorAll(".report-block")) {
        if (block.dataset.report !== "1") block.remove();
      }
      addButton.disabled = false;
      historyEl.textContent = "";
      lastLookup = "";
      lastOutcome = { key: key, label: label, snapshot: snapshot };
      $("outcome-done-text").textContent = "Recorded: " + label + ".";
      $("outcome-done").hidden = false;
      setStatus("Saved", "saved");
      dropUnfinished();
      saved(data, code, label);
    } catch (e) {
      setStatus("Not saved: connection lost. Try again.", "error");
    }
  }

  async function undoOutcome() {
    if (!lastOutcome) return;
    const undone = lastOutcome;
    try {
      const response = await send("POST", "/intakes/undo", { intake_id: undone.key }, true);
      const data = await response.json().catch(() => ({}));
      if (!(response.ok && data.ok)) {
        setStatus("Not undone: " + refusal(response, data), "error");
        return;
      }
    } catch (e) {
      setStatus("Not undone: connection lost. Try again.", "error");
      return;
    }
    lastOutcome = null;
    $("outcome-done").hidden = true;
    document.dispatchEvent(new CustomEvent("lifeline:outcome-undone",
      { detail: { call_id: callId() } }));
    fill(undone.snapshot);
    setStatus("Undone: " + undone.label + " is not recorded; the form is back as you left it.", "");
    lookupSoon();
    draftSoon();
  }

  async function onCall(event) {
    const d = event.detail || {};
    if (d.call_id && d.call_id === callId()) return;  // the same call again
    await bind("call_id=" + encodeURIComponent(d.call_id || ""), d);
  }

  function onCallEnded() {
    if (draftTimer) { clearTimeout(draftTimer); }
    if (restore) return;  // no call's form is open
    keepDraft();  // wrap-up: the form stays; what is typed is kept
  }

  // Ready for the next call: a finished call's form closes. Not asked for (the wrap-up ran
  // out) while it holds unsaved typing, it stays on its call (hold).
  function onReady(event) {
    if (!callId() || form.elements.voicemail_id.value || restore) return;
    if (!(event.detail && event.detail.asked) && unsaved()) { hold(true); return; }
    closeCallForm();
  }

  function hold(on) {
    held = on;
    heldEl.hidden = !on;
  }

  // A finished call's form closes, back to the standalone one, its draft kept first; if it
  // could not be kept, the form stays with the error (the status says so), with every word.
  async function closeCallForm() {
    const call = callId();
    const mine = opening;
    if (draftTimer) clearTimeout(draftTimer);
    if (unsaved()) {
      await keepDraft();
      if (draftTrouble) return;
    } else {
      await draftInFlight;
    }
    if (mine === opening && callId() === call) await bind("", null);  // not the next call's
  }

  window.addEventListener("pagehide", flushDraft);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flushDraft();
  });
  form.addEventListener("input", draftSoon);
  form.addEventListener("change", draftSoon);
  form.addEventListener("submit", submit);
  aNumber.addEventListener("input", lookupSoon);
  aNumber.addEventListener("change", lookupSoon);
  addButton.addEventListener("click", () => {
    const block = addBlock();
    if (block) block.querySelector("select").focus();
  });
  for (const button of form.querySelectorAll("button[data-outcome]")) {
    button.addEventListener("click", outcome);
  }
  $("outcome-confirm-yes").addEventListener("click", () => {
    if (pendingOutcome) recordOutcome(pendingOutcome.code, pendingOutcome.label);
    pendingOutcome = null;
  });
  $("outcome-confirm-no").addEventListener("click", () => {
    pendingOutcome = null;
    $("outcome-confirm").hidden = true;
    setStatus("Nothing recorded; the form is kept.", "");
  });
  $("outcome-undo").addEventListener("click", undoOutcome);
  $("intake-set-aside").addEventListener("click", closeCallForm);
  $("draft-continue").addEventListener("click", continueDraft);
  $("draft-discard").addEventListener("click", () => {
    $("draft-discard-confirm").hidden = false;
    $("draft-discard-no").focus();
  });
  $("draft-discard-no").addEventListener("click", () => { $("draft-discard-confirm").hidden = true; });
  $("draft-discard-yes").addEventListener("click", discardDraft);
  document.addEventListener("lifeline:call", onCall);
  document.addEventListener("lifeline:call-ended", onCallEnded);
  document.addEventListener("lifeline:ready", onReady);
  if (statusEl.textContent.trim()) {
    baseline = {};  // the server sent the form back refused: keep it exactly as typed
  } else if (form.elements.voicemail_id.value) {
    bind("voicemail=" + encodeURIComponent(form.elements.voicemail_id.value), null);
  } else if (form.elements.call_id.value) {  // from the list of unfinished intakes
    bind("call_id=" + encodeURIComponent(form.elements.call_id.value), null);
  } else {  // standalone; the address may hint the facility and language
    bind("", { facility_id: form.elements.facility_id.value, language: form.elements.language.value });
  }
}());
