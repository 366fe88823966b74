"""Operators' SIP accounts: the rules, the table, and Asterisk following it without a restart."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from devstack import asterisk
from lifeline_pbx import cli, db, demo, pg_listen
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.ari.events import EndpointState
from lifeline_pbx.errors import AriError
from lifeline_pbx.migrate import MIGRATIONS_DIR, migrate
from lifeline_pbx.operators import sip_sync, store
from lifeline_pbx.operators.pjsip import pjsip_objects, same_fields
from lifeline_pbx.operators.sip_credentials import sip_md5_cred
from lifeline_pbx.operators.sip_sync import OperatorSync
from lifeline_pbx.prompts import LANGUAGES
from lifeline_pbx.queues import phones as queue_phones
from lifeline_pbx.resources import ACD, ARI, CONFIG, OPERATOR_SYNC, POOL
from tests.pg_fixtures import as_app_role
from tests.phones import PHONE_PASSWORDS, Phones, put_back
from tests.softphone import Softphone
from tests.waiting import wait_for

OP = store.Operator(7, "Ana Pérez", "ana.perez", "0123456789abcdef0123456789abcdef",
                    ("es", "en"), True)


def test_pjsip_objects_of_an_operator() -> None:
    assert pjsip_objects(OP) == [
        ("auth", "ana.perez", {
            "auth_type": "digest", "username": "ana.perez", "realm": "lifeline",
            "md5_cred": "0123456789abcdef0123456789abcdef",
        }),
        ("aor", "ana.perez", {"max_contacts": "1", "remove_existing": "yes",
                              "qualify_frequency": "30"}),
        ("endpoint", "ana.perez", {
            "transport": "transport-udp", "context": "operators", "identify_by": "username",
            "auth": "ana.perez",
            "aors": "ana.perez", "disallow": "all", "allow": "ulaw,alaw",
            "dtmf_mode": "rfc4733", "direct_media": "no", "rtp_symmetric": "yes",
            "force_rport": "yes", "rewrite_contact": "yes", "allow_transfer": "no",
            "callerid": '"Ana Pérez"', "language": "es",
            "rtp_timeout": "30", "rtp_timeout_hold": "300",
        }),
    ]
    endpoint = pjsip_objects(OP, 0)[2][2]  # the setting at 0: a phone is never cut
    assert (endpoint["rtp_timeout"], endpoint["rtp_timeout_hold"]) == ("0", "0")


def test_demo_operator_objects() -> None:
    display, username, password, languages = demo.DEMO_OPERATOR
    op = store.validate(display, username, password, languages, LANGUAGES)
    objects = {kind: fields for kind, _, fields in pjsip_objects(
        store.Operator(1, op.display_name, op.sip_username, op.sip_md5_cred, op.languages, True))}
    assert objects["auth"]["username"] == "operator1"
    assert objects["auth"]["md5_cred"] == sip_md5_cred("operator1", "lifeline-demo-1")
    assert objects["endpoint"]["auth"] == objects["endpoint"]["aors"] == "operator1"
    assert objects["endpoint"]["context"] == "operators"
    assert objects["endpoint"]["callerid"] == '"Demo Operator"'
    assert objects["endpoint"]["language"] == "en"


@pytest.mark.parametrize(
    ("wanted", "echoed", "same"),
    [
        ({"remove_existing": "yes"}, {"remove_existing": "true"}, True),
        ({"direct_media": "no"}, {"direct_media": "false"}, True),
        ({"allow": "ulaw,alaw"}, {"allow": "(ulaw|alaw)"}, True),
        ({"allow": "ulaw,alaw"}, {"allow": "(ulaw)"}, False),
        ({"qualify_frequency": "30"}, {"qualify_frequency": "30"}, True),
        ({"qualify_timeout": "3"}, {"qualify_timeout": "3.000000"}, True),
        ({"disallow": "all"}, {}, True),  # write-only: Asterisk does not echo it
        ({"md5_cred": "aa"}, {"md5_cred": "bb"}, False),
        ({"context": "operators"}, {"context": "from-carrier"}, False),
        ({"callerid": '"Ana Pérez"'}, {"callerid": "Ana Pérez"}, True),
    ],
)
def test_same_fields_reads_asterisks_spelling(
    wanted: dict[str, str], echoed: dict[str, str], same: bool
) -> None:
    assert same_fields(wanted, echoed) is same


GOOD: dict[str, Any] = {"display_name": "Ana Pérez", "username": "ana.perez",
        "password": "correct-horse-77", "languages": ("es", "en"),
        "known": LANGUAGES}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"username": "Ana Perez"}, "username 'Ana Perez': use 3 to 40 lowercase letters"),
        ({"username": "ab"}, "username 'ab': use 3 to 40"),
        ({"username": "-ana"}, "starting with a letter or digit"),
        ({"username": "carrier"}, "username 'carrier' is reserved"),
        ({"password": "short-pw-1"}, "password is too short: at least 12 characters"),
        ({"password": "aaaaaaaaaaaaaaaa"}, "password is too simple"),
        ({"password": "my-ana.perez-pw"}, "password must not contain the username"),
        ({"languages": ("es", "xx")}, "unknown language 'xx' (known: en, es"),
        ({"languages": ()}, "give at least one language"),
        ({"display_name": "  "}, "display name is empty"),
        ({"display_name": 'Ana "the boss"'}, "display name must not contain quotes"),
    ],
)
def test_store_refuses_bad_accounts_with_clear_messages(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(store.OperatorError, match=re.escape(message)):
        store.validate(**{**GOOD, **change})


@pytest.mark.parametrize(("languages", "known", "problems"), [
    (("es",), ("es", "en"), []),
    (("quc", "knj"), ("es", "quc", "knj"), []),  # recorded only, or added by an admin
    ((), ("es", "en"), ["give at least one language the operator speaks (es, en)"]),
    (("xx",), ("es", "en"), ["unknown language 'xx' (known: es, en)"]),
    (("es", "xx", "yy"), ("es",), ["unknown language 'xx', 'yy' (known: es)"]),
    (("knj",), ("es", "en"), ["unknown language 'knj' (known: es, en)"]),  # not added yet
])
def test_an_operators_languages_are_among_the_known(
    languages: tuple[str, ...], known: tuple[str, ...], problems: list[str]
) -> None:
    assert store.language_problems(languages, known) == problems


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(store.OperatorError) as caught:
        store.validate("Ana", "A", "short", ["zz"], LANGUAGES)
    problems = str(caught.value).split("; ")
    assert [p.split()[0] for p in problems] == ["username", "unknown", "password"]


def test_generated_passwords_pass_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(20):
        password = store.generate_password("ana")
        assert store.validate("Ana", "ana", password, ["en"], LANGUAGES).sip_username == "ana"
        assert len(password.replace("-", "")) == 24
    # A draw that happens to hold the username (about 1 in 2,500 for a 3-letter name) is
    # drawn again rather than refused by validate.
    drawn = iter("ana2" + "b" * 20 + "c" * 24)
    monkeypatch.setattr(secrets, "choice", lambda _: next(drawn))
    assert store.generate_password("ana") == "-".join(["cccc"] * 6)


async def test_store_writes_the_table_and_notifies(app_dsn: str) -> None:
    con = await asyncpg.connect(app_dsn)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await con.add_listener(sip_sync.CHANNEL, lambda *args: heard.put_nowait(args[3]))
    try:
        op = await store.add(con, store.validate(**GOOD))
        assert (op.sip_username, op.languages, op.enabled) == ("ana.perez", ("es", "en"), True)
        assert await asyncio.wait_for(heard.get(), 5) == "ana.perez"
        with pytest.raises(store.OperatorError, match=r"'ana\.perez' already exists"):
            await store.add(con, store.validate(**GOOD))
        assert not (await store.set_enabled(con, "ana.perez", False)).enabled
        assert await asyncio.wait_for(heard.get(), 5) == "ana.perez"
        assert [o.sip_username for o in await store.list_enabled(con)] == ["operator1"]
        await con.execute("UPDATE operators SET enabled = enabled")  # nothing Asterisk sees
        assert (await store.set_enabled(con, "ana.perez", True)).enabled
        assert await asyncio.wait_for(heard.get(), 5) == "ana.perez"
        assert heard.empty()
        with pytest.raises(store.OperatorError, match="no operator with username 'nobody'"):
            await store.set_enabled(con, "nobody", False)
    finally:
        await con.close()


# --- Asterisk follows the table --------------------------------------------------------


async def endpoint_state(lifeline: web.Application, name: str) -> str | None:
    """The PBX's view of an endpoint: "online", "offline", or None if it does not exist."""
    try:
        data: dict[str, Any] = await lifeline[ARI].request("GET", f"/endpoints/PJSIP/{name}")
    except AriError as exc:
        if exc.status == 404:
            return None
        raise
    return str(data["state"])


