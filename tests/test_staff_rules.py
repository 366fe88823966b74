"""What the queue and operator forms accept, and the softphone settings shown: pure rules."""

from __future__ import annotations

from typing import Any

import pytest

from lifeline_pbx.errors import Invalid
from lifeline_pbx.operators import operator_rules, softphone
from lifeline_pbx.queues import queue_rules
from lifeline_pbx.queues.queue_rules import QueueSettings

GOOD_QUEUE = {"name": "Hotline", "language_wait_seconds": "30", "ring_timeout_seconds": "20",
              "max_missed": "3", "wrapup_seconds": "30", "max_wait_seconds": "600",
              "announce_every_seconds": "45", "accept_by_key": "on"}


def test_good_queue_settings_are_taken() -> None:
    assert queue_rules.parse_settings({**GOOD_QUEUE, "name": "  Spanish line  "}) == \
        QueueSettings("Spanish line", 30, 20, 3, 30, 600, 45, True)
    assert not queue_rules.parse_settings({**GOOD_QUEUE, "accept_by_key": ""}).accept_by_key
    settings = queue_rules.parse_settings(GOOD_QUEUE)
    assert queue_rules.parse_settings(queue_rules.as_form(settings)) == settings


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"name": ""}, "name", "Give the queue a name."),
    ({"name": "x" * 101}, "name", "at most 100 characters"),
    ({"name": "a\nb"}, "name", "line breaks"),
    ({"ring_timeout_seconds": "4"}, "ring_timeout_seconds",
     "Ring time (seconds): give a whole number from 5 to 120."),
    ({"ring_timeout_seconds": "121"}, "ring_timeout_seconds", "from 5 to 120"),
    ({"ring_timeout_seconds": "twenty"}, "ring_timeout_seconds", "whole number"),
    ({"ring_timeout_seconds": "1.5"}, "ring_timeout_seconds", "whole number"),
    ({"ring_timeout_seconds": ""}, "ring_timeout_seconds", "whole number"),
    ({"ring_timeout_seconds": "\u0662\u0660"}, "ring_timeout_seconds", "whole number"),
    ({"language_wait_seconds": "-1"}, "language_wait_seconds", "from 0 to 600"),
    ({"max_missed": "0"}, "max_missed", "Missed offers before pause"),
    ({"wrapup_seconds": "601"}, "wrapup_seconds", "Wrap-up"),
    ({"max_wait_seconds": "29"}, "max_wait_seconds", "Maximum wait"),
    ({"max_wait_seconds": "9999999999"}, "max_wait_seconds", "Maximum wait"),
    ({"announce_every_seconds": "9"}, "announce_every_seconds", "Announcement interval"),
    ({"language_wait_seconds": "300", "max_wait_seconds": "300"}, "language_wait_seconds",
     "shorter than the maximum wait"),
])
def test_bad_queue_settings_name_their_field(change: dict[str, str], field: str,
                                             message: str) -> None:
    with pytest.raises(Invalid) as refused:
        queue_rules.parse_settings({**GOOD_QUEUE, **change})
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field]


def test_every_bad_queue_field_is_named_at_once() -> None:
    with pytest.raises(Invalid) as refused:
        queue_rules.parse_settings({"name": "", "ring_timeout_seconds": "0"})
    assert set(refused.value.errors) == {"name", *queue_rules.BOUNDS}


@pytest.mark.parametrize(("operators", "parsed"), [
    (None, None), ([], ()), (["4", "2", "4"], (4, 2)),
])
def test_a_queue_and_who_serves_it(operators: list[str] | None,
                                   parsed: tuple[int, ...] | None) -> None:
    form: dict[str, Any] = dict(GOOD_QUEUE)
    if operators is not None:
        form["operators"] = operators
    assert queue_rules.parse_queue(form) == (queue_rules.parse_settings(GOOD_QUEUE), parsed)


def test_a_queue_form_names_every_bad_field_with_its_operators() -> None:
    with pytest.raises(Invalid) as refused:
        queue_rules.parse_queue({**GOOD_QUEUE, "name": "", "operators": ["x"]})
    assert refused.value.errors == {"name": "Give the queue a name.",
                                    "operators": "Choose operators from the list."}


def test_changed_queue_fields() -> None:
    before = queue_rules.parse_settings(GOOD_QUEUE)
    after = queue_rules.parse_settings({**GOOD_QUEUE, "ring_timeout_seconds": "9",
                                        "accept_by_key": ""})
    assert queue_rules.changed_fields(before, after) == ["ring_timeout_seconds", "accept_by_key"]
    assert queue_rules.changed_fields(before, before) == []


