"""The SIP guard's decisions, without Asterisk: events -> failures -> bans -> expiry."""

from __future__ import annotations

import asyncio

import pytest

from lifeline_pbx.sipguard import ami, bans
from lifeline_pbx.sipguard.bans import Ban, Failure, Policy, State
from tests.waiting import wait_for

POLICY = Policy(failures=3, window=60, ban_for=600, never=bans.networks("127.0.0.1, 10.0.0.0/8"))


def event(name: str, remote: str, service: str = "PJSIP", account: str = "ana") -> dict[str, str]:
    return {"Event": name, "Service": service, "RemoteAddress": remote, "AccountID": account}


@pytest.mark.parametrize(
    ("message", "failure"),
    [
        (event("ChallengeResponseFailed", "IPV4/UDP/203.0.113.7/5060"),
         Failure("203.0.113.7", "ana")),
        (event("InvalidAccountID", "IPV4/TCP/203.0.113.8/41000", account="admin"),
         Failure("203.0.113.8", "admin")),
        (event("InvalidPassword", "IPV4/UDP/203.0.113.9/5060"), Failure("203.0.113.9", "ana")),
        (event("ChallengeResponseFailed", "IPV6/UDP/[2001:db8::1]/5060"),
         Failure("2001:db8::1", "ana")),
        (event("ChallengeResponseFailed", "IPV6/UDP/::ffff:203.0.113.7/5060"),
         Failure("203.0.113.7", "ana")),
        (event("SuccessfulAuth", "IPV4/UDP/203.0.113.7/5060"), None),
        (event("ChallengeSent", "IPV4/UDP/203.0.113.7/5060"), None),
        (event("ChallengeResponseFailed", "IPV4/TCP/127.0.0.1/5038", service="AMI"), None),
        (event("ChallengeResponseFailed", "garbage"), None),
        (event("ChallengeResponseFailed", "IPV4/UDP/not-an-ip/5060"), None),
        ({"Event": "ChallengeResponseFailed", "Service": "PJSIP"}, None),
    ],
)
def test_which_events_are_failures(message: dict[str, str], failure: Failure | None) -> None:
    assert bans.failure_of(message) == failure


def run(failures: list[tuple[float, str, str]], policy: Policy = POLICY) -> tuple[State, list[Ban]]:
    state, made = State(), []
    for now, address, account in failures:
        state, ban = bans.on_failure(state, policy, Failure(address, account), now)
        if ban:
            made.append(ban)
    return state, made


@pytest.mark.parametrize(
    ("failures", "banned"),
    [
        # (time, address, account tried) -> bans made
        ([(0, "203.0.113.7", "a"), (1, "203.0.113.7", "a")], []),
        ([(0, "203.0.113.7", "a"), (1, "203.0.113.7", "b"), (2, "203.0.113.7", "c")],
         [Ban("203.0.113.7", 602, 3, 3)]),
        # the window slides: the first failure is forgotten by the third
        ([(0, "203.0.113.7", "a"), (50, "203.0.113.7", "a"), (61, "203.0.113.7", "a")], []),
        ([(0, "203.0.113.7", "a"), (50, "203.0.113.7", "a"), (59, "203.0.113.7", "a")],
         [Ban("203.0.113.7", 659, 3, 1)]),
        # addresses are counted apart
        ([(0, "203.0.113.7", "a"), (1, "203.0.113.8", "a"), (2, "203.0.113.7", "a")], []),
        # exempt: a configured address and a configured network
        ([(t, "127.0.0.1", "a") for t in range(10)], []),
        ([(t, "10.1.2.3", "a") for t in range(10)], []),
        # an address already banned is not banned again (an event still in flight)
        ([(t, "203.0.113.7", "a") for t in range(6)], [Ban("203.0.113.7", 602, 3, 1)]),
    ],
)
def test_failures_within_the_window_ban_an_address(
    failures: list[tuple[float, str, str]], banned: list[Ban]
) -> None:
    assert run(failures)[1] == banned


