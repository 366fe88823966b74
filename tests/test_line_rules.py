"""Facilities and lines as admins set them, as tables: forms in, values or named problems
out; the preview of what a caller hears; a line's shorter wait. No database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from typing import Any

import pytest

from lifeline_pbx import prompts
from lifeline_pbx.admin import facility_rules, line_rules
from lifeline_pbx.admin.line_preview import engine_line, stages, words_known
from lifeline_pbx.admin.line_rules import Choices, LineSettings
from lifeline_pbx.calls.hours import Span
from lifeline_pbx.errors import Invalid
from lifeline_pbx.prompts import coverage
from lifeline_pbx.prompts.coverage import Known
from lifeline_pbx.queues.routing import Policy, for_line

FACILITY = {"name": "Stewart Detention Center", "city": "Lumpkin", "state": "GA",
            "address": "146 CCA Rd", "contractor": "CoreCivic", "timezone": "",
            "notes": "Phones in each housing unit.\nCalls cut at 15 min."}

BAD_FACILITIES: dict[str, tuple[dict[str, str], set[str]]] = {
    "no name": ({"name": ""}, {"name"}),
    "name too long": ({"name": "x" * 201}, {"name"}),
    "name with a line break": ({"name": "a\nb"}, {"name"}),
    "unknown state": ({"state": "ZZ"}, {"state"}),
    "state spelled out": ({"state": "Georgia"}, {"state"}),
    "no state": ({"state": ""}, {"state"}),
    "unknown time zone": ({"timezone": "America/Atlantis"}, {"timezone"}),
    "time zone as an offset": ({"timezone": "UTC-5"}, {"timezone"}),
    "address too long": ({"address": "x" * 501}, {"address"}),
    "contractor with a tab": ({"contractor": "a\tb"}, {"contractor"}),
    "notes too long": ({"notes": "x" * 2001}, {"notes"}),
    "notes with a control character": ({"notes": "a\x07b"}, {"notes"}),
    "several at once": ({"name": "", "state": "ZZ"}, {"name", "state"}),
}


@pytest.mark.parametrize(("changes", "fields"), BAD_FACILITIES.values(),
                         ids=BAD_FACILITIES.keys())
def test_bad_facility_forms_name_each_field(changes: dict[str, str], fields: set[str]) -> None:
    with pytest.raises(Invalid) as refused:
        facility_rules.parse_facility({**FACILITY, **changes})
    assert set(refused.value.errors) == fields


@pytest.mark.parametrize(("state", "typed", "zone"), [
    ("GA", "", "America/New_York"), ("tx", "", "America/Chicago"),
    ("TX", "America/Denver", "America/Denver"), ("AZ", "", "America/Phoenix"),
    ("PR", "", "America/Puerto_Rico")])
def test_a_facility_takes_its_states_zone_unless_given(state: str, typed: str, zone: str) -> None:
    parsed = facility_rules.parse_facility({**FACILITY, "state": state, "timezone": typed})
    assert (parsed.state, parsed.timezone) == (state.upper(), zone)
    assert parsed.notes == FACILITY["notes"]


GOOD_CSV = """name,city,state,contractor
Stewart Detention Center,Lumpkin,GA,CoreCivic
"Otay Mesa Detention Center, West",San Diego,CA,CoreCivic

