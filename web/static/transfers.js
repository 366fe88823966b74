// The console's transfer, conference and relay tools. The call on screen comes from
// console.js's events (lifeline:call, lifeline:call-ended); what the line allows and whom
// the call may go to are asked of the server for that call, and whom it may go to follows
// the server's word as others' states change (lifeline:staff). Where a transfer stands
// comes with the answer to each button and, for what the operator did not do (the other
// party hung up, the call failed), from the feed (lifeline:transfer). The server decides;
// its refusals are shown as they come.
"use strict";
(function () {
  const tools = document.getElementById("call-tools");
  const relay = document.getElementById("relay");
  if (!tools || !relay) { return; }
  const $ = (id) => document.getElementById(id);
  const tokenMeta = document.querySelector('meta[name="csrf-token"]');  // console.js renews it
  let callId = null;
  let listed = false;  // the feed has said whom this call may go to: newer than the choices
  let seen = { id: null, told: 0 };  // the transfer's state shown last

  async function send(method, url, body) {
    const response = await fetch(url, {
      method: method, credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRF-Token": tokenMeta.content },
      body: method === "GET" ? undefined : JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) {
      const error = new Error(data.error || ("Refused (HTTP " + response.status + ")."));
      error.status = response.status;
      throw error;
    }
    return data;
  }

  const url = (name) => tools.dataset[name].replace("{call}", encodeURIComponent(callId));

  function say(el, text, failed) {
    el.textContent = text;
    el.classList.toggle("error", Boolean(failed));
  }

  function options(select, items, chosen) {
    select.replaceChildren(...items.map(([value, label]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      option.selected = value === chosen;
      return option;
    }));
  }

  // Whom the call may go to: with nobody free, the button off and the reason beside it.
  // operators: SIP usernames; names: how each is shown (their name, or name and username).
  function targets(operators, names) {
    const select = $("transfer-to");
    options(select, operators.map((u) => [u, names[u] || u]), select.value);
    select.disabled = operators.length === 0;
    startable();
  }

  function startable() {
    const none = $("transfer-to").options.length === 0;
    $("transfer-start").disabled = none;
    $("transfer-none").hidden = !none || $("transfer-start").hidden;  // not mid-transfer
  }

  function transferring(on) {
    $("transfer-start").hidden = on;
    $("transfer-complete").hidden = !on;
    $("transfer-return").hidden = !on;
    $("out-start").disabled = on;
    startable();
  }

  // A transfer's state, from an answer or the feed, whichever is newer: its buttons, and
  // what happened in words.
  const handing = (side) => Boolean(side && (side.kind === "warm" || side.kind === "out"));

  function shown(side) {
    if (!handing(side) || (side.id === seen.id && side.told <= seen.told)) { return; }
    seen = { id: side.id, told: side.told };
    transferring(side.open);
    say($("tools-status"), side.words, side.unasked);
    if (side.outcome === "completed") { tools.hidden = true; }
  }

  async function load() {
    const asked = callId;
    try {
      const c = await send("GET", url("choices"));
      if (callId !== asked) { return; }  // that call ended (or another began) meanwhile
      if (!listed) { targets(c.operators, c.names); }
      options($("queue-to"), c.queues.map((q) => [String(q.id), q.name]));
      options($("queue-language"), c.languages.map((l) => [l, window.lifelineLanguageName(l)]),
              c.language);
      // Off on this line: no button to press, and the reason in its place.
      $("conference-add").hidden = !c.three_way;
      $("conference-number").closest("label").hidden = !c.three_way;
      $("conference-off").hidden = c.three_way;
      $("conference-off").textContent = c.three_way ? "" : c.three_way_off;
      $("out-start").hidden = !c.transfer_out;
      $("out-number").closest("label").hidden = !c.transfer_out;
      $("out-off").hidden = c.transfer_out;
      $("out-off").textContent = c.transfer_out ? "" : c.transfer_off;
      if (handing(c.side)) { shown(c.side); } else { transferring(false); }
      tools.hidden = false;
    } catch (e) {
      if (callId !== asked) { return; }
      // 409: the call ended before the server was asked (a short call); the server is
      // right, and console.js's call-ended follows. Nothing to show either way.
      tools.hidden = true;
      if (e.status === 409) { callId = null; }
    } finally {
      tools.dataset.answered = asked;  // whose choices were handled last (tests wait on it)
    }
  }

  // done: the words once it worked, or none where the answer's state says them.
  async function act(button, work, done) {
    button.disabled = true;
    try {
      await work();
      if (done) { say($("tools-status"), done, false); }
    } catch (e) {
      say($("tools-status"), e.message, true);
    } finally {
      button.disabled = false;
      startable();
    }
  }

  document.addEventListener("lifeline:call", (event) => {
    callId = event.detail.call_id;
    listed = false;
    say($("tools-status"), "", false);
    load();
  });
  document.addEventListener("lifeline:staff", (event) => {
    if (!callId) { return; }
    listed = true;
    targets(event.detail.operators, event.detail.names);
  });
  document.addEventListener("lifeline:transfer", (event) => {
    if (callId && event.detail.call_id === callId) { shown(event.detail); }
  });
  document.addEventListener("lifeline:call-ended", () => {
    callId = null;
    tools.hidden = true;
  });

  $("transfer-start").addEventListener("click", (e) => act(e.target, async () => {
    shown((await send("POST", url("transfer"), { to: $("transfer-to").value })).side);
  }));
  $("out-start").addEventListener("click", (e) => act(e.target, async () => {
    shown((await send("POST", url("transferOut"), { number: $("out-number").value })).side);
  }));
  $("transfer-complete").addEventListener("click", (e) => act(e.target, async () => {
    shown((await send("POST", "/console/side/complete")).side);
  }));
  $("transfer-return").addEventListener("click", (e) => act(e.target, async () => {
    shown((await send("POST", "/console/side/return")).side);
  }));
  $("queue-send").addEventListener("click", (e) => act(e.target, async () => {
    await send("POST", url("queue"), { queue_id: $("queue-to").value,
                                       language: $("queue-language").value });
    tools.hidden = true;
  }, "Sent to the queue."));
  $("conference-add").addEventListener("click", (e) => act(e.target, async () => {
    await send("POST", url("conference"), { number: $("conference-number").value });
  }, "Calling; they join the call when they answer."));

  $("relay-call").addEventListener("click", async (event) => {
    event.target.disabled = true;
    try {
      await send("POST", "/console/relay", { number: $("relay-number").value,
                                            follow_up_id: $("relay-follow-up").value });
      say($("relay-status"), "Your phone rings; answer it, then the number is called.", false);
    } catch (e) {
      say($("relay-status"), e.message, true);
    } finally {
      event.target.disabled = false;
    }
  });
  $("side-hangup").addEventListener("click", async () => {
    try {
      await send("POST", "/console/side/hangup");
      say($("relay-status"), "Hung up.", false);
    } catch (e) {
      say($("relay-status"), e.message, true);
    }
  });
})();
