"""What Asterisk should hold for one operator: the PJSIP auth, aor and endpoint, and how to
tell whether the objects Asterisk already has say the same (it echoes fields in its own
spelling). Pure functions; operators/sip_sync.py writes them through ARI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

from lifeline_pbx.operators.sip_credentials import SIP_REALM
from lifeline_pbx.operators.store import Operator

OPERATOR_CONTEXT = "operators"  # the dialplan context of operator phones, and our marker
# The transport of asterisk-conf/pjsip.conf; named so that Asterisk takes the media address
# from it instead of resolving its own host name for every call (docs/decisions.md).
TRANSPORT = "transport-udp"
PjsipObject: TypeAlias = tuple[str, str, dict[str, str]]
RTP_TIMEOUT = 30  # seconds: the default of the setting operator_rtp_timeout_seconds
# rtp_timeout_hold, as a multiple of rtp_timeout: a phone holding the call may send nothing.
HOLD_FACTOR = 10
_TRUE = {"yes", "true", "on", "1"}
_FALSE = {"no", "false", "off", "0"}


def pjsip_objects(op: Operator, rtp_timeout: int = RTP_TIMEOUT) -> list[PjsipObject]:
    """(object type, id, fields) for one operator, in the order they must be created.

    rtp_timeout: seconds without audio from the phone before Asterisk hangs its call up (a
    phone gone mid-call sends no BYE: a laptop asleep, wifi lost); 0 = never. A phone counts
    as sending while anything comes: speech, silence, comfort noise (RFC 3389). G.711, all
    these endpoints allow, has no DTX; a phone set to suppress silence sends a comfort noise
    packet now and then, and a muted one sends silence; one that sends nothing at all while
    its user is quiet would be cut after rtp_timeout seconds of quiet: 30 s of it is rare in
    a call, and the caller is then put back in front of the queue, not lost."""
    user = op.sip_username
    auth = {"auth_type": "digest", "username": user, "realm": SIP_REALM,
            "md5_cred": op.sip_md5_cred}
    aor = {"max_contacts": "1", "remove_existing": "yes", "qualify_frequency": "30"}
    endpoint = {
        "transport": TRANSPORT, "context": OPERATOR_CONTEXT, "identify_by": "username",
        "auth": user, "aors": user,
        "disallow": "all", "allow": "ulaw,alaw", "dtmf_mode": "rfc4733",
        "direct_media": "no", "rtp_symmetric": "yes", "force_rport": "yes",
        "rewrite_contact": "yes",
        # Transfers go through the app: a phone's REFER would send the caller into
        # [operators] behind the app's back.
        "allow_transfer": "no",
        # Name only: Asterisk would strip '-' and '.' from a number (op-b -> opb).
        "callerid": f'"{op.display_name}"',
        "language": op.languages[0] if op.languages else "en",
        "rtp_timeout": str(rtp_timeout),
        "rtp_timeout_hold": str(rtp_timeout * HOLD_FACTOR),
    }
    return [("auth", user, auth), ("aor", user, aor), ("endpoint", user, endpoint)]


def _norm(value: str) -> str:
    """Asterisk echoes fields in its own spelling: yes -> true, ulaw,alaw -> (ulaw|alaw),
    "Name" -> Name."""
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if text.lower() in _TRUE:
        return "true"
    if text.lower() in _FALSE:
        return "false"
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].replace("|", ",")
    try:
        return repr(float(text))
    except ValueError:
        return text


def same_fields(wanted: Mapping[str, str], current: Mapping[str, str]) -> bool:
    """Whether Asterisk's object has our fields (write-only ones, like disallow, are not
    echoed and so not compared)."""
    return all(
        key not in current or _norm(value) == _norm(current[key]) for key, value in wanted.items()
    )
