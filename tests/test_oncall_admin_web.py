"""The line's emergency on-call list through the running web server and PostgreSQL: only
admins may see or change it; a good list is saved and audited (never the numbers), a bad
one refused with nothing saved; the parsing rules as a table."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from lifeline_pbx.escalation import oncall_rules
from lifeline_pbx.escalation.oncall import Entry
from lifeline_pbx.outbound.guard import Policy
from tests.web_fixtures import WebApp, running_web

TRUNK = Policy(trunk="carrier-out")
OPERATORS = {"operator1": 4, "op-a": 7}


@pytest.fixture
async def web(app_dsn: str) -> AsyncIterator[WebApp]:
    async with running_web(app_dsn, outbound_trunk="carrier-out") as web_app:
        yield web_app


async def _line_id(web: WebApp) -> int:
    return int((await web.sql("SELECT id FROM lines ORDER BY id LIMIT 1"))[0][0])


async def _state(web: WebApp) -> list[tuple[object, ...]]:
    rows = await web.sql("SELECT * FROM line_oncall ORDER BY line_id, position")
    waits = await web.sql("SELECT id, emergency_wait_seconds FROM lines ORDER BY id")
    audit = await web.sql("SELECT count(*) FROM audit_log")
    return [tuple(r) for r in [*rows, *waits, *audit]]


@pytest.mark.parametrize("username", ["operator1", "supervisor1"])
async def test_only_admins_may(web: WebApp, username: str) -> None:
    line_id = await _line_id(web)
    before = await _state(web)
    client = await web.signed_in(username)
    assert (await client.get(f"/admin/lines/{line_id}/oncall"))[0] == 403
    status, _ = await client.post(f"/admin/lines/{line_id}/oncall",
                                  {"entries": "+12025550143 20", "emergency_wait": "30"})
    assert status == 403
    assert await _state(web) == before


async def test_signed_out_is_sent_to_sign_in(web: WebApp) -> None:
    client = await web.client()
    status, _ = await client.get(f"/admin/lines/{await _line_id(web)}/oncall")
    assert status == 303 and client.last["location"].startswith("/login")


async def test_admin_saves_the_list_audited_without_numbers(web: WebApp) -> None:
    line_id = await _line_id(web)
    admin = await web.signed_in("admin1")
    status, page = await admin.get(f"/admin/lines/{line_id}")
    assert status == 200 and f"/admin/lines/{line_id}/oncall" in page
    status, page = await admin.get(f"/admin/lines/{line_id}/oncall")
    assert status == 200 and "on, through the outbound trunk" in page
    status, _ = await admin.post(f"/admin/lines/{line_id}/oncall", {
        "entries": "operator1 15\n\n(202) 555-0143 30\n", "emergency_wait": "45"})
    assert status == 303, _
    assert admin.last["location"] == f"/admin/lines/{line_id}/oncall?done=saved"
    rows = await web.sql("SELECT position, operator_id IS NOT NULL, number, ring_seconds "
                         "FROM line_oncall WHERE line_id = $1 ORDER BY position", line_id)
    assert [tuple(r) for r in rows] == [(1, True, None, 15), (2, False, "+12025550143", 30)]
    wait = await web.sql("SELECT emergency_wait_seconds FROM lines WHERE id = $1", line_id)
    assert wait[0][0] == 45
    audit = await web.sql("SELECT action, entity, entity_id, fields FROM audit_log "
                          "WHERE entity = 'line' ORDER BY id DESC LIMIT 1")
    assert tuple(audit[0]) == ("update", "line", str(line_id),
                               ["emergency_wait_seconds", "oncall"])
    status, page = await admin.get(f"/admin/lines/{line_id}/oncall?done=saved")
    assert "operator1 15\n+12025550143 30" in page and "Saved" in page
    status, _ = await admin.post(f"/admin/lines/{line_id}/oncall", {
        "entries": "operator1 15\n+12025550143 30", "emergency_wait": "45"})
    assert admin.last["location"].endswith("done=unchanged")


@pytest.mark.parametrize(("form", "field"), [
    ({"entries": "+18765550143 20"}, "entries"),  # outside the allow-list
    ({"entries": "nobody-here 20"}, "entries"),
    ({"entries": "operator1 500"}, "entries"),
    ({"entries": "operator1 15\noperator1 20"}, "entries"),
    ({"entries": "operator1", "emergency_wait": "2"}, "emergency_wait"),
    ({"entries": "operator1", "emergency_wait": "soon"}, "emergency_wait"),
])
async def test_a_bad_list_is_refused_with_nothing_saved(web: WebApp, form: dict[str, str],
                                                       field: str) -> None:
    line_id = await _line_id(web)
    admin = await web.signed_in("admin1")
    await admin.get(f"/admin/lines/{line_id}/oncall")
    before = await _state(web)
    status, page = await admin.post(f"/admin/lines/{line_id}/oncall", form)
    assert status == 422 and f'id="error-{field}"' in page and "Traceback" not in page
    assert form["entries"] in page  # what was typed is kept
    assert await _state(web) == before


async def test_an_unknown_line_is_not_found(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    assert (await admin.get("/admin/lines/999999/oncall"))[0] == 404


RULES: list[tuple[str, str, Policy, object]] = [
    ("operator and number", "op-a 10\n+1 202 555 0143", TRUNK, (
        Entry(1, 10, operator="op-a", operator_id=7),
        Entry(2, oncall_rules.DEFAULT_RING, number="+12025550143"))),
    ("empty is no list", "  \n", TRUNK, ()),
    ("a number with the trunk off", "+12025550143 20", Policy(trunk=""), "outbound trunk"),
    ("premium rate", "1-900-555-0143", TRUNK, "outside the numbers"),
    ("a caller's star code", "*72 2025550143", TRUNK, "neither"),
    ("ring too short", "op-a 4", TRUNK, "5-120"),
    ("an operator twice", "op-a 10\noperator1 20\nop-a 30", TRUNK,
     "line 3: op-a is already on line 1"),
    ("a number twice, written two ways", "+1 202 555 0143\n(202) 555-0143 30", TRUNK,
     "line 2: +12025550143 is already on line 1"),
    ("problems in the list's order", "op-a 10\nop-a 20\nnobody 20", TRUNK,
     "line 2: op-a is already on line 1; line 3: 'nobody 20' is neither"),
]


@pytest.mark.parametrize(("why", "text", "policy", "expected"), RULES, ids=[r[0] for r in RULES])
def test_parse(why: str, text: str, policy: Policy, expected: object) -> None:
    parsed = oncall_rules.parse({"entries": text}, OPERATORS, policy)
    if isinstance(expected, str):
        assert isinstance(parsed, dict) and expected in parsed["entries"]
    else:
        assert isinstance(parsed, oncall_rules.OnCallSettings) and parsed.entries == expected


def test_at_most_twenty() -> None:
    parsed = oncall_rules.parse({"entries": "op-a 10\n" * 21}, OPERATORS, TRUNK)
    assert isinstance(parsed, dict) and "at most 20" in parsed["entries"]


# A list saved before repeats were refused

OP_A = Entry(1, 20, operator="op-a", operator_id=7)
OUT = Entry(2, 30, number="+12025550143")
OP_B = Entry(4, 20, operator="operator1", operator_id=4)  # 3: a disabled operator, left out
REPEATS: list[tuple[str, tuple[Entry, ...], tuple[Entry, ...], str | None]] = [
    ("none", (OP_A, OUT, OP_B), (OP_A, OUT, OP_B), None),
    ("empty", (), (), None),
    ("an operator again, another ring time", (OP_A, OUT, Entry(5, 60, "op-a", None, 7)),
     (OP_A, OUT), "(position 5 is the same phone as position 1)"),
    ("a number three times", (OUT, OP_A, Entry(3, 10, number="+12025550143"),
                              Entry(6, 10, number="+12025550143")),
     (OUT, OP_A), "(position 3 is the same phone as position 2; "
                  "position 6 is the same phone as position 2)"),
    ("two phones repeated", (OP_A, OUT, Entry(3, 20, "op-a", None, 7),
                             Entry(4, 20, number="+12025550143")),
     (OP_A, OUT), "(position 3 is the same phone as position 1; "
                  "position 4 is the same phone as position 2)"),
]


@pytest.mark.parametrize(("why", "listed", "rung", "said"), REPEATS, ids=[r[0] for r in REPEATS])
def test_each_phone_is_rung_once_and_a_repeat_is_named_by_position(
        why: str, listed: tuple[Entry, ...], rung: tuple[Entry, ...], said: str | None) -> None:
    assert oncall_rules.once_each(listed) == rung
    problem = oncall_rules.repeat_problem(listed)
    if said is None:
        assert problem is None
    else:
        assert problem is not None and said in problem and "+1202" not in problem


async def test_a_list_saved_with_a_repeat_before_the_rule_is_flagged(web: WebApp) -> None:
    """Lists saved before the rule may hold a repeat: the lines list and the list's own page
    say where, by position, until the list is saved without it."""
    lines = await web.sql("SELECT id, did FROM lines ORDER BY id LIMIT 2")
    (line_id, did), (sound_id, sound_did) = lines[0], lines[1]
    operator = (await web.sql("SELECT id FROM operators WHERE sip_username = 'operator1'"))[0][0]
    await web.sql("""INSERT INTO line_oncall (line_id, position, operator_id, number, ring_seconds)
                     VALUES ($1, 1, NULL, '+12025550143', 20), ($1, 2, $2, NULL, 20),
                            ($1, 3, NULL, '+12025550143', 30),
                            ($3, 1, $2, NULL, 20), ($3, 2, NULL, '+12025550143', 20)""",
                  line_id, operator, sound_id)
    admin = await web.signed_in("admin1")
    said = "position 3 is the same phone as position 1"
    status, page = await admin.get("/admin/lines")
    assert status == 200
    flag = re.search(rf'<p class="error" id="oncall-repeat-{did}">(.*?)</p>', page, re.S)
    assert flag is not None and said in flag[1] and "555" not in flag[1]
    assert f"/admin/lines/{line_id}/oncall" in flag[1]
    assert f'id="oncall-repeat-{sound_did}"' not in page and page.count("oncall-repeat-") == 1

    status, page = await admin.get(f"/admin/lines/{line_id}/oncall")
    assert status == 200 and 'id="oncall-repeat"' in page and said in page
    assert (await admin.get(f"/admin/lines/{sound_id}/oncall"))[1].count("oncall-repeat") == 0

    status, _ = await admin.post(f"/admin/lines/{line_id}/oncall", {
        "entries": "+12025550143 20\noperator1 20", "emergency_wait": ""})
    assert status == 303
    assert "oncall-repeat" not in (await admin.get("/admin/lines"))[1]
    assert "oncall-repeat" not in (await admin.get(f"/admin/lines/{line_id}/oncall"))[1]
