// The session's CSRF token, asked again after a refusal or a sign-out: signed in again in
// another tab, a page still carries the old session's. The page's <meta name="csrf-token">
// is the copy every script reads; this renews it. Used by the console and the intake form.
"use strict";
// {token: the new one, or null if it did not change or could not be asked; signedOut: true
// if the server says nobody is signed in, null if it could not be reached}
window.lifelineSessionToken = async function () {
  let response;
  try {
    response = await fetch("/session/csrf",
      { headers: { "Accept": "application/json" }, credentials: "same-origin" });
  } catch (e) {
    return { token: null, signedOut: null };
  }
  if (!response.ok) { return { token: null, signedOut: response.status === 401 }; }
  const meta = document.querySelector('meta[name="csrf-token"]');
  const token = (await response.json().catch(() => ({}))).csrf_token;
  if (!token || token === meta.getAttribute("content")) {
    return { token: null, signedOut: false };
  }
  meta.setAttribute("content", token);
  return { token: token, signedOut: false };
};