def test_a_ban_expires_and_the_address_starts_from_zero() -> None:
    state, _ = run([(0, "203.0.113.7", "a"), (1, "203.0.113.7", "a"), (2, "203.0.113.7", "a"),
                    (3, "203.0.113.8", "a")])
    assert dict(state.bans) == {"203.0.113.7": 602}
    assert bans.next_change(state, POLICY) == 63  # .8's lone failure leaves the window
    state, lifted = bans.expire(state, POLICY, 100)
    assert (lifted, dict(state.recent), dict(state.bans)) == ([], {}, {"203.0.113.7": 602})
    assert bans.next_change(state, POLICY) == 602
    state, lifted = bans.expire(state, POLICY, 602)
    assert (lifted, dict(state.bans)) == (["203.0.113.7"], {})
    assert bans.next_change(state, POLICY) is None
    state, ban = bans.on_failure(state, POLICY, Failure("203.0.113.7", "a"), 603)
    assert ban is None and len(state.recent["203.0.113.7"]) == 1


def test_a_flood_from_many_addresses_is_counted_within_a_bound(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bans, "MAX_TRACKED", 3)
    state, _ = run([(0, "203.0.113.1", "a"), (1, "203.0.113.2", "a"), (2, "203.0.113.3", "a"),
                    (3, "203.0.113.1", "a"), (4, "203.0.113.4", "a")])
    # .2 was heard from least recently, so it is the one forgotten
    assert sorted(state.recent) == ["203.0.113.1", "203.0.113.3", "203.0.113.4"]
    assert len(state.recent["203.0.113.1"]) == 2


@pytest.mark.parametrize(
    ("addresses", "deny"),
    [
        ([], ""),
        (["203.0.113.7"], "203.0.113.7/32"),
        (["203.0.113.9", "2001:db8::1", "198.51.100.1"],
         "198.51.100.1/32,203.0.113.9/32,2001:db8::1/128"),
    ],
)
def test_the_deny_list_written_to_asterisk(addresses: list[str], deny: str) -> None:
    assert bans.deny_list(addresses) == deny


def test_a_deny_list_refuses_anything_but_addresses() -> None:
    with pytest.raises(ValueError):
        bans.deny_list(["0.0.0.0/0"])  # a network, never a single banned address
    with pytest.raises(ValueError):
        bans.deny_list(["203.0.113.7,0.0.0.0/0"])


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (b"Event: InvalidAccountID\r\nService: PJSIP\r\nAccountID: x\r\n\r\n",
         {"Event": "InvalidAccountID", "Service": "PJSIP", "AccountID": "x"}),
        (b"Response: Success\r\nMessage: Authentication accepted\r\n\r\n",
         {"Response": "Success", "Message": "Authentication accepted"}),
        (b"Event: X\r\nno colon here\r\nKey: a: b\r\nKey: second\r\n\r\n",
         {"Event": "X", "Key": "a: b"}),
    ],
)
def test_ami_messages_are_parsed(block: bytes, message: dict[str, str]) -> None:
    assert ami.parse(block) == message


def test_an_ami_login_cannot_carry_extra_lines() -> None:
    assert ami.login_action("u", "s").endswith(b"Events: security\r\n\r\n")
    with pytest.raises(ami.AmiError):
        ami.login_action("u", "s\r\nAction: Originate")


async def test_ami_reader_survives_a_bad_event_and_reconnects_after_a_drop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A fake AMI server: Asterisk cannot be made to drop one AMI session on demand."""
    sessions: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        sessions.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"Response: Success\r\nMessage: Authentication accepted\r\n\r\n")
        for n in (1, 2):
            writer.write(f"Event: Test\r\nN: {len(sessions)}.{n}\r\n\r\n".encode())
        await writer.drain()
        writer.close()  # the drop

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    seen: list[str] = []

    def on_event(message: ami.Message) -> None:
        if message["N"] == "1.1":
            raise RuntimeError("a handler bug")
        seen.append(message["N"])

    task = asyncio.create_task(ami.run("127.0.0.1", port, "u", "s", on_event))
    try:
        await wait_for(lambda: "2.2" in seen, what="events after a reconnection")
    finally:
        task.cancel()
        server.close()
    assert seen[:3] == ["1.2", "2.1", "2.2"]
    assert sessions[0] == b"Action: Login\r\nUsername: u\r\nSecret: s\r\nEvents: security\r\n\r\n"
    assert "ami event handler failed event=Test" in caplog.text
