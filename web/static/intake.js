// The intake form: filled from the screen pop, saved as a draft as the operator types,
// the repeat caller's history on a valid A-number, and saving (or a one-click outcome).
// Listens on document for `lifeline:call` and `lifeline:call-ended` (console.js);
// dispatches `lifeline:intake-saved` after a save. No inline scripts (CSP).
(function () {
  "use strict";
  const form = document.getElementById("intake-form");
  if (!form) return;
  const statusEl = document.getElementById("intake-status");
  const historyEl = document.getElementById("person-history");
  const aNumber = document.getElementById("a-number");
  const DRAFT_DELAY_MS = 1000;
  let draftTimer = null;
  let lookupTimer = null;
  let lastLookup = "";
  let draftInFlight = Promise.resolve();

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function callId() { return form.elements.call_id.value; }

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "intake-status" + (kind ? " " + kind : "");
  }

  function fields() {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.name === "csrf_token" || el.type === "button" || el.type === "submit") continue;
      if (el.type === "checkbox") {
        if (el.name === "report_consent") {
          out.report_consent = out.report_consent || [];
          if (el.checked) out.report_consent.push(el.value);
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
    for (const el of form.elements) {
      if (!el.name || el.name === "csrf_token" || el.type === "button" || el.type === "submit") continue;
      const value = values[el.name];
      if (el.type === "checkbox") {
        el.checked = Array.isArray(value) ? value.includes(el.value) : Boolean(value);
      } else if (typeof value === "string") {
        el.value = value;
      }
    }
  }

  function clearErrors() {
    for (const p of form.querySelectorAll(".field-error")) p.remove();
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

  async function send(method, url, body, json) {
    const headers = { "X-CSRF-Token": csrf(), "Accept": "application/json" };
    const init = { method: method, headers: headers, credentials: "same-origin" };
    if (json) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    else if (body) { init.body = body; }
    return fetch(url, init);
  }

  async function saveDraft() {
    draftTimer = null;
    try {
      const response = await send("POST", "/drafts", { call_id: callId() || null, fields: fields() }, true);
      if (response.ok && !statusEl.classList.contains("error")) setStatus("Draft kept", "");
    } catch (e) {
      setStatus("Draft not kept: connection lost. Keep typing; it will retry.", "error");
    }
  }

  function draftSoon() {
    if (draftTimer) clearTimeout(draftTimer);
    draftTimer = setTimeout(() => { draftInFlight = saveDraft(); }, DRAFT_DELAY_MS);
  }

  // Before saving: no draft may land after the save (it would outlive the intake).
  async function settleDrafts() {
    if (draftTimer) { clearTimeout(draftTimer); draftTimer = null; }
    await draftInFlight;
  }

  async function loadDraft(id) {
    const url = id ? "/drafts?call_id=" + encodeURIComponent(id) : "/drafts";
    try {
      const response = await fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" });
      if (!response.ok) return false;
      const data = await response.json();
      if (!data.draft) return false;
      fill(data.draft.fields || {});
      if (data.draft.call_id) form.elements.call_id.value = data.draft.call_id;
      setStatus("Draft restored", "");
      lookupSoon();
      return true;
    } catch (e) {
      return false;
    }
  }

  async function lookup() {
    lookupTimer = null;
    const typed = aNumber.value.trim();
    if (typed === lastLookup) return;
    lastLookup = typed;
    if ((typed.match(/[0-9]/g) || []).length < 8) { historyEl.textContent = ""; return; }
    const url = "/people/lookup?a_number=" + encodeURIComponent(typed) +
      "&call_id=" + encodeURIComponent(callId());
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      const text = await response.text();
      if (response.ok) {
        historyEl.innerHTML = text;  // server-rendered, autoescaped fragment
      } else {
        historyEl.textContent = text;  // the reason, as plain text
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
    for (const el of form.querySelectorAll('input[type="hidden"]:not([name="csrf_token"])')) el.value = "";
    clearErrors();
    historyEl.textContent = "";
    lastLookup = "";
  }

  function selectIfPresent(select, value) {
    if (!select || value === undefined || value === null) return;
    const v = String(value);
    if ([...select.options].some((o) => o.value === v)) select.value = v;
  }

  function saved(data) {
    if (draftTimer) { clearTimeout(draftTimer); draftTimer = null; }
    const id = callId();
    resetForm();
    setStatus("Saved", "saved");
    document.dispatchEvent(new CustomEvent("lifeline:intake-saved",
      { detail: { intake_id: data.intake_id, call_id: id } }));
  }

  async function submit(event) {
    event.preventDefault();
    setStatus("Saving…", "");
    await settleDrafts();
    let response;
    try {
      response = await send("POST", "/intakes", new FormData(form), false);
    } catch (e) {
      setStatus("Not saved: connection lost. Your draft is kept; try again.", "error");
      return;
    }
    const data = await response.json().catch(() => ({}));
    if (response.ok && data.ok) { saved(data); return; }
    if (data.errors) { showErrors(data.errors); return; }
    setStatus("Not saved: " + (data.error || response.statusText), "error");
  }

  async function outcome(event) {
    const code = event.currentTarget.dataset.outcome;
    setStatus("Saving…", "");
    await settleDrafts();
    try {
      const response = await send("POST", "/intakes/outcome", { call_id: callId(), outcome: code }, true);
      const data = await response.json().catch(() => ({}));
      if (response.ok && data.ok) { saved(data); return; }
      setStatus("Not saved: " + (data.error || Object.values(data.errors || {}).join(" ") || response.statusText), "error");
    } catch (e) {
      setStatus("Not saved: connection lost. Try again.", "error");
    }
  }

  async function onCall(event) {
    const d = event.detail || {};
    if (d.call_id && d.call_id === callId()) return;  // the same call again
    if (draftTimer) { clearTimeout(draftTimer); await saveDraft(); }
    resetForm();
    setStatus("", "");
    form.elements.call_id.value = d.call_id || "";
    form.elements.facility_id.value = d.facility_id || "";
    if (/^[0-3]$/.test(String(d.triage))) form.elements.triage.value = String(d.triage);
    selectIfPresent(form.elements.person_facility, d.facility_id);
    selectIfPresent(form.elements.language, d.language);
    if (d.call_id) await loadDraft(d.call_id);
  }

  function onCallEnded() {
    if (draftTimer) { clearTimeout(draftTimer); }
    saveDraft();  // wrap-up: the form stays; what is typed is kept
  }

  form.addEventListener("input", draftSoon);
  form.addEventListener("change", draftSoon);
  form.addEventListener("submit", submit);
  aNumber.addEventListener("input", lookupSoon);
  aNumber.addEventListener("change", lookupSoon);
  for (const button of form.querySelectorAll("button[data-outcome]")) {
    button.addEventListener("click", outcome);
  }
  document.addEventListener("lifeline:call", onCall);
  document.addEventListener("lifeline:call-ended", onCallEnded);
  if (!statusEl.textContent.trim()) loadDraft(callId());  // work survives a reload
}());