def has_contact(pbx: asterisk.Instance, name: str) -> bool:
    return f"{name}/sip:" in pbx.cli("pjsip show contacts")


async def add_operator(lifeline: web.Application, username: str, password: str) -> store.Operator:
    """What `lifeline operator add` does: write the table, nothing else."""
    async with lifeline[POOL].acquire() as con:
        return await store.add(con, store.validate(f"Test {username}", username, password,
                                                   ["en"], LANGUAGES))


async def set_enabled(lifeline: web.Application, username: str, enabled: bool) -> None:
    async with lifeline[POOL].acquire() as con:
        await store.set_enabled(con, username, enabled)


async def remove_operator(lifeline: web.Application, username: str) -> None:
    """One of the phones' operators (in every database on the PBX) deleted, its account gone."""
    async with lifeline[POOL].acquire() as con:
        await con.execute("DELETE FROM operators WHERE sip_username = $1", username)
    await wait_for(lambda: state_is(lifeline, username, None), what=f"{username} removed")


@pytest.fixture
async def operator_sync(lifeline: web.Application) -> AsyncIterator[OperatorSync]:
    """The app's own operator sync, listening; the PBX is left with the phones' accounts
    alone after (tests/phones.py put_back). The syncs of the app's start are over: a test
    changing things behind the app's back is not undone by one of them."""
    await wait_for(lifeline[OPERATOR_SYNC].listening.is_set, what="LISTEN on operator changes")
    await wait_for(lifeline[OPERATOR_SYNC].settled, what="the app's first operator syncs")
    try:
        yield lifeline[OPERATOR_SYNC]
    finally:
        async with lifeline[POOL].acquire() as con:
            await put_back(con)
        # Let the app finish its own sync of this (maybe empty) change before it stops.
        lifeline[OPERATOR_SYNC].request()
        await wait_for(lifeline[OPERATOR_SYNC].settled, what="the app's sync")
        await sip_sync.sync(lifeline[POOL], lifeline[ARI])


