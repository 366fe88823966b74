"""A small typed asyncio client for Asterisk's REST Interface (ARI), on aiohttp: requests
go over WebSockets (rest_sockets.py) where Asterisk takes them, else HTTP; recordings'
audio over HTTP.

Only the calls the app uses are here. Every failure raises AriError carrying the HTTP
status and Asterisk's message; 404 means the object is gone (often a hang-up racing us).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import aiohttp

from lifeline_pbx.ari.rest_sockets import RestSockets, SocketGone, sockets_supported
from lifeline_pbx.errors import AriError

Json = dict[str, Any]
Params = Mapping[str, str | int | bool | None]

# Asterisk's HTTP server takes at most `sessionlimit` connections (asterisk-conf/http.conf:
# 100) from everyone, WebSockets included. The app's HTTP session holds at most
# ARI_POOL_LIMIT: its request sockets (rest_sockets.py, at most ARI_SOCKETS_LIMIT), the event
# WebSocket and recordings' downloads. The ASTERISK_HTTP_SESSIONS_LEFT serve a second event
# WebSocket while one reconnects, and tools such as curl or a monitoring probe. Past its
# limits a request waits instead of being refused by Asterisk.
ARI_POOL_LIMIT = 64
ARI_SOCKETS_LIMIT = 48
ASTERISK_HTTP_SESSIONS_LEFT = 32
# Idle HTTP connections are given up before Asterisk closes them (session_keep_alive, 15 s),
# so no request goes down a connection Asterisk is closing (ServerDisconnectedError).
ARI_KEEPALIVE_SECONDS = 10.0


def ari_http_session() -> aiohttp.ClientSession:
    """The HTTP session the app talks to Asterisk through, sized under Asterisk's limit."""
    connector = aiohttp.TCPConnector(limit=ARI_POOL_LIMIT, keepalive_timeout=ARI_KEEPALIVE_SECONDS)
    return aiohttp.ClientSession(connector=connector)


