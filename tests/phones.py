"""Drive the "phones" Asterisk: three operators' desk phones (op-a, op-b, op-c), one address.

Each phone REGISTERs to the PBX as its operator (tests/asterisk/phones/), and the
registration lives as long as the account on the PBX. Every test database an app on the
PBX runs on holds these operators as `enlist` writes them (tests/pg_fixtures.py
phones_template), and the app's operator sync leaves an unchanged account alone: the
phones register once per run and the next test finds them online. Only a test that
changes or removes an account makes its phone register again; `put_back` ends such a
test. A phone whose account went away still believes itself registered until its
refresh, a minute later: `connect` asks it to register again, and `until_online` waits
until the PBX has every phone a test needs, asking again if not.
Calls the PBX places to a phone reach this instance's ARI app "phones", where the test
decides: answer, reject, let it ring, send DTMF, hang up. Answered calls are recorded, so
a test can check what the operator heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from devstack.asterisk import Instance
from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.db import Conn
from lifeline_pbx.demo import DEMO_OPERATOR
from lifeline_pbx.errors import AriError
from lifeline_pbx.operators import store
from lifeline_pbx.prompts import LANGUAGES
from tests.ari_peer import AriPeer
from tests.waiting import wait_for

# The SIP passwords the phones are configured with (rendered into their pjsip.conf).
PHONE_PASSWORDS = {
    "op-a": "phone-a-Secret-2024",
    "op-b": "phone-b-Secret-2024",
    "op-c": "phone-c-Secret-2024",
}
# Their operators' languages (the first is the endpoint's language).
OPERATORS = {"op-a": ("en",), "op-b": ("es",), "op-c": ("en", "es")}


async def enlist(con: Conn) -> None:
    """The phones' operators, enabled, with the phones' passwords: added, or put back as
    they were. In no queue (tests/engine.py staff adds them to the queues)."""
    for name, languages in OPERATORS.items():
        new = store.validate(f"Operator {name}", name, PHONE_PASSWORDS[name], languages,
                             LANGUAGES)
        await con.execute(
            """INSERT INTO operators (display_name, sip_username, sip_md5_cred, languages)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (sip_username) DO UPDATE SET display_name = excluded.display_name,
                   sip_md5_cred = excluded.sip_md5_cred, languages = excluded.languages,
                   enabled = true""",
            new.display_name, new.sip_username, new.sip_md5_cred, list(new.languages))


async def put_back(con: Conn) -> None:
    """After a test that added or changed operators: the phones' accounts as enlisted, the
    demo operator enabled, every other operator disabled. The app's next sync leaves the
    PBX as the next test's app wants it: no account of this test's left over, the phones'
    untouched or written back."""
    await con.execute("UPDATE operators SET enabled = (sip_username = ANY($1))",
                      [*OPERATORS, DEMO_OPERATOR[1]])
    await enlist(con)


# `pjsip send register` unregisters, then registers a second later (max_random_initial_delay
# in tests/asterisk/phones/pjsip.conf): asked again sooner, the phone starts that wait over.
NUDGE_EVERY = 3.0
RESYNC_EVERY = 11.0  # how often `until_online` asks the app to write unlisted accounts again


def config_values() -> dict[str, str]:
    """Placeholders for tests/asterisk/phones/pjsip.conf: op_a_password, ..."""
    return {f"{name.replace('-', '_')}_password": pw for name, pw in PHONE_PASSWORDS.items()}


@dataclass
class PhoneCall:
    channel_id: str
    operator: str
    outgoing: bool
    caller_number: str = ""
    caller_name: str = ""
    events: list[ari.Event] = field(default_factory=list)
    taken: bool = False  # handed to a test by Phones.offer

    @property
    def answered(self) -> bool:
        return any(isinstance(e, ari.ChannelStateChange) and e.channel.state == "Up"
                   for e in self.events) or (self.outgoing and self.started)

    @property
    def started(self) -> bool:
        return any(isinstance(e, ari.StasisStart) for e in self.events)

    @property
    def ended(self) -> bool:
        # A channel that came in through the dialplan is followed only until StasisEnd.
        return any(isinstance(e, ari.ChannelDestroyed | ari.StasisEnd) for e in self.events)

    @property
    def digits(self) -> str:
        """The DTMF digits the phone received."""
        return "".join(e.digit for e in self.events if isinstance(e, ari.DtmfReceived))

    def recording(self) -> ari.RecordingFinished | None:
        return next((e for e in self.events if isinstance(e, ari.RecordingFinished)), None)


class Phones(AriPeer):
    app = "phones"

    def __init__(self, instance: Instance, pbx: Instance) -> None:
        super().__init__(instance)
        self.pbx = pbx
        self.calls: dict[str, PhoneCall] = {}
        self._nudged: dict[str, float] = {}  # operator -> when last asked to register

    async def connect(self) -> None:
        """Ask each phone the PBX lacks (another test's app removed its account) to register
        again now: refused until this test's app puts the account back, it then retries
        every second, and is online about a second after the account's return."""
        await super().connect()
        self._pbx_ari = AriClient(self.pbx.ari_url, self.pbx.ari_user, self.pbx.ari_password,
                                  self.app, self.http)
        self._nudge(set(PHONE_PASSWORDS) - await self.online_on_pbx())

    async def close(self) -> None:
        await self._pbx_ari.close()
        await super().close()

    def _nudge(self, operators: Iterable[str]) -> None:
        """Ask the PBX to check the phone's contact it kept (after a restart it has it from
        its database and waits up to qualify_frequency to check it), and the phone to
        register again (which Asterisk sends a second later)."""
        now = time.monotonic()
        for operator in operators:
            if now - self._nudged.get(operator, -NUDGE_EVERY) >= NUDGE_EVERY:
                self._nudged[operator] = now
                self.pbx.cli(f"pjsip qualify {operator}")
                self.register_now(operator)

    async def online_on_pbx(self) -> set[str]:
        """The operators whose phone the PBX has a contact for."""
        return {name for name, state in (await self._pbx_endpoints()).items()
                if state == "online"}

    async def _pbx_endpoints(self) -> dict[str, str]:
        return {str(e["resource"]): str(e["state"])
                for e in await self._pbx_ari.endpoints("PJSIP")}

    async def until_online(self, operators: Iterable[str], timeout: float = 40,
                           resync: Callable[[], None] | None = None) -> None:
        """Wait until the PBX has a contact for each of these phones, asking a phone to
        REGISTER again while it lacks one (every NUDGE_EVERY seconds, not sooner). Called once
        the test's app has put the accounts back; `resync` asks that app to write them
        again should the PBX not list them (seen once in a full run, cause not found)."""
        wanted = set(operators)
        resynced = time.monotonic()

        async def probe() -> bool:
            nonlocal resynced
            endpoints = await self._pbx_endpoints()
            missing = {name for name in wanted if endpoints.get(name) != "online"}
            for name in wanted - missing:  # registered: the next loss is asked about at once
                self._nudged.pop(name, None)
            self._nudge(missing)
            unlisted = missing - set(endpoints)
            if unlisted and resync is not None and time.monotonic() - resynced > RESYNC_EVERY:
                print(f"the PBX does not list {sorted(unlisted)}: the app syncs again")
                resynced = time.monotonic()
                resync()
            return not missing

        try:
            await wait_for(probe, timeout=timeout, interval=0.2,
                           what=f"phones {sorted(wanted)} registered to the PBX")
        except AssertionError:
            print(self.instance.cli("pjsip show registrations"))
            print(self.pbx.cli("pjsip show contacts"))
            print("endpoint states (ARI):", await self._pbx_endpoints())
            print("asked to register (monotonic):", self._nudged, "now:", time.monotonic())
            raise

    def _on_event(self, event: ari.Event) -> None:
        channel_id = ari.channel_id_of(event)
        if isinstance(event, ari.RecordingFinished):
            channel_id = event.name
        if isinstance(event, ari.StasisStart) and channel_id not in self.calls:
            channel = event.channel
            operator = event.args[0] if event.args else channel.exten
            self.calls[channel.id] = PhoneCall(
                channel.id, operator, False, channel.caller_number, channel.caller_name
            )
            asyncio.create_task(self._ring(channel.id))  # noqa: RUF006 - best effort
        if channel_id in self.calls:
            self.calls[channel_id].events.append(event)

    async def _ring(self, channel_id: str) -> None:
        with contextlib.suppress(AriError):
            await self.ari.request("POST", f"/channels/{channel_id}/ring")

    # Registration, as the phone sees it
    def registration_status(self, operator: str) -> str:
        """`Registered`, `Rejected`, `Unregistered`, ... from `pjsip show registrations`."""
        for line in self.instance.cli("pjsip show registrations").splitlines():
            words = line.split()
            if words and words[0].startswith(f"{operator}/"):
                return words[2]
        return ""

    def register_now(self, operator: str) -> None:
        """Send a fresh REGISTER at once instead of waiting for the refresh."""
        self.instance.cli(f"pjsip send register {operator}")

    # Calls to the phones
    async def offer(self, operator: str, timeout: float = 15) -> PhoneCall:
        """The next call ringing on this operator's phone not yet handed out."""

        def probe() -> PhoneCall | None:
            return next((c for c in self.calls.values() if c.operator == operator
                         and not c.outgoing and not c.taken), None)

        call = await wait_for(probe, timeout=timeout, what=f"a call ringing on {operator}")
        call.taken = True
        return call

    async def answer(self, call: PhoneCall, *, record: bool = True) -> None:
        await self.ari.answer(call.channel_id)
        if record:
            await self.record_snoop(call.channel_id, call.channel_id)

    async def reject(self, call: PhoneCall, reason: str = "busy") -> None:
        await self.ari.hangup(call.channel_id, reason)

    async def send_dtmf(self, call: PhoneCall, digits: str) -> None:
        await self.ari.send_dtmf(call.channel_id, digits)

    async def hang_up(self, call: PhoneCall) -> None:
        await self.ari.hangup(call.channel_id)

    async def ended(self, call: PhoneCall, timeout: float = 30) -> PhoneCall:
        await wait_for(lambda: call.ended, timeout=timeout, what=f"{call.operator} call ended")
        return call

    def recording_path(self, call: PhoneCall) -> str:
        return str(self.recording_file(call.channel_id))

    # Calls from the phones
    async def dial(self, operator: str, exten: str, timeout: int = 15) -> PhoneCall:
        """Place a call from this operator's phone to `exten` on the PBX."""
        channel_id = f"phone-{operator}-{uuid.uuid4().hex[:8]}"
        call = PhoneCall(channel_id, operator, True)
        self.calls[channel_id] = call
        await self.ari.originate(
            f"PJSIP/{exten}@{operator}", channel_id=channel_id, app_args="dial", timeout=timeout
        )
        return call