async def state_is(lifeline: web.Application, name: str, wanted: str | None) -> bool:
    return await endpoint_state(lifeline, name) == wanted


async def test_a_new_operator_registers_without_restarting_asterisk(
    lifeline: web.Application, operator_sync: OperatorSync, phones: Phones, pbx: asterisk.Instance
) -> None:
    await remove_operator(lifeline, "op-a")
    await add_operator(lifeline, "op-a", PHONE_PASSWORDS["op-a"])
    await phones.until_online(["op-a"])
    await wait_for(lambda: state_is(lifeline, "op-a", "online"), what="op-a online")
    await wait_for(lambda: phones.registration_status("op-a") == "Registered",
                   what="the phone sees its registration accepted")
    await queues_follow(lifeline, phones, "op-a")


async def queues_follow(lifeline: web.Application, phones: Phones, name: str) -> None:
    """The queues see the phone come and go as it happens (the app subscribes to each
    operator's endpoint, a new one's as soon as its account is written)."""
    picture = lifeline[ACD].picture
    await wait_for(lambda: name in picture.online, what=f"{name} online for the queues")
    phones.instance.cli(f"pjsip send unregister {name}")
    await wait_for(lambda: name not in picture.online, what=f"{name} offline for the queues")
    phones.register_now(name)
    await wait_for(lambda: name in picture.online, what=f"{name} back for the queues")


