// The Print button on a report's printout (no inline script: the pages' CSP forbids it).
"use strict";
document.getElementById("print-now")?.addEventListener("click", () => window.print());
