// Upload a prompt recording: the chosen file is sent as the request body, with the page's
// CSRF token, and the answer (JSON) shown; a refusal names what is wrong with the file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const problem = document.getElementById("error-file");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("file").files[0];
    if (!file) return;
    problem.hidden = true;
    form.querySelector("button").disabled = true;
    try {
      const answer = await fetch(form.dataset.action, {
        method: "POST", body: file, credentials: "same-origin",
        headers: {"X-CSRF-Token": form.dataset.csrf, "Content-Type": "application/octet-stream",
                  "Accept": "application/json"},
      });
      const body = await answer.json();
      if (body.ok) { window.location.assign(body.next); return; }
      problem.textContent = (body.errors && (body.errors.file || body.errors.name || body.errors.language)) || body.error;
    } catch (err) {
      problem.textContent = "The upload did not reach the server; try again.";
    }
    problem.hidden = false;
    form.querySelector("button").disabled = false;
  });
});