El Paso Service Processing Center,El Paso,TX,ICE
"""

BAD_CSVS: dict[str, tuple[str, list[str]]] = {
    "a bad state and a missing name": (
        "name,city,state,contractor\nA,X,GA,C\nB,X,Georgia,C\n,X,TX,C\n",
        ["line 3: state:", "line 4: name:"]),
    "the same name twice, any case": (
        "name,city,state,contractor\nSame,X,GA,C\nOther,X,GA,C\nsame,Y,TX,C\n",
        ["line 4: name: the name is also on line 2"]),
    "a bad time zone column": (
        "name,city,state,contractor,timezone\nA,X,GA,C,Mars/Olympus\n", ["line 2: timezone:"]),
    "columns missing": ("name,city\nA,X\n", ["Line 1 must name the columns", "state"]),
    "a column a facility does not have": (
        "name,city,state,contractor,notes,colour\nA,X,GA,C,n,red\n",
        ["columns a facility does not have: colour (it has name,"]),
    "empty": ("", ["The file is empty"]),
    "a header only": ("name,city,state,contractor\n", ["no facilities"]),
}


def test_a_good_csv_gives_every_row_with_its_line() -> None:
    rows = facility_rules.parse_csv("\ufeff" + GOOD_CSV)
    assert [(r.line, r.fields.name, r.fields.timezone) for r in rows] == [
        (2, "Stewart Detention Center", "America/New_York"),
        (3, "Otay Mesa Detention Center, West", "America/Los_Angeles"),
        (5, "El Paso Service Processing Center", "America/Chicago")]


@pytest.mark.parametrize(("content", "said"), BAD_CSVS.values(), ids=BAD_CSVS.keys())
def test_a_bad_csv_is_refused_whole_naming_its_lines(content: str, said: list[str]) -> None:
    with pytest.raises(Invalid) as refused:
        facility_rules.parse_csv(content)
    message = refused.value.errors[facility_rules.CSV_FIELD]
    assert all(part in message for part in said), message


LINE: dict[str, str] = {
    "did": "+1 (555) 010-0301", "name": "Stewart line", "facility_id": "3", "queue_id": "1",
    "default_language": "es", "menu_language_1": "es", "menu_digit_1": "1",
    "menu_language_2": "en", "menu_digit_2": "2", "menu_language_3": "", "menu_digit_3": "3",
    "hours_mon": "09:00-17:00, 20:00-02:00", "hours_sat": "00:00-24:00",
    "triage_digit": "9", "menu_timeout": "5", "call_limit": "900", "limit_warning": "120",
    "voicemail_max": "180", "max_wait": "", "record_calls": "on",
}


def test_a_good_line_form() -> None:
    parsed = line_rules.parse_line(LINE)
    assert parsed.did == "15550100301" and parsed.queue_id == 1 and parsed.max_wait is None
    assert parsed.menu == (("es", "1"), ("en", "2"))
    assert parsed.hours == (Span(0, time(9), time(17)), Span(0, time(20), time(2)),
                            Span(5, time(0), time(0)))
    assert (parsed.always_open, parsed.record_calls, parsed.transfer_allowed) == (
        False, True, False)
    assert line_rules.parse_line(line_rules.as_form(parsed)) == parsed


BAD_LINES: dict[str, tuple[dict[str, str], set[str]]] = {
    "DID with letters": ({"did": "555-CALL-NOW"}, {"did"}),
    "DID too short": ({"did": "12345"}, {"did"}),
    "DID too long": ({"did": "1234567890123456"}, {"did"}),
    "DID starting with 0": ({"did": "0555010030"}, {"did"}),
    "no name": ({"name": ""}, {"name"}),
    "facility not a number": ({"facility_id": "x"}, {"facility_id"}),
    "queue not a number": ({"queue_id": "1; drop"}, {"queue_id"}),
    "no default language": ({"default_language": ""}, {"default_language"}),
    "default language not on the menu": ({"default_language": "fr"}, {"default_language"}),
    "the same key twice": ({"menu_digit_2": "1"}, {"menu_digit_2"}),
    "the same language twice": ({"menu_language_2": "es", "menu_digit_2": "2"},
                                {"menu_language_2"}),
    "key 0 has no menu prompt": ({"menu_digit_1": "0"}, {"menu_digit_1"}),
    "no key": ({"menu_digit_2": ""}, {"menu_digit_2"}),
    "hours in words": ({"hours_mon": "nine to five"}, {"hours_mon"}),
    "an hour past 24": ({"hours_tue": "09:00-25:00"}, {"hours_tue"}),
    "24:30": ({"hours_tue": "09:00-24:30"}, {"hours_tue"}),
    "no hours and not always open": ({"hours_mon": "", "hours_sat": ""}, {"hours"}),
    "triage key 0": ({"triage_digit": "0"}, {"triage_digit"}),
    "triage key #": ({"triage_digit": "#"}, {"triage_digit"}),
    "the urgent key also chooses a language": ({"triage_digit": "2"}, {"triage_digit"}),
    "call limit under a minute": ({"call_limit": "30"}, {"call_limit"}),
    "call limit not a number": ({"call_limit": "15 min"}, {"call_limit"}),
    "warning after the cut": ({"call_limit": "600", "limit_warning": "600"}, {"limit_warning"}),
    "negative warning": ({"limit_warning": "-5"}, {"limit_warning"}),
    "voicemail of an hour": ({"voicemail_max": "3600"}, {"voicemail_max"}),
    "menu timeout too long": ({"menu_timeout": "60"}, {"menu_timeout"}),
    "max wait of 5 seconds": ({"max_wait": "5"}, {"max_wait"}),
    "several at once": ({"did": "x", "name": "", "call_limit": "1"},
                        {"did", "name", "call_limit"}),
}


@pytest.mark.parametrize(("changes", "fields"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_bad_line_forms_name_each_field(changes: dict[str, str], fields: set[str]) -> None:
    with pytest.raises(Invalid) as refused:
        line_rules.parse_line({**LINE, **changes})
    assert set(refused.value.errors) == fields


KEY_CLASHES: dict[str, tuple[tuple[tuple[str, str], ...], str, str | None]] = {
    # menu, urgent key -> the menu entry it clashes with (None: none)
    "a key of its own": ((("es", "1"), ("en", "2")), "9", None),
    "the first language's key": ((("es", "1"), ("en", "2")), "1", "es"),
    "the last language's key": ((("es", "1"), ("en", "2"), ("fr", "9")), "9", "fr"),
    "one language plays no menu": ((("en", "1"),), "1", None),
    "no menu at all": ((), "1", None),
}


@pytest.mark.parametrize(("menu", "urgent", "clash"), KEY_CLASHES.values(),
                         ids=KEY_CLASHES.keys())
def test_the_urgent_key_is_not_a_menu_key(menu: tuple[tuple[str, str], ...], urgent: str,
                                           clash: str | None) -> None:
    problem = line_rules.key_clash(menu, urgent)
    if clash is None:
        assert problem is None
    else:
        assert problem is not None
        assert f"Key {urgent} already chooses '{clash}'" in problem and "urgent key" in problem


ALL = frozenset(prompts.concrete_names())
# Recorded for key 2 with triage key 9 only (a language with no synthesised voice).
KEY_2 = frozenset(coverage.required("2", "9"))
CHOICES = Choices(facilities=frozenset({3}), queues=frozenset({1}), languages={
    "en": Known(True, frozenset(), ALL), "es": Known(True, frozenset(), ALL),
    "fr": Known(True, frozenset(), frozenset({"greeting"})),  # its files deleted
    "quc": Known(False, KEY_2, None), "mam": Known(False, frozenset(), None)})
CHOICE_CASES: dict[str, tuple[dict[str, Any], set[str]]] = {
    "all exist": ({}, set()),
    "a facility disabled or gone": ({"facility_id": 4}, {"facility_id"}),
    "no such queue": ({"queue_id": 2}, {"queue_id"}),
    "no queue at all is fine": ({"queue_id": None}, set()),
    "a language not in the table": ({"menu": (("es", "1"), ("xx", "2"))}, {"menu_language_2"}),
    "a synthesised language whose files are gone": (
        {"menu": (("es", "1"), ("fr", "2"))}, {"menu_language_2"}),
    "a menu language without its prompts": (
        {"menu": (("es", "1"), ("mam", "2"))}, {"menu_language_2"}),
    "recorded for its key": ({"menu": (("es", "1"), ("quc", "2"))}, set()),
    "recorded for another key": ({"menu": (("quc", "1"), ("es", "2")),
                                  "default_language": "es"}, {"menu_language_1"}),
    "recorded for another triage key": ({"menu": (("es", "1"), ("quc", "2")),
                                         "triage_digit": "8"}, {"menu_language_2"}),
    "a default language without its prompts": ({"default_language": "mam"},
                                              {"default_language"}),
    "the only language needs no menu entry": (
        {"menu": (), "default_language": "quc"}, set()),
}


@pytest.mark.parametrize(("changes", "fields"), CHOICE_CASES.values(), ids=CHOICE_CASES.keys())
def test_what_a_line_names_must_exist(changes: dict[str, Any], fields: set[str]) -> None:
    settings = line_rules.parse_line(LINE)
    assert set(line_rules.choice_problems(_replace(settings, **changes), CHOICES)) == fields


SAVED = {"facility_id": 4, "menu": (("es", "1"), ("fr", "2"), ("mam", "3"))}
KEPT_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], set[str]]] = {
    "what the saved line has may stay": (SAVED, {"name": "Renamed"}, set()),
    "a kept language at a new key is checked": (
        SAVED, {"menu": (("es", "1"), ("fr", "2"), ("mam", "4"))}, {"menu_language_3"}),
    "a new triage key checks every language": (
        SAVED, {"triage_digit": "8"}, {"menu_language_2", "menu_language_3"}),
    "another disabled facility is refused": (SAVED, {"facility_id": 5}, {"facility_id"}),
    "a kept lone default language": ({"menu": (), "default_language": "mam"}, {}, set()),
}


@pytest.mark.parametrize(("saved", "changes", "fields"), KEPT_CASES.values(),
                         ids=KEPT_CASES.keys())
def test_what_the_saved_line_has_may_stay(saved: dict[str, Any], changes: dict[str, Any],
                                          fields: set[str]) -> None:
    old = _replace(line_rules.parse_line(LINE), **saved)
    new = _replace(old, **changes)
    assert set(line_rules.choice_problems(new, CHOICES, old)) == fields


def test_a_refused_language_names_what_it_lacks() -> None:
    settings = _replace(line_rules.parse_line(LINE), menu=(("es", "1"), ("quc", "3")))
    message = line_rules.choice_problems(settings, CHOICES)["menu_language_2"]
    assert message.startswith("'quc' has no prompts yet") and "language-choice-3" in message


def _replace(settings: LineSettings, **changes: Any) -> LineSettings:
    return replace(settings, **changes)


def test_changed_fields_are_named() -> None:
    old = line_rules.parse_line(LINE)
    new = line_rules.parse_line({**LINE, "hours_mon": "", "always_open": "on",
                                 "three_way_allowed": "on"})
    assert line_rules.changed_fields(old, new) == ["always_open", "hours", "three_way_allowed"]
    assert line_rules.changed_fields(old, old) == []
    assert len(line_rules.changed_fields(None, old)) == len(LineSettings.__dataclass_fields__)


PROMPTS = line_rules.closure_prompts(frozenset({"closed-christmas", "greeting"}))
CLOSURE = {"first": "2030-12-24", "last": "2030-12-26", "name": "Christmas",
           "prompt": "closed-christmas"}
BAD_CLOSURES: dict[str, tuple[dict[str, str], set[str]]] = {
    "no first day": ({"first": ""}, {"first"}),
    "a day in words": ({"first": "Christmas"}, {"first"}),
    "February 30": ({"last": "2031-02-30"}, {"last"}),
    "ends before it starts": ({"last": "2030-12-01"}, {"last"}),
    "over a year": ({"last": "2032-01-01"}, {"last"}),
    "no reason": ({"name": ""}, {"name"}),
    "a prompt that is not a closure message": ({"prompt": "greeting"}, {"prompt"}),
    "no prompt": ({"prompt": ""}, {"prompt"}),
}


def test_a_closure_covers_each_day() -> None:
    closure = line_rules.parse_closure(CLOSURE, PROMPTS)
    assert closure.days == [date(2030, 12, 24), date(2030, 12, 25), date(2030, 12, 26)]
    one = line_rules.parse_closure({**CLOSURE, "last": ""}, PROMPTS)
    assert one.days == [date(2030, 12, 24)]
    assert PROMPTS == ("voicemail-closed", "technical-difficulty", "voicemail-busy",
                       "closed-christmas")


@pytest.mark.parametrize(("changes", "fields"), BAD_CLOSURES.values(), ids=BAD_CLOSURES.keys())
def test_bad_closures_name_each_field(changes: dict[str, str], fields: set[str]) -> None:
    with pytest.raises(Invalid) as refused:
        line_rules.parse_closure({**CLOSURE, **changes}, PROMPTS)
    assert set(refused.value.errors) == fields


TODAY = date(2030, 12, 20)
CLOSED = {date(2030, 12, 25): "Christmas", date(2030, 12, 31): "New Year's Eve"}
CLOSURE_CONFLICTS: dict[str, tuple[str, str, str | None]] = {
    # first, last -> what the problem on "first" says (None: none)
    "days to come, none closed": ("2030-12-26", "2030-12-30", None),
    "today counts as to come": ("2030-12-20", "", None),
    "begun already, not over": ("2030-12-18", "2030-12-22", None),
    "wholly passed": ("2030-12-10", "2030-12-19", "These days have passed (today is 2030-12-20"),
    "one day passed": ("2030-12-19", "", "have passed"),
    "over a closed day": ("2030-12-24", "2030-12-26", "Already closed: 2030-12-25 (Christmas)."),
    "over two closed days": ("2030-12-25", "2031-01-01",
                             "2030-12-25 (Christmas), 2030-12-31 (New Year's Eve)."),
    "the very day": ("2030-12-31", "", "Already closed: 2030-12-31 (New Year's Eve)."),
}


@pytest.mark.parametrize(("first", "last", "said"), CLOSURE_CONFLICTS.values(),
                         ids=CLOSURE_CONFLICTS.keys())
def test_a_closure_is_for_days_to_come_not_already_closed(first: str, last: str,
                                                          said: str | None) -> None:
    closure = line_rules.parse_closure({**CLOSURE, "first": first, "last": last}, PROMPTS)
    problems = line_rules.closure_problems(closure, CLOSED, TODAY)
    if said is None:
        assert problems == {}
    else:
        assert set(problems) == {"first"} and said in problems["first"], problems


def test_many_closed_days_are_counted_past_five() -> None:
    closed = {date(2030, 12, d): "Winter" for d in range(21, 31)}
    closure = line_rules.parse_closure({**CLOSURE, "first": "2030-12-21", "last": "2030-12-30"},
                                       PROMPTS)
    said = line_rules.closure_problems(closure, closed, TODAY)["first"]
    assert "2030-12-25 (Winter) and 5 more." in said and "2030-12-26" not in said


def _titles_and_prompts(settings: LineSettings, found: frozenset[tuple[str, str]] | None
                        ) -> list[tuple[str, list[str]]]:
    line = engine_line(1, "Stewart", settings)
    return [(s.title, [f"{h.name}/{h.language}" + ("" if h.played == (h.language, h.name)
                                                   else f"->{h.played}") for h in s.heard])
            for s in stages(line, {"es": "Español", "en": "English"}, found, "Hotline", {})]


def test_the_preview_follows_the_call_flow() -> None:
    shown = _titles_and_prompts(line_rules.parse_line(LINE), None)
    titles = [title for title, _ in shown]
    assert titles[:3] == ["When the call is answered",
                          "The language menu (once if nobody presses a key)",
                          "Pressing 1: Español"]
    assert dict(shown)["When the call is answered"] == ["greeting/es"]
    assert dict(shown)["The language menu (once if nobody presses a key)"] == [
        "language-choice-1/es", "language-choice-2/en"]
    assert dict(shown)["Pressing 2: English"] == [
        "confidentiality-short/en", "recording-short/en", "triage-9/en"]
    closed = [p for t, p in shown if t.startswith("Closed")]
    assert closed == [["voicemail-closed/es", "next-open-day-8/es", "next-open-time-900/es",
                       "triage-9/es", "voicemail-offer/es", "beep/tones", "voicemail-thanks/es"]]
    busy = [p for t, p in shown if t.startswith("English: nobody answers")]
    assert busy == [["voicemail-busy/en", "beep/tones", "voicemail-thanks/en"]]


def test_the_preview_of_a_one_language_line_without_a_queue() -> None:
    settings = line_rules.parse_line({**LINE, "menu_language_2": "", "queue_id": ""})
    shown = dict(_titles_and_prompts(settings, None))
    assert shown["When the call is answered"] == ["greeting/es", "confidentiality-short/es",
                                                  "recording-short/es", "triage-9/es"]
    assert not any(t.startswith("Español: nobody answers") for t in shown)
    assert shown["Español: open. No queue: every caller is asked to leave a message"] == [
        "voicemail-busy/es", "beep/tones", "voicemail-thanks/es"]


def test_the_preview_shows_the_fallback_of_a_missing_recording() -> None:
    found = frozenset({("es", "greeting"), ("en", "language-choice-2")})
    shown = dict(_titles_and_prompts(line_rules.parse_line(LINE), found))
    assert shown["When the call is answered"] == ["greeting/es"]
    assert shown["The language menu (once if nobody presses a key)"] == [
        "language-choice-1/es->None", "language-choice-2/en"]


TEXTS = {("es", "greeting"): "Usted llamó a la línea Lifeline.",
         ("en", "greeting"): "You have reached the Lifeline hotline.",
         ("en", "triage-9"): "If someone is in danger now, press 9.",
         ("es", "triage-9"): "Si alguien está en peligro, oprima 9."}
# (what is known of the languages, the files found) -> the words of the greeting in Spanish
# and of the triage question in English; None: shown by its name.
WORDS: dict[str, tuple[dict[str, Known], frozenset[tuple[str, str]] | None,
                       str | None, str | None]] = {
    "synthesised, folder not seen": (
        {"es": Known(True, frozenset(), None), "en": Known(True, frozenset(), None)}, None,
        "Usted llamó a la línea Lifeline.", "If someone is in danger now, press 9."),
    "a recording's words are not known": (
        {"es": Known(True, frozenset({"greeting"}), None), "en": Known(True, frozenset(), None)},
        None, None, "If someone is in danger now, press 9."),
    "missing in Spanish: the English file's words": (
        {"es": Known(True, frozenset(), frozenset()),
         "en": Known(True, frozenset(), frozenset({"greeting", "triage-9"}))},
        frozenset({("en", "greeting"), ("en", "triage-9")}),
        "You have reached the Lifeline hotline.", "If someone is in danger now, press 9."),
    "missing everywhere": (
        {"es": Known(True, frozenset(), frozenset()), "en": Known(True, frozenset(), frozenset())},
        frozenset(), None, None),
    "a language the catalogue does not voice": (
        {"es": Known(False, frozenset({"greeting"}), None)}, None, None, None),
}


@pytest.mark.parametrize(("known", "found", "greeting", "triage"), WORDS.values(),
                         ids=WORDS.keys())
def test_the_preview_shows_the_words_of_the_file_played(
        known: dict[str, Known], found: frozenset[tuple[str, str]] | None,
        greeting: str | None, triage: str | None) -> None:
    line = engine_line(1, "Stewart", line_rules.parse_line(LINE))
    shown = stages(line, {}, found, "Hotline", words_known(TEXTS, known))
    heard = {(h.language, h.name): h.words for s in shown for h in s.heard}
    assert heard[("es", "greeting")] == greeting
    assert heard[("en", "triage-9")] == triage
    assert heard[("tones", "beep")] is None


@pytest.mark.parametrize(("line_wait", "expected"), [
    (None, 600.0), (60, 60.0), (600, 600.0), (900, 600.0)])
def test_a_line_may_wait_less_than_its_queue(line_wait: int | None, expected: float) -> None:
    assert for_line(Policy(max_wait=600.0), line_wait).max_wait == expected
