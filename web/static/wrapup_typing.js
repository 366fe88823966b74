// Whether the console asks for "More time" by itself: the wrap-up is about to end while the
// operator is typing (opwalk2, finding 5: the next call was put through mid-sentence). A
// pure rule (tests/test_wrapup_typing_browser.py has its table); console.js applies it.
//   left: seconds of wrap-up left; typedAgo: seconds since the last keystroke in the intake
//   (Infinity: none); moreLeft: presses of "More time" left in this wrap-up.
//   "ask": ask for more time now; "warn": none left, say the wrap-up ends; "": nothing.
"use strict";
window.lifelineWrapupTyping = (function () {
  const SOON = 10;      // seconds before the end: time enough for the ask to land
  const TYPING = 5;     // a keystroke this recent: the operator is typing
  const WORKING = 60;   // once no time can be added: typed this recently, warned
  return function (left, typedAgo, moreLeft) {
    if (!(left > 0) || left > SOON) { return ""; }
    if (moreLeft > 0) { return typedAgo <= TYPING ? "ask" : ""; }
    return typedAgo <= WORKING ? "warn" : "";
  };
}());