async def test_a_subscription_asterisk_lost_is_made_again_and_the_state_read(
    lifeline: web.Application, operator_sync: OperatorSync, phones: Phones
) -> None:
    await phones.until_online(["op-a"])
    acd, ari = lifeline[ACD], lifeline[ARI]
    await wait_for(lambda: "op-a" in acd.picture.online, what="op-a online for the queues")
    # As if Asterisk had dropped it. The app may have subscribed twice (its start-up
    # refresh and its first sync's, both finding op-a), and Asterisk counts them.
    while "PJSIP/op-a" in await ari.subscribed_endpoints():
        await ari.unsubscribe([queue_phones.source("op-a")])
    phones.instance.cli("pjsip send unregister op-a")

    async def offline() -> bool:
        return "op-a" not in await phones.online_on_pbx()

    await wait_for(offline, what="op-a offline on the PBX")
    assert "op-a" in acd.picture.online  # no event came: the queues still count on op-a
    await acd.following.check_following()
    assert "PJSIP/op-a" in await ari.subscribed_endpoints()
    assert "op-a" not in acd.picture.online
    await phones.until_online(["op-a"])  # and its events come again
    await queues_follow(lifeline, phones, "op-a")


async def test_a_listing_answered_before_a_registration_does_not_undo_it(
    lifeline: web.Application, operator_sync: OperatorSync, phones: Phones
) -> None:
    """The app reads every phone's state (after a sync, a reconnect, every FOLLOW_CHECK)
    while events keep coming: a listing Asterisk answered before a phone registered may
    reach the app after the registration's event. The phone stays online for the queues
    (it was left offline until the next check, 30 s later)."""
    await phones.until_online(["op-a"])
    acd = lifeline[ACD]
    await wait_for(lambda: "op-a" in acd.picture.online, what="op-a online for the queues")
    phones.instance.cli("pjsip send unregister op-a")
    await wait_for(lambda: "op-a" not in acd.picture.online, what="op-a offline for the queues")

    following = acd.following
    listing = following._endpoints

    async def answered_before_the_registration() -> list[EndpointState]:
        before = await listing()  # op-a offline in it
        phones.register_now("op-a")
        await wait_for(lambda: "op-a" in acd.picture.online, what="the registration's event")
        return before

    following._endpoints = answered_before_the_registration  # type: ignore[method-assign]
    try:
        await following.refresh_endpoints()
    finally:
        del following._endpoints
    assert "op-a" in acd.picture.online
    await following.refresh_endpoints()  # a listing asked after the event counts again
    assert "op-a" in acd.picture.online
    await queues_follow(lifeline, phones, "op-a")


async def test_a_disabled_operator_is_removed_and_cannot_register(
    lifeline: web.Application, operator_sync: OperatorSync, phones: Phones, pbx: asterisk.Instance
) -> None:
    await phones.until_online(["op-a"])

    await set_enabled(lifeline, "op-a", False)
    await wait_for(lambda: state_is(lifeline, "op-a", None), what="op-a removed")
    assert not has_contact(pbx, "op-a")
    phones.register_now("op-a")
    await wait_for(lambda: phones.registration_status("op-a") == "Rejected",
                   what="the phone's next REGISTER refused")
    assert not has_contact(pbx, "op-a")

    await set_enabled(lifeline, "op-a", True)  # and back, still without a restart
    await wait_for(lambda: has_contact(pbx, "op-a"), what="op-a registered again")
    await queues_follow(lifeline, phones, "op-a")  # the endpoint written again


