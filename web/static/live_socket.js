// One of the app's live feeds (the console's, the supervisors' alerts): a WebSocket to
// `path` that opens again after a drop, waiting longer each time (1 s, 2 s ... 30 s). A
// close for the end of the session (4401) is not retried: `on.signedOut` is called instead.
// `on`: message(event), and optionally open(), dropped() (before the next try), signedOut().
// Returns the function that opens it again (after a sign-in elsewhere, say).
window.lifelineLiveSocket = function (path, on) {
  "use strict";
  const SIGNED_OUT = 4401;
  let retry = 0;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(scheme + "//" + location.host + path);
    socket.addEventListener("open", () => { retry = 0; if (on.open) { on.open(); } });
    socket.addEventListener("message", on.message);
    socket.addEventListener("close", (event) => {
      if (event.code === SIGNED_OUT) {
        if (on.signedOut) { on.signedOut(); }
        return;
      }
      const wait = Math.min(30, 2 ** retry) * 1000;
      retry += 1;
      if (on.dropped) { on.dropped(); }
      setTimeout(connect, wait);
    });
  }
  connect();
  return connect;
};