@pytest.mark.parametrize(("values", "parsed"), [
    ([], ()), (["3", "1", "3"], (3, 1)), ([" 7 "], (7,)),
])
def test_ticked_ids(values: list[str], parsed: tuple[int, ...]) -> None:
    assert queue_rules.parse_ids(values, "operators") == parsed


@pytest.mark.parametrize("value", ["x", "-1", "1.0", "", "9" * 19, "\u0663"])
def test_bad_ticked_ids_name_the_field(value: str) -> None:
    with pytest.raises(Invalid) as refused:
        queue_rules.parse_ids(["1", value], "queues")
    assert refused.value.errors == {"queues": "Choose queues from the list."}


GOOD_OPERATOR: dict[str, Any] = {"sip_username": "ana.perez", "display_name": "Ana Pérez",
                                 "languages": ["es", "EN", "es"], "queues": ["2"], "user": ""}
KNOWN = ("es", "en", "quc")  # the languages table's codes


def test_a_good_new_operator() -> None:
    new = operator_rules.parse_new(GOOD_OPERATOR, KNOWN)
    assert new == operator_rules.NewOperatorForm(
        "ana.perez", operator_rules.Profile("Ana Pérez", ("es", "en"), (2,)), None)
    assert operator_rules.parse_new({**GOOD_OPERATOR, "user": " operator1 "}, KNOWN).user == \
        "operator1"
    assert operator_rules.parse_new({**GOOD_OPERATOR, "languages": ["quc"]},
                                    KNOWN).profile.languages == ("quc",)


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"sip_username": "Ana Perez"}, "sip_username", "Username 'Ana Perez': use 3 to 40"),
    ({"sip_username": "carrier"}, "sip_username", "is reserved"),
    ({"sip_username": ""}, "sip_username", "use 3 to 40"),
    ({"display_name": " "}, "display_name", "Display name is empty."),
    ({"display_name": 'Ana "x"'}, "display_name", "must not contain quotes"),
    ({"display_name": "x" * 201}, "display_name", "longer than 200"),
    ({"languages": []}, "languages", "Give at least one language"),
    ({"languages": ["es", "xx"]}, "languages", "Unknown language 'xx' (known: es, en, quc)."),
    ({"languages": ["knj"]}, "languages", "Unknown language 'knj'"),  # not in the table
    ({"queues": ["two"]}, "queues", "Choose queues from the list."),
    ({"user": "Bad User!"}, "user", "Choose a web user from the list."),
])
def test_bad_new_operators_name_their_field(change: dict[str, Any], field: str,
                                            message: str) -> None:
    with pytest.raises(Invalid) as refused:
        operator_rules.parse_new({**GOOD_OPERATOR, **change}, KNOWN)
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field]


def _profile(display_name: str, languages: list[str], queues: list[str]) -> Any:
    return operator_rules.parse_profile(
        {"display_name": display_name, "languages": languages, "queues": queues}, KNOWN)


def test_an_operators_profile_and_what_changed() -> None:
    before = _profile("Ana", ["es"], ["1", "2"])
    same = _profile(" Ana ", ["es"], ["2", "1"])
    assert operator_rules.changed_fields(before, same) == []
    after = _profile("Ana P", ["es", "en"], [])
    assert operator_rules.changed_fields(before, after) == ["display_name", "languages",
                                                            "queues"]
    with pytest.raises(Invalid) as refused:
        _profile("", [], ["x"])
    assert set(refused.value.errors) == {"display_name", "languages", "queues"}


@pytest.mark.parametrize(("sip_address", "browser_host", "server", "port"), [
    ("", "hotline.example.org:8080", "hotline.example.org", 5060),
    ("", "hotline.example.org", "hotline.example.org", 5060),
    ("", "[2001:db8::1]:443", "2001:db8::1", 5060),
    ("", "", "this server's address", 5060),
    ("sip.example.org", "web.example.org", "sip.example.org", 5060),
    ("203.0.113.5:5080", "web.example.org", "203.0.113.5", 5080),
    ("[2001:db8::2]:5070", "", "2001:db8::2", 5070),
    ("sip.example.org:99999", "", "sip.example.org", 5060),
])
def test_softphone_settings(sip_address: str, browser_host: str, server: str,
                            port: int) -> None:
    assert softphone.settings("ana", sip_address, browser_host) == softphone.Settings(
        server, port, "UDP", "ana", "lifeline")