async def test_a_wrong_password_never_registers(
    lifeline: web.Application, operator_sync: OperatorSync, phones: Phones, pbx: asterisk.Instance
) -> None:
    await remove_operator(lifeline, "op-c")
    await add_operator(lifeline, "op-c", "not-what-the-phone-has-1")
    await wait_for(lambda: state_is(lifeline, "op-c", "offline"), what="op-c endpoint exists")
    for _ in range(2):  # two fresh attempts, both after the account exists
        phones.register_now("op-c")
        await wait_for(lambda: phones.registration_status("op-c") == "Rejected",
                       what="op-c refused")
    assert not has_contact(pbx, "op-c")
    assert await endpoint_state(lifeline, "op-c") == "offline"


@dataclass
class Bare:
    """The database and the PBX's ARI with no app running: nobody else syncs."""

    pool: sip_sync.Pool
    ari: AriClient

    async def state(self, name: str) -> str | None:
        try:
            data: dict[str, Any] = await self.ari.request("GET", f"/endpoints/PJSIP/{name}")
        except AriError as exc:
            if exc.status == 404:
                return None
            raise
        return str(data["state"])

    async def fields(self, kind: str, name: str) -> dict[str, str]:
        items = await self.ari.request("GET", f"/asterisk/config/dynamic/res_pjsip/{kind}/{name}")
        return {item["attribute"]: item["value"] for item in items}


@pytest.fixture
async def bare(pbx: asterisk.Instance, app_dsn: str) -> AsyncIterator[Bare]:
    async with aiohttp.ClientSession() as http:
        pool = await db.create_pool(app_dsn)
        it = Bare(pool, AriClient(pbx.ari_url, pbx.ari_user, pbx.ari_password, "test", http))
        try:
            yield it
        finally:
            async with pool.acquire() as con:
                await put_back(con)
            await sip_sync.sync(pool, it.ari)
            await pool.close()


async def bare_state_is(bare: Bare, name: str, wanted: str | None) -> bool:
    return await bare.state(name) == wanted


async def test_sync_is_idempotent_and_removes_what_the_table_no_longer_has(bare: Bare) -> None:
    everyone = ["op-a", "op-b", "op-c", "operator1"]  # the phones' operators and the demo's
    first = await sip_sync.sync(bare.pool, bare.ari)
    assert sorted(first.created + first.unchanged) == everyone
    assert first.failed == {}
    second = await sip_sync.sync(bare.pool, bare.ari)
    assert (second.created, second.updated, second.deleted, second.failed) == ([], [], [], {})
    assert second.unchanged == everyone

    async with bare.pool.acquire() as con:  # a change, and a row deleted outright
        await con.execute("UPDATE operators SET languages = '{en}' WHERE sip_username = 'op-b'")
        await con.execute("DELETE FROM operators WHERE sip_username = 'operator1'")
    third = await sip_sync.sync(bare.pool, bare.ari)
    assert (third.updated, third.deleted) == (["op-b"], ["operator1"])
    assert (await bare.fields("endpoint", "op-b"))["language"] == "en"
    # ARI lists endpoints from a cache that follows the deleted objects a moment later.
    await wait_for(lambda: bare_state_is(bare, "operator1", None),
                   what="operator1's endpoint no longer listed")
    for kind in ("auth", "aor", "endpoint"):
        with pytest.raises(AriError) as gone:
            await bare.fields(kind, "operator1")
        assert gone.value.status == 404
    assert await bare.state("carrier") is not None  # pjsip.conf is not touched

    async with bare.pool.acquire() as con:
        await store.set_enabled(con, "op-b", False)
    assert (await sip_sync.sync(bare.pool, bare.ari)).deleted == ["op-b"]


async def test_after_an_asterisk_restart_the_stored_accounts_are_followed(
    bare: Bare, pbx: asterisk.Instance, phones: Phones
) -> None:
    """Asterisk restarted and no app has synced since: a phone registering to its stored
    account is online at once (Asterisk loaded and follows every stored endpoint)."""
    await sip_sync.sync(bare.pool, bare.ari)
    await phones.until_online(["op-a"])
    pbx.stop()
    pbx.start()
    await phones.until_online(["op-a"])
    assert "op-a" in sorcery_endpoints(pbx)
    again = await sip_sync.sync(bare.pool, bare.ari)  # nothing to write
    assert (again.restored, again.updated, again.created) == ([], [], [])


