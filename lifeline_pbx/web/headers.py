"""Headers on every answer the app gives: pages, JSON, redirects, error pages, 404/405,
static files and the WebSocket handshake.

Set from the app's on_response_prepare signal, not a middleware: a redirect or error
raised as an exception passes a middleware by, but every response is prepared. The same
place refuses any redirect off this site, whichever view built it.
"""

from __future__ import annotations

import logging

from aiohttp import web

from lifeline_pbx.web.redirects import is_local

log = logging.getLogger(__name__)

CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CSP,
}


async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in FIXED.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")  # case data stays off disk
    location = response.headers.get("Location")
    if location is not None and not is_local(location):
        log.error("off-site redirect refused path=%s", request.path)
        response.headers["Location"] = "/"
