// The supervisor's actions on the live queue view: listen to, whisper to or join a call
// (the system rings the supervisor's phone), hang that up, and pause or log out an
// operator. Buttons are drawn by queues.js; their clicks are handled here. The server
// decides who may do what; its refusals are shown as they come.
"use strict";
(function () {
  const panel = document.getElementById("supervise");
  const root = document.getElementById("queues");
  if (!panel || !root) { return; }
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const status = document.getElementById("supervise-status");
  const stop = document.getElementById("supervise-stop");
  const pauseForm = document.getElementById("force-pause");
  const pauseWho = document.getElementById("force-pause-operator");
  let pausing = null;

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) {
      throw new Error(data.error || data.message || ("Refused (HTTP " + response.status + ")."));
    }
    return data;
  }

  function say(text, failed) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(failed));
  }

  const idle = status.textContent;  // what the panel says when nothing is going on
  const SAID_FOR = 10000;  // ms: how long "You are no longer on the call." stays
  const MODES = { listen: "listen in", whisper: "whisper", join: "join" };
  let endedAt = null;

  function showSession(session) {
    stop.hidden = !session;
    if (session) {
      endedAt = null;
      say((session.answered ? "On the call: " : "Ringing your phone: ") +
        (MODES[session.mode] || session.mode) +
        ". Change the mode with the buttons, or hang up.", false);
    }
  }

  root.addEventListener("queues:snapshot", (event) => {
    const session = event.detail.supervising;
    if (session !== undefined) {
      const was = !stop.hidden;
      showSession(session);
      if (was && !session) {
        say("You are no longer on the call.", false);
        endedAt = Date.now();
      } else if (endedAt !== null && Date.now() - endedAt > SAID_FOR) {
        endedAt = null;
        say(idle, false);
      }
    }
  });

  root.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button) { return; }
    const data = button.dataset;
    try {
      if (data.supervise) {
        const url = panel.dataset.supervise.replace("{call}", encodeURIComponent(data.callId));
        showSession((await post(url, { mode: data.supervise })).supervising);
      } else if (data.force === "pause") {
        pausing = data.operator;
        pauseWho.textContent = data.operator;
        pauseForm.hidden = false;
      } else if (data.force === "logout") {
        await post(forceUrl(data.operator, "logout"));
        say(data.operator + " is logged out of the queues.", false);
      }
    } catch (e) {
      say(e.message, true);
    }
  });

  function forceUrl(operator, action) {
    return panel.dataset.force.replace("{operator}", encodeURIComponent(operator))
      .replace("{action}", action);
  }

  pauseForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(pauseForm);
    try {
      await post(forceUrl(pausing, "pause"), { reason: form.get("reason"), note: form.get("note") });
      say(pausing + " is paused.", false);
      pauseForm.hidden = true;
    } catch (e) {
      say(e.message, true);
    }
  });
  document.getElementById("force-cancel").addEventListener("click", () => {
    pauseForm.hidden = true;
  });

  stop.addEventListener("click", async () => {
    try {
      await post(panel.dataset.stop);
      showSession(null);
      say("Hung up.", false);
      endedAt = Date.now();
    } catch (e) {
      say(e.message, true);
    }
  });
})();