def sorcery_endpoints(pbx: asterisk.Instance) -> set[str]:
    """The endpoints `pjsip show endpoints` lists: every one sorcery finds (the list the
    PBX's own state-keeping works from), not only what ARI has seen."""
    return {line.split()[1].split("/")[0] for line in pbx.cli("pjsip show endpoints").splitlines()
            if line.strip().startswith("Endpoint:") and "<" not in line}


async def test_a_half_finished_removal_is_written_back_whole(
    bare: Bare, phones: Phones, pbx: asterisk.Instance
) -> None:
    """An app stopped in the middle of removing an account (auth and aor gone, endpoint
    left): the next sync writes them back, and the phone is online again (the endpoint's
    state follows its new aor: asterisk-conf/sorcery.conf's cache comes first)."""
    await sip_sync.sync(bare.pool, bare.ari)
    await phones.until_online(["op-c"])
    for kind in ("auth", "aor"):
        await bare.ari.delete_dynamic_object("res_pjsip", kind, "op-c")
    await wait_for(lambda: not has_contact(pbx, "op-c"), what="op-c's contact gone with its aor")

    report = await sip_sync.sync(bare.pool, bare.ari)
    assert report.updated == ["op-c"]
    await phones.until_online(["op-c"])


async def test_a_name_taken_in_pjsip_conf_is_refused(bare: Bare) -> None:
    async with bare.pool.acquire() as con:  # the store refuses it; a raw INSERT does not
        await con.execute(
            "INSERT INTO operators (display_name, sip_username, sip_md5_cred, languages)"
            " VALUES ('Impostor', 'carrier', $1, '{en}')", "0" * 32)
    report = await sip_sync.sync(bare.pool, bare.ari)
    assert "outside Lifeline" in report.failed["carrier"]
    assert (await bare.fields("endpoint", "carrier"))["context"] == "from-carrier"


async def test_the_demo_operator_in_asterisk(bare: Bare) -> None:
    report = await sip_sync.sync(bare.pool, bare.ari)
    assert "operator1" in report.created + report.unchanged
    auth = await bare.fields("auth", "operator1")
    aor = await bare.fields("aor", "operator1")
    endpoint = await bare.fields("endpoint", "operator1")
    assert auth["md5_cred"] == sip_md5_cred("operator1", "lifeline-demo-1")
    assert (auth["auth_type"], auth["realm"], auth["username"]) == (
        "digest", "lifeline", "operator1")
    assert (aor["max_contacts"], aor["remove_existing"]) == ("1", "true")
    assert endpoint["context"] == "operators"
    assert (endpoint["auth"], endpoint["aors"]) == ("operator1", "operator1")
    assert (endpoint["allow"], endpoint["dtmf_mode"]) == ("(ulaw|alaw)", "rfc4733")
    assert (endpoint["direct_media"], endpoint["rtp_symmetric"]) == ("false", "true")
    assert endpoint["callerid"] == "Demo Operator"


async def listener_pids(lifeline: web.Application) -> list[int]:
    async with lifeline[POOL].acquire() as con:
        rows = await con.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
            pg_listen.APPLICATION_NAME)
    return [row["pid"] for row in rows]


async def test_changes_still_arrive_after_the_database_connection_is_lost(
    lifeline: web.Application, operator_sync: OperatorSync, phones: Phones, pbx: asterisk.Instance
) -> None:
    [old] = await listener_pids(lifeline)
    async with lifeline[POOL].acquire() as con:
        await con.execute("SELECT pg_terminate_backend($1)", old)

    async def reconnected() -> bool:
        pids = await listener_pids(lifeline)
        return bool(pids) and old not in pids and operator_sync.listening.is_set()

    await wait_for(reconnected, what="LISTEN connection back")
    await phones.until_online(["op-b"])
    async with lifeline[POOL].acquire() as con:
        await con.execute(
            "UPDATE operators SET display_name = 'Renamed op-b' WHERE sip_username = 'op-b'")

    async def renamed() -> bool:
        endpoint = await lifeline[ARI].request(
            "GET", "/asterisk/config/dynamic/res_pjsip/endpoint/op-b")
        return {"attribute": "callerid", "value": "Renamed op-b"} in endpoint

    await wait_for(renamed, what="op-b's new name in Asterisk")
    assert "op-b" in await phones.online_on_pbx()  # the account rewritten, the phone still on


