"""Asterisk, as the app reaches it: does ARI answer with the configured login, and are the
modules the app drives loaded (GET /ari/asterisk/modules)?"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.config import Config
from lifeline_pbx.doctor.report import Check
from lifeline_pbx.errors import AriError

# What the app uses directly: the Stasis app and ARI's resources, PJSIP with its
# registrar, digest auth and the operators' endpoints kept in astdb (sorcery.conf), the
# bridges, playback, recording and snooping, music on hold, and WAV files.
REQUIRED_MODULES = (
    "app_stasis.so", "res_stasis.so", "res_stasis_answer.so", "res_stasis_playback.so",
    "res_stasis_recording.so", "res_stasis_snoop.so", "res_http_websocket.so", "res_ari.so",
    "res_ari_model.so", "res_ari_applications.so", "res_ari_asterisk.so",
    "res_ari_bridges.so", "res_ari_channels.so", "res_ari_endpoints.so", "res_ari_events.so",
    "res_ari_playbacks.so", "res_ari_recordings.so", "res_pjsip.so", "res_pjsip_session.so",
    "chan_pjsip.so", "res_pjsip_registrar.so", "res_pjsip_authenticator_digest.so",
    "res_sorcery_astdb.so", "res_rtp_asterisk.so", "bridge_simple.so", "bridge_softmix.so",
    "bridge_holding.so", "res_musiconhold.so", "format_wav.so", "codec_ulaw.so",
)


@dataclass(frozen=True)
class Facts:
    url: str
    status: int  # of GET /asterisk/modules: 200 answered; 0 not reached
    error: str = ""
    running: frozenset[str] = frozenset()


def checks(f: Facts) -> list[Check]:
    name = f"Asterisk's ARI answers at {f.url} with the configured login"
    if f.status == 0:
        return [Check(name, False, f"not reached ({f.error})",
                      "is Asterisk running? ari_url must name the address and port of "
                      "http.conf's bind")]
    if f.status in (401, 403):
        return [Check(name, False, f"the login is refused ({f.status})",
                      "ari_user and ari_password must be a user of ari.conf (`lifeline "
                      "asterisk-config --set ari_password=...` renders it)")]
    if f.status != 200:
        return [Check(name, False, f"it answered {f.status} {f.error}",
                      "ari_url must be Asterisk's HTTP server, without /ari")]
    missing = [m for m in REQUIRED_MODULES if m not in f.running]
    return [Check(name, True),
            Check("Asterisk runs the modules the app needs", not missing,
                  "not running: " + ", ".join(missing),
                  "load them in modules.conf (the shipped asterisk-conf/modules.conf does) "
                  "and restart Asterisk, or on its console: module load <name>")]


async def gather(cfg: Config) -> Facts:
    async with aiohttp.ClientSession() as http:
        ari = AriClient(cfg.ari_url, cfg.ari_user, cfg.ari_password, cfg.ari_app, http)
        try:
            modules = await ari.request("GET", "/asterisk/modules")
        except AriError as exc:
            return Facts(cfg.ari_url, exc.status, exc.message)
        finally:
            await ari.close()
    return Facts(cfg.ari_url, 200, running=frozenset(
        m["name"] for m in modules if m.get("status") == "Running"))
