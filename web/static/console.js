// The operator console: availability buttons, the live screen pop over a WebSocket, the
// call timer against the line's cut-off, and the hand-off to the intake form by DOM events:
//   dispatched on document: lifeline:call (detail: call_id, facility_id, facility, line,
//   language, triage, waited), lifeline:call-ended (detail: call_id), lifeline:staff
//   (detail: operators, whom the call may be transferred to now), lifeline:transfer
//   (detail: where the operator's transfer stands, transfers.js), lifeline:ready (the
//   operator became ready for calls again: a finished call's form closes; detail.asked:
//   they asked for it (Ready, Log in, a save), not the wrap-up running out);
//   listened for: lifeline:intake-saved (then the operator is made ready again; a
//   one-click outcome's, detail.label, leaves the wrap-up running), lifeline:outcome-undone,
//   lifeline:unfinished-changed (the list of unfinished intakes is fetched again).
// Typing in the intake as the wrap-up is about to end asks for "More time" by itself
// (wrapup_typing.js, loaded before this).
"use strict";
(function () {
  const root = document.getElementById("console");
  if (!root) { return; }
  const $ = (id) => document.getElementById(id);
  const tokenMeta = document.querySelector('meta[name="csrf-token"]');
  let offset = 0;          // server clock minus this browser's clock, in seconds
  let state = null;        // the last "state" message
  let waiting = null;      // the last "waiting" message: callers in this operator's queues
  let call = null;         // the call on screen (a "call" message), ended or not
  let ended = false;
  let endedWords = "";     // how the call ended, as the server says it (call_ended.words)
  let recorded = null;     // {call_id, label}: the one-click outcome recorded for a call
  const popped = new Set();
  let reconnect = null;     // opens the feed again (live_socket.js)
  let signedOut = false;   // the feed was closed by the end of the session
  let wasReady = null;     // whether the last state shown was ready for calls
  let asking = false;      // a post that makes the operator ready is awaited
  let typedAt = -Infinity; // when a key was last typed in the intake form (Date.now())
  let extendedFrom = null; // the wrap-up end "More time" was last asked for by itself
  const SIGN_IN_CHECK_MS = 15000;

  const serverNow = () => Date.now() / 1000 + offset;
  const clock = (seconds) => {
    const s = Math.max(0, Math.floor(seconds));
    return String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  };
  const short = (seconds) => {
    const s = Math.max(0, Math.ceil(seconds));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  };
  const languageName = window.lifelineLanguageName;  // language_names.js

  function showError(text) {
    const el = $("console-error");
    el.textContent = text || "";
    el.hidden = !text;
  }

  function renderState() {
    const label = $("operator-state");
    let text = "Connecting…";
    let wrapping = false;
    let ready = false;
    if (state) {
      wrapping = state.wrapup_until !== null && state.wrapup_until > serverNow();
      if (!state.known) {
        text = "Your phone account is disabled or not set up yet.";
      } else if (state.logged_in && state.on_call) {
        text = "On a call";
      } else if (state.side_call) {  // a relay call, even logged out of the queues
        text = state.side_call;
      } else if (!state.logged_in) {
        text = "Logged out of the queues";
      } else if (state.paused) {
        text = "Paused" + (state.pause_reason ? " (" + state.pause_reason + ")" : "");
      } else if (wrapping) {
        text = "Wrap-up: " + short(state.wrapup_until - serverNow()) + " left";
      } else {
        // Ready for the distributor; with the phone offline, no call reaches them.
        text = state.phone_online ? "Ready: waiting for calls" : "Logged in to the queues";
        ready = true;
      }
    }
    label.textContent = text;
    renderPhone();
    renderWaiting();
    becameReady(ready);
    const known = state && state.known;
    const loggedIn = known && state.logged_in;
    $("state-login").disabled = !known || loggedIn;
    $("state-ready").disabled = !loggedIn || !(state.paused || wrapping);
    $("state-pause").disabled = !loggedIn || state.paused;
    $("state-logout").disabled = !loggedIn;
    $("state-more").hidden = !loggedIn || state.paused || !wrapping;
  }

  // No call can reach an operator whose phone is not registered, whatever their state.
  function phoneOffline() {
    return Boolean(state && state.known && !state.phone_online && !state.on_call
                   && !state.side_call);
  }

  function renderPhone() {
    $("phone-offline").hidden = !phoneOffline();
  }

  // Callers waiting in their queues, said while the operator takes no calls.
  function renderWaiting() {
    const el = $("queue-waiting");
    const idle = state && state.known && !state.on_call && !state.side_call
      && (!state.logged_in || state.paused || phoneOffline());
    const count = waiting ? waiting.count : 0;
    el.hidden = !idle || count === 0;
    if (el.hidden) { return; }
    el.classList.toggle("emergency", waiting.emergencies > 0);
    el.textContent = waiting.said  // "1 emergency waiting": the server's words
      + (waiting.since !== null ? " (longest " + short(serverNow() - waiting.since) + ")" : "");
  }

  // Ready again after a call (pressed, or the wrap-up ran out): the finished call leaves
  // the screen and the form lets it go. Not on the first state after opening the page.
  function becameReady(ready) {
    if (!state) { return; }
    const before = wasReady;
    wasReady = ready;
    if (!ready || before !== false) { return; }
    if (call && ended) { call = null; renderCall(); }
    document.dispatchEvent(new CustomEvent("lifeline:ready", { detail: { asked: asking } }));
  }

  // The list of unfinished intakes, fetched again (it is shown while no call is on screen).
  async function refreshUnfinished() {
    const slot = $("unfinished-slot");
    if (!slot) { return; }
    try {
      const response = await fetch(slot.dataset.src, { credentials: "same-origin" });
      if (!response.ok) { return; }
      slot.innerHTML = await response.text();  // server-rendered, autoescaped fragment
    } catch (e) {
      return;  // the list is as it was; a reload shows it
    }
    renderCall();
  }
  document.addEventListener("lifeline:unfinished-changed", refreshUnfinished);

  function renderCall() {
    const panel = $("call-panel");
    const unfinished = $("unfinished-intakes");  // listed while idle, not over a call
    if (unfinished) { unfinished.hidden = Boolean(call); }
    if (!call) { panel.hidden = true; return; }
    panel.hidden = false;
    $("call-facility").textContent = call.facility || "Unknown facility";
    $("call-line").textContent = (call.line || "") + (call.did ? " (" + call.did + ")" : "");
    $("call-language").textContent = languageName(call.language);
    $("call-triage").textContent = call.triage_word;
    $("call-waited").textContent = short(call.waited) + " in the queue";
    const missing = $("call-language-missing");  // put through after the language wait
    missing.hidden = !call.language_missing;
    missing.textContent = call.language_missing ? "The caller chose " + languageName(call.language)
      + "; you do not have it in your languages." : "";
    $("call-ended").hidden = !ended;
    const outcome = recorded && recorded.call_id === call.call_id ? recorded.label : null;
    $("call-ended-text").textContent = outcome
      ? "Recorded: " + outcome + ". You can undo until you are ready."
      : (endedWords || "The call ended.") + " Finish the form, then save.";
    $("call-cut-off").hidden = !call.cut_off;
    $("call-cut-off").textContent = call.cut_off || "";
    $("call-ready").hidden = !outcome;
    tick();
  }

  function tick() {
    if (call && !ended) {
      const now = serverNow();
      $("call-timer").textContent = clock(now - call.connected_at);
      // The facility's clock started when the PBX answered: the menu and the wait count.
      const remaining = call.call_limit - (now - call.answered_at);
      const warn = call.call_limit > 0 && call.limit_warning > 0 && remaining <= call.limit_warning;
      const warning = $("call-warning");
      warning.hidden = !warn;
      warning.textContent = remaining > 0 ? "Line cuts off in " + short(remaining)
        : "The facility may cut the line at any moment";
      $("call-panel").classList.toggle("urgent", warn);
    } else if (call) {
      $("call-warning").hidden = true;
      $("call-panel").classList.remove("urgent");
    }
    if (state && state.wrapup_until !== null) { renderState(); }
    if (waiting && waiting.count > 0) { renderWaiting(); }
    typingAtTheEnd();
  }

  // Typing as the wrap-up is about to end: more time is asked for by itself, once for each
  // end (wrapup_typing.js decides); with none left, the console says when it ends.
  function typingAtTheEnd() {
    const wrapping = state && state.logged_in && !state.paused && !state.on_call
      && state.wrapup_until !== null && state.wrapup_until > serverNow();
    const left = wrapping ? state.wrapup_until - serverNow() : 0;
    const next = window.lifelineWrapupTyping(left, (Date.now() - typedAt) / 1000,
                                             wrapping ? state.more_left : 0);
    if (next === "ask" && extendedFrom !== state.wrapup_until) {
      extendedFrom = state.wrapup_until;
      post("/console/more-time");
    }
    const warning = $("wrapup-warning");
    warning.hidden = next !== "warn";
    warning.textContent = next === "warn" ? "Wrap-up ends in " + short(left)
      + " and no more time can be added: save, or press Pause to finish without a call coming."
      : "";
  }
  const intake = document.getElementById("intake-form");
  if (intake) { intake.addEventListener("input", () => { typedAt = Date.now(); }); }

  function onCall(message) {
    call = message;
    ended = false;
    renderCall();
    if (!popped.has(message.call_id)) {
      popped.add(message.call_id);
      document.dispatchEvent(new CustomEvent("lifeline:call", { detail: {
        call_id: message.call_id, facility_id: message.facility_id, facility: message.facility,
        line: message.line, language: message.language, triage: message.triage,
        waited: message.waited,
      } }));
    }
  }

  function onCallEnded(message) {
    if (!call || call.call_id !== message.call_id || ended) { return; }
    ended = true;
    endedWords = message.words || "";
    $("call-timer").textContent = clock(serverNow() - call.connected_at);
    renderCall();
    document.dispatchEvent(new CustomEvent("lifeline:call-ended",
      { detail: { call_id: message.call_id } }));
  }

  function onMessage(event) {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (typeof message.server_time === "number") {
      offset = message.server_time - Date.now() / 1000;
    }
    if (message.type === "state") { state = message; renderState(); readyIfSavedDuringCall(); }
    else if (message.type === "call") { onCall(message); }
    else if (message.type === "call_ended") { onCallEnded(message); }
    else if (message.type === "waiting") { waiting = message; renderWaiting(); }
    else if (message.type === "staff") {
      document.dispatchEvent(new CustomEvent("lifeline:staff",
        { detail: { operators: message.operators, names: message.names || {} } }));
    }
    else if (message.type === "transfer") {
      document.dispatchEvent(new CustomEvent("lifeline:transfer", { detail: message }));
    }
  }

  function connect() {
    reconnect = window.lifelineLiveSocket(root.dataset.ws, {
      message: onMessage,
      open: () => { $("connection").textContent = ""; },
      dropped: () => { $("connection").textContent = "Reconnecting…"; },
      signedOut: () => {
        signedOut = true;
        $("connection").textContent = "Signed out: sign in again to take calls.";
        checkSignedIn();
      },
    });
  }

  // The session's token, after a refusal or a sign-out: signed in again in another tab, this
  // page still carries the old session's. True if it changed; a feed closed by the sign-out
  // is opened again under the new session.
  async function freshToken() {
    const fresh = await window.lifelineSessionToken();
    if (!fresh.token) { return false; }
    if (signedOut) { signedOut = false; reconnect(); }
    return true;
  }

  // Signed out: until a sign-in elsewhere, check now and then, and on coming back to the tab.
  async function checkSignedIn() {
    if (signedOut && !(await freshToken()) && signedOut) {
      setTimeout(checkSignedIn, SIGN_IN_CHECK_MS);
    }
  }
  window.addEventListener("focus", () => { if (signedOut) { freshToken(); } });

  // asks: the post makes the operator ready (its answer, or the feed before it, says so).
  async function post(url, body, asks) {
    showError("");
    asking = Boolean(asks);
    try {
      const once = () => fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": tokenMeta.content },
        body: JSON.stringify(body || {}),
      });
      let response = await once();
      if (response.status === 403 && await freshToken()) { response = await once(); }
      if (!response.ok) {
        const refusal = await response.json().catch(() => ({}));
        showError(refusal.error || "The server refused (" + response.status + ").");
        return;
      }
      const message = await response.json();
      offset = message.server_time - Date.now() / 1000;
      state = message;
      renderState();
    } catch (e) {
      showError("Could not reach the server; try again.");
    } finally {
      asking = false;
    }
  }

  $("state-login").addEventListener("click",
    () => post("/console/state", { action: "login" }, true));
  $("state-logout").addEventListener("click", () => post("/console/state", { action: "logout" }));
  $("state-pause").addEventListener("click", () => post("/console/state", {
    action: "pause", reason: $("pause-reason").value, note: $("pause-note").value,
  }));
  $("state-more").addEventListener("click", () => post("/console/more-time"));
  $("state-ready").addEventListener("click", () => {
    if (state && state.paused) { post("/console/state", { action: "resume" }, true); }
    else { post("/console/ready", {}, true); }
  });
  // Saved while still talking: when the caller hangs up there is nothing left to write,
  // so the wrap-up the engine starts then is ended at once (see onMessage).
  let savedDuringCall = null;
  // A one-click outcome leaves the wrap-up running: it can be undone until then.
  document.addEventListener("lifeline:intake-saved", (event) => {
    if (event.detail && event.detail.outcome) {
      recorded = { call_id: event.detail.call_id, label: event.detail.label };
      if (call) { renderCall(); }
      return;
    }
    const saved = event.detail && event.detail.call_id;
    if (call && !ended && saved === call.call_id) { savedDuringCall = saved; return; }
    if (call && ended) { call = null; renderCall(); }
    post("/console/ready", {}, true);
  });
  document.addEventListener("lifeline:outcome-undone", () => {
    recorded = null;
    if (call) { renderCall(); }
  });
  $("call-ready").addEventListener("click", () => post("/console/ready", {}, true));
  function readyIfSavedDuringCall() {
    const wrapping = state.wrapup_until !== null && state.wrapup_until > serverNow();
    if (wrapping && ended && call && call.call_id === savedDuringCall) {
      savedDuringCall = null;
      post("/console/ready", {}, true);
    }
  }

  renderState();
  setInterval(tick, 250);
  connect();
})();