async def test_what_operators_dial_goes_to_the_app_and_nowhere_else(
    lifeline: web.Application, operator_sync: OperatorSync, phones: Phones, pbx: asterisk.Instance
) -> None:
    await phones.until_online(["op-a"])
    for dialled in ("*1", "15550100101"):
        call = await phones.dial("op-a", dialled)
        channel: dict[str, Any] = await wait_for(lambda: operator_channel(lifeline, "op-a"),
                                 what=f"op-a's call to {dialled} in the app")
        assert channel["dialplan"]["context"] == "operators"
        assert channel["dialplan"]["app_data"] == f"lifeline,operator,{dialled}"
        await phones.hang_up(call)
        await phones.ended(call)
        await wait_for(lambda: _no_channel(lifeline, "op-a"), what="op-a's call gone")


async def operator_channel(lifeline: web.Application, operator: str) -> dict[str, Any] | None:
    channels = await lifeline[ARI].channels()
    return next((c for c in channels if c["name"].startswith(f"PJSIP/{operator}-")
                 and c["dialplan"].get("app_name") == "Stasis"), None)


async def _no_channel(lifeline: web.Application, operator: str) -> bool:
    return await operator_channel(lifeline, operator) is None


async def test_baresip_registers_as_a_new_operator(
    lifeline: web.Application, operator_sync: OperatorSync, pbx: asterisk.Instance,
    softphone: Callable[[str, str], Softphone],
) -> None:
    await add_operator(lifeline, "soft-1", "baresip-Secret-99")
    await wait_for(lambda: state_is(lifeline, "soft-1", "offline"), what="soft-1 endpoint")
    phone = softphone("soft-1", "baresip-Secret-99")
    await wait_for(lambda: has_contact(pbx, "soft-1"), timeout=20, what="baresip registered")
    await wait_for(lambda: state_is(lifeline, "soft-1", "online"), what="soft-1 online")
    assert phone.running(), phone.log_text()
    assert "200 OK" in phone.log_text()

    # It answers by itself, and what it hears is written down.
    await lifeline[ARI].originate("PJSIP/soft-1", channel_id="to-softphone", app_args="test")
    await wait_for(lambda: _channel_up(lifeline, "to-softphone"), what="baresip answered")
    await lifeline[ARI].play("to-softphone", ["tone:440/1000"], "tone-to-softphone")
    await wait_for(lambda: any(f.stat().st_size > 8000 for f in phone.heard_files()),
                   what="baresip recording what it hears")
    await lifeline[ARI].hangup("to-softphone")


async def _channel_up(lifeline: web.Application, channel_id: str) -> bool:
    return bool((await lifeline[ARI].channel(channel_id))["state"] == "Up")


def secret_in(out: str) -> str:
    """The secret a command printed once (`  password: ...`)."""
    return next(line.split()[1] for line in out.splitlines()
                if line.strip().startswith("password:"))


