// On pages other than the console, for an operator: a call put through to their phone shows
// at once, with a link back to the console (the call card and its form are there). It reads
// the console's own live feed (#call-banner's data-ws) and nothing else.
(function () {
  "use strict";
  const banner = document.getElementById("call-banner");
  if (!banner || !("WebSocket" in window)) { return; }
  const text = document.getElementById("call-banner-text");
  let callId = null;

  function onMessage(event) {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (message.type === "call") {
      callId = message.call_id;
      const where = [message.line, message.facility].filter(Boolean).join(", ");
      text.textContent = "A call has been put through to you" + (where ? " (" + where + ")" : "") +
        ": take it on the console.";
      banner.hidden = false;
    } else if (message.type === "call_ended" && message.call_id === callId) {
      text.textContent = "Your call has ended: its intake is on the console.";
    }
  }

  window.lifelineLiveSocket(banner.dataset.ws, { message: onMessage });
})();