def _clean(params: Params | list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Query parameters without the unset ones; a list keeps repeated keys."""
    items = params if isinstance(params, list) else list(params.items())
    out = []
    for key, value in items:
        if value is None:
            continue
        out.append((key, ("true" if value else "false") if isinstance(value, bool) else str(value)))
    return out


class AriClient:
    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        app: str,
        session: aiohttp.ClientSession,
        timeout: float = 10.0,
        sockets: bool | None = None,
    ) -> None:
        """sockets: requests over WebSockets (True) or HTTP (False); None: as the Asterisk
        answering takes them (rest_sockets.sockets_supported), asked at the first request."""
        self.base_url = base_url.rstrip("/")
        self.app = app
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self._session = session
        self._timeout = timeout
        self._sockets = RestSockets(session, self.events_url, self._headers, app,
                                    ARI_SOCKETS_LIMIT)
        self.sockets = sockets
        self._asking = asyncio.Lock()

    async def close(self) -> None:
        """Close the request sockets (the HTTP session is its owner's to close)."""
        await self._sockets.close()

    @property
    def events_url(self) -> str:
        ws_base = self.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        return f"{ws_base}/ari/events"

    @property
    def auth_headers(self) -> dict[str, str]:
        return dict(self._headers)

    async def request(
        self,
        method: str,
        path: str,
        params: Params | list[tuple[str, str]] | None = None,
        body: Json | None = None,
    ) -> Any:
        """One REST request, over a request socket (rest_sockets.py) or HTTP."""
        if self.sockets is None:
            async with self._asking:
                if self.sockets is None:
                    info = json.loads(await self._http("GET", "/asterisk/info"))
                    self.sockets = sockets_supported(str(info["system"]["version"]))
        if not self.sockets:
            text = await self._http(method, path, params, body)
            return json.loads(text) if text else None
        try:
            answer = await self._sockets.send(method, path.lstrip("/"), _clean(params or {}),
                                              body, self._timeout)
        except SocketGone as exc:
            if exc.status:  # the handshake refused (401: the login)
                raise AriError(exc.status, str(exc), method, path) from exc
            raise AriError(0, "unreachable: SocketGone", method, path) from exc
        except TimeoutError as exc:
            raise AriError(0, "unreachable: TimeoutError", method, path) from exc
        if answer.status >= 400:
            raise AriError(answer.status, _message(answer.body), method, path)
        return json.loads(answer.body) if answer.body else None

    async def request_bytes(self, method: str, path: str) -> bytes:
        """Like request, for an answer that is a file (a recording), not JSON: over HTTP,
        as a socket's answers are text."""
        return await self._http(method, path)

    async def _http(
        self,
        method: str,
        path: str,
        params: Params | list[tuple[str, str]] | None = None,
        body: Json | None = None,
    ) -> bytes:
        url = f"{self.base_url}/ari{path}"
        try:
            async with self._session.request(
                method, url, params=_clean(params or {}), json=body, headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                answer = await response.read()
                if response.status >= 400:
                    raise AriError(response.status, _message(answer.decode(errors="replace")),
                                   method, path)
                return answer
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise AriError(0, f"unreachable: {exc.__class__.__name__}", method, path) from exc

    # Asterisk
    async def set_dynamic_object(
        self, config_class: str, object_type: str, object_id: str, fields: Mapping[str, str]
    ) -> None:
        body = {"fields": [{"attribute": k, "value": v} for k, v in fields.items()]}
        await self.request(
            "PUT", f"/asterisk/config/dynamic/{config_class}/{object_type}/{object_id}", body=body
        )

    async def delete_dynamic_object(
        self, config_class: str, object_type: str, object_id: str
    ) -> None:
        await self.request(
            "DELETE", f"/asterisk/config/dynamic/{config_class}/{object_type}/{object_id}"
        )

    # Channels
    async def channels(self) -> list[Json]:
        result: list[Json] = await self.request("GET", "/channels")
        return result

    async def channel(self, channel_id: str) -> Json:
        result: Json = await self.request("GET", f"/channels/{channel_id}")
        return result

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        await self.request(
            "POST", f"/channels/{channel_id}/variable", {"variable": name, "value": value}
        )

    async def variable(self, channel_id: str, name: str) -> str:
        """The channel variable's value; "" when unset. AriError 404 when the channel is gone."""
        try:
            result: Json = await self.request(
                "GET", f"/channels/{channel_id}/variable", {"variable": name}
            )
        except AriError as exc:
            if exc.status == 404 and "variable" in exc.message.lower():
                return ""
            raise
        return str(result.get("value", ""))

    async def answer(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/answer")

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        await self.request("DELETE", f"/channels/{channel_id}", {"reason": reason})

    async def play(self, channel_id: str, media: list[str], playback_id: str) -> Json:
        """Play the media one after the other; one PlaybackFinished when all are done.

        One `media` value, comma-separated as ARI documents: Asterisk keeps only the last of
        repeated `media` parameters (a caller heard the beep without the closed message)."""
        if any("," in m for m in media):
            raise ValueError(f"a media URI with a comma cannot be played in a list: {media!r}")
        result: Json = await self.request(
            "POST", f"/channels/{channel_id}/play/{playback_id}", {"media": ",".join(media)})
        return result

    async def bridge_moh(self, bridge_id: str, moh_class: str = "default") -> None:
        await self.request("POST", f"/bridges/{bridge_id}/moh", {"mohClass": moh_class})

    async def remove_from_bridge(self, bridge_id: str, channel_id: str) -> None:
        await self.request(
            "POST", f"/bridges/{bridge_id}/removeChannel", {"channel": channel_id}
        )

    async def record_bridge(self, bridge_id: str, name: str) -> None:
        await self.request(
            "POST",
            f"/bridges/{bridge_id}/record",
            {"name": name, "format": "wav", "ifExists": "overwrite"},
        )

    async def endpoints(self, technology: str = "PJSIP") -> list[Json]:
        result: list[Json] = await self.request("GET", f"/endpoints/{technology}")
        return result

    async def subscribe(self, event_sources: Sequence[str]) -> None:
        """Subscribe the app to these sources (all or none: Asterisk refuses the lot, 422,
        when one does not exist). In the body: hundreds would pass the request line's
        length."""
        await self.request("POST", f"/applications/{self.app}/subscription",
                           body={"eventSource": list(event_sources)})

    async def subscribed_endpoints(self) -> list[str]:
        """The endpoints the app is subscribed to, as `PJSIP/<name>`."""
        app: Json = await self.request("GET", f"/applications/{self.app}")
        return [str(e) for e in app.get("endpoint_ids", [])]

    async def unsubscribe(self, event_sources: Sequence[str]) -> None:
        await self.request("DELETE", f"/applications/{self.app}/subscription",
                           body={"eventSource": list(event_sources)})

    async def allow_events(self, types: Iterable[str]) -> None:
        """Send this app only events of these types (Asterisk 16.3+ eventFilter)."""
        body = {"allowed": [{"type": t} for t in types], "disallowed": []}
        await self.request("PUT", f"/applications/{self.app}/eventFilter", body=body)

    async def stop_playback(self, playback_id: str) -> None:
        await self.request("DELETE", f"/playbacks/{playback_id}")

    async def send_dtmf(self, channel_id: str, digits: str, between_ms: int = 100) -> None:
        await self.request(
            "POST", f"/channels/{channel_id}/dtmf", {"dtmf": digits, "between": between_ms}
        )

    async def originate(
        self,
        endpoint: str,
        *,
        channel_id: str | None = None,
        caller_id: str | None = None,
        app_args: str | None = None,
        timeout: int = 30,
        variables: Mapping[str, str] | None = None,
    ) -> Json:
        result: Json = await self.request(
            "POST",
            "/channels",
            {
                "endpoint": endpoint,
                "app": self.app,
                "appArgs": app_args,
                "callerId": caller_id,
                "timeout": timeout,
                "channelId": channel_id,
            },
            body={"variables": dict(variables)} if variables else None,
        )
        return result

    async def record(
        self,
        channel_id: str,
        name: str,
        *,
        max_seconds: int = 0,
        max_silence_seconds: int = 0,
        beep: bool = False,
        terminate_on: str = "none",
        fmt: str = "wav",
    ) -> Json:
        result: Json = await self.request(
            "POST",
            f"/channels/{channel_id}/record",
            {
                "name": name,
                "format": fmt,
                "maxDurationSeconds": max_seconds,
                "maxSilenceSeconds": max_silence_seconds,
                "ifExists": "overwrite",
                "beep": beep,
                "terminateOn": terminate_on,
            },
        )
        return result

    async def snoop(self, channel_id: str, snoop_id: str, spy: str = "in",
                    whisper: str = "none", app_args: str | None = None) -> Json:
        """A channel that hears what channel_id hears (spy=in), without blocking it; with
        `whisper`, what it is given is mixed into channel_id's audio that way (out: to
        channel_id's own phone only)."""
        result: Json = await self.request(
            "POST", f"/channels/{channel_id}/snoop/{snoop_id}",
            {"spy": spy, "whisper": whisper, "app": self.app, "appArgs": app_args},
        )
        return result

    async def stop_recording(self, name: str) -> None:
        await self.request("POST", f"/recordings/live/{name}/stop")

    async def stored_recording_file(self, name: str) -> bytes:
        """The audio of a finished recording (Asterisk 14+); AriError 404 when it has none."""
        return await self.request_bytes("GET", f"/recordings/stored/{quote(name, safe='')}/file")

    async def stored_recordings(self) -> list[str]:
        """The names of the recordings Asterisk has on its disk."""
        found: list[Json] = await self.request("GET", "/recordings/stored")
        return [str(item.get("name", "")) for item in found]

    async def recording_live(self, name: str) -> bool:
        """Whether Asterisk is still recording it (404: finished, or never started); other
        errors are raised."""
        try:
            await self.request("GET", f"/recordings/live/{quote(name, safe='')}")
        except AriError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    async def stored_recording_size(self, name: str) -> int | None:
        """The size in bytes of a finished recording's file; None when Asterisk holds no
        such file (404: it was never written). Other errors are raised."""
        try:
            return len(await self.stored_recording_file(name))
        except AriError as exc:
            if exc.status == 404:
                return None
            raise

    async def delete_stored_recording(self, name: str) -> None:
        await self.request("DELETE", f"/recordings/stored/{quote(name, safe='')}")

    # Bridges
    async def create_bridge(self, bridge_id: str, kind: str, name: str = "") -> Json:
        result: Json = await self.request(
            "POST", f"/bridges/{bridge_id}", {"type": kind, "name": name or None}
        )
        return result

    async def bridge(self, bridge_id: str) -> Json:
        result: Json = await self.request("GET", f"/bridges/{bridge_id}")
        return result

    async def bridges(self) -> list[Json]:
        result: list[Json] = await self.request("GET", "/bridges")
        return result

    async def add_to_bridge(self, bridge_id: str, *channel_ids: str) -> None:
        """Several channels in one request: Asterisk adds them all, or none when one is
        gone (404) or not in the app (422)."""
        await self.request("POST", f"/bridges/{bridge_id}/addChannel",
                           {"channel": ",".join(channel_ids)})

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self.request("DELETE", f"/bridges/{bridge_id}")


def _message(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:200]
    if isinstance(data, dict) and "message" in data:
        return str(data["message"])
    return text.strip()[:200]