def test_the_cli_writes_the_table_only_and_makes_every_secret(
    empty_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(migrate(empty_dsn, MIGRATIONS_DIR))
    monkeypatch.setenv("LIFELINE_DATABASE_URL", asyncio.run(as_app_role(empty_dsn)))
    for name in ("ARI_URL", "ARI_USER", "ARI_PASSWORD"):  # required settings, unused here
        monkeypatch.setenv(f"LIFELINE_{name}", "http://127.0.0.1:9" if name == "ARI_URL" else "x")
    with pytest.raises(SystemExit) as refused:  # a secret cannot be chosen
        cli.main(["operator", "add", "--name", "Ana", "--username", "ana", "--languages", "es",
                  "--password-stdin"])
    assert refused.value.code == 2
    capsys.readouterr()
    cli.main(["operator", "add", "--name", "Ana Pérez", "--username", "ana",
              "--languages", "es,en"])
    out = capsys.readouterr().out
    ana_first = secret_in(out)
    assert "added operator ana (Ana Pérez), languages es, en" in out
    assert "user:      ana" in out and "shown only this once" in out
    assert "transport: UDP" in out and "serving no queue yet" in out
    cli.main(["operator", "add", "--name", "Bo", "--username", "bob", "--languages", "en"])
    bob = secret_in(capsys.readouterr().out)
    cli.main(["operator", "rotate-secret", "ana"])
    out = capsys.readouterr().out
    ana = secret_in(out)
    assert "new SIP secret for operator ana (Ana Pérez)" in out
    assert len({ana_first, ana, bob}) == 3
    assert all(len(s.replace("-", "")) >= 24 for s in (ana_first, ana, bob))

    cli.main(["operator", "disable", "ana"])
    cli.main(["operator", "list"])
    out = capsys.readouterr().out
    assert "operator ana (Ana Pérez) disabled" in out
    assert out.splitlines()[-2:] == ["ana       disabled  es,en      -       -     Ana Pérez",
                                     "bob       enabled   en         -       -     Bo"]

    async def stored() -> list[tuple[str, str]]:
        con = await asyncpg.connect(empty_dsn)
        try:
            rows = await con.fetch("SELECT sip_username, sip_md5_cred FROM operators ORDER BY 1")
        finally:
            await con.close()
        return [(r[0], r[1]) for r in rows]

    assert asyncio.run(stored()) == [("ana", sip_md5_cred("ana", ana)),
                                     ("bob", sip_md5_cred("bob", bob))]
    with pytest.raises(SystemExit) as refused:
        cli.main(["operator", "add", "--name", "X", "--username", "Bad Name", "--languages", "en"])
    assert refused.value.code == 2
    assert "Username 'Bad Name'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        cli.main(["operator", "rotate-secret", "nobody"])
    assert refused.value.code == 2
    assert "no operator with username 'nobody'" in capsys.readouterr().err


async def test_a_rotated_secret_ends_the_old_one_and_the_new_one_registers(
    lifeline: web.Application, operator_sync: OperatorSync, phones: Phones, pbx: asterisk.Instance,
    softphone: Callable[[str, str], Softphone], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await phones.until_online(["op-a"])
    await wait_for(lambda: phones.registration_status("op-a") == "Registered",
                   what="op-a registered with its first secret")
    monkeypatch.setenv("LIFELINE_DATABASE_URL", lifeline[CONFIG].database_url)
    await asyncio.to_thread(cli.main, ["operator", "rotate-secret", "op-a"])
    new = secret_in(capsys.readouterr().out)

    async def pushed() -> bool:
        try:
            auth = await lifeline[ARI].request(
                "GET", "/asterisk/config/dynamic/res_pjsip/auth/op-a")
        except AriError as exc:  # between the sync's delete and its create: not yet
            if exc.status != 404:
                raise
            return False
        return {"attribute": "md5_cred", "value": sip_md5_cred("op-a", new)} in auth

    await wait_for(pushed, what="the new secret in Asterisk")
    phones.register_now("op-a")  # the desk phone still has the old secret
    await wait_for(lambda: phones.registration_status("op-a") == "Rejected",
                   what="the old secret refused")
    phone = softphone("op-a", new)

    def softphone_contact() -> bool:  # baresip is at 127.0.0.1, the desk phone elsewhere
        return any("op-a/sip:" in line and "@127.0.0.1:" in line
                   for line in pbx.cli("pjsip show contacts").splitlines())

    await wait_for(softphone_contact, timeout=20, what="baresip registered with the new secret")
    assert "200 OK" in phone.log_text()
    assert phone.running(), phone.log_text()
