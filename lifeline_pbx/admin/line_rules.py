"""What a line may be: pure checks of the line form and of a closure (holiday).

`parse_line` checks the form's own shape (numbers in range, the menu, the hours);
`choice_problems` checks what it names against what exists (facilities, queues, languages
with their prompts: the prompts admin's coverage rule), given as `Choices`. Both raise or
return problems by field name, so the form comes back with each beside its field. Nothing
here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, time, timedelta
from typing import Any

from lifeline_pbx.admin.forms import name_problem, text
from lifeline_pbx.calls.hours import CLOSED_PROMPT, Span
from lifeline_pbx.errors import Invalid
from lifeline_pbx.prompts import coverage
from lifeline_pbx.prompts.coverage import DIGITS

Form = Mapping[str, Any]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MENU_ROWS = 9
# A DID as the carrier sends it: the number in international form, digits only (an E.164
# number has at most 15 and starts with its country code, never 0).
DID = re.compile(r"[1-9][0-9]{6,14}")
_DID_SEPARATORS = re.compile(r"[\s().-]")
_SPAN = re.compile(r"([0-2]?[0-9]):([0-5][0-9])\s*-\s*([0-2]?[0-9]):([0-5][0-9])")
MAX_CLOSURE_DAYS = 366
# What a caller may hear on a closure day, besides the usual closed message: prompts that
# say why (a recorded one named closed-... is offered too, once it exists).
CLOSURE_PROMPTS = (CLOSED_PROMPT, "technical-difficulty", "voicemail-busy")
CLOSURE_PREFIX = "closed-"


@dataclass(frozen=True)
class Range:
    low: int
    high: int
    what: str

    def problem(self, value: int) -> str | None:
        if not self.low <= value <= self.high:
            return f"The {self.what} must be {self.low} to {self.high} seconds."
        return None


RANGES = {
    "call_limit": Range(60, 14400, "call length limit"),
    "limit_warning": Range(0, 3600, "warning before the cut"),
    "voicemail_max": Range(10, 600, "longest voicemail"),
    "menu_timeout": Range(1, 30, "time to press a key"),
    "max_wait": Range(10, 7200, "maximum wait"),
}


@dataclass(frozen=True)
class LineSettings:
    """Everything an admin sets on a line; the field names are the ones audited."""

    did: str
    facility_id: int
    name: str
    default_language: str
    queue_id: int | None  # None: every call leaves a voicemail
    menu: tuple[tuple[str, str], ...]  # (language, digit) in the order offered
    always_open: bool
    hours: tuple[Span, ...]  # local times in the facility's time zone
    triage_digit: str
    menu_timeout: int
    record_calls: bool
    transfer_allowed: bool
    three_way_allowed: bool
    call_limit: int
    limit_warning: int
    voicemail_max: int
    max_wait: int | None  # None: the queue's


@dataclass(frozen=True)
class Choices:
    """What a line may name: enabled facilities, queues, and every language with what is
    known of its prompts."""

    facilities: frozenset[int]
    queues: frozenset[int]
    languages: Mapping[str, coverage.Known]


def normalise_did(typed: str) -> str:
    """'+1 (555) 010-0301' -> '15550100301'."""
    return _DID_SEPARATORS.sub("", typed).removeprefix("+")


def did_problem(did: str) -> str | None:
    if not DID.fullmatch(did):
        return ("Give the number in international form, 7 to 15 digits with the country "
                "code, e.g. +1 555 010 0301.")
    return None


def parse_spans(typed: str, weekday: int) -> tuple[tuple[Span, ...], str | None]:
    """'09:00-17:00, 20:00-02:00' -> spans on that weekday; an end of 24:00 is midnight and
    an end before the start runs past midnight. Blank: closed that day."""
    spans: list[Span] = []
    for part in (p.strip() for p in typed.split(",")):
        if not part:
            continue
        found = _SPAN.fullmatch(part)
        if found is None:
            return (), f"Write hours as 09:00-17:00, several separated by commas ('{part[:20]}')."
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if h1 > 23 or h2 > 24 or (h2 == 24 and m2):
            return (), f"'{part}' is not a time of day."
        spans.append(Span(weekday, time(h1, m1), time(0) if h2 == 24 else time(h2, m2)))
    return tuple(spans), None


def format_spans(spans: tuple[Span, ...], weekday: int) -> str:
    return ", ".join(f"{s.start:%H:%M}-{'24:00' if s.end == time(0) else f'{s.end:%H:%M}'}"
                     for s in spans if s.weekday == weekday)


def _int(form: Form, name: str, errors: dict[str, str], *, optional: bool = False) -> int | None:
    typed = text(form, name)
    if optional and not typed:
        return None
    if not typed.isdigit() or len(typed) > 6:
        errors[name] = f"Give the {RANGES[name].what} as a whole number of seconds."
        return None
    value = int(typed)
    if problem := RANGES[name].problem(value):
        errors[name] = problem
    return value


def _id(form: Form, name: str, what: str, errors: dict[str, str], *,
        optional: bool = False) -> int | None:
    typed = text(form, name)
    if optional and not typed:
        return None
    if not typed.isdigit() or len(typed) > 18:
        errors[name] = f"Choose a {what} from the list."
        return None
    return int(typed)


def parse_menu(form: Form, errors: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """Rows menu_language_N / menu_digit_N in order; a row without a language is unused."""
    menu: list[tuple[str, str]] = []
    for row in range(1, MENU_ROWS + 1):
        language, digit = text(form, f"menu_language_{row}"), text(form, f"menu_digit_{row}")
        if not language:
            continue
        if digit not in DIGITS:
            errors[f"menu_digit_{row}"] = "Give the key to press, 1 to 9."
        elif digit in (d for _, d in menu):
            errors[f"menu_digit_{row}"] = f"Key {digit} already chooses another language."
        if language in (lang for lang, _ in menu):
            errors[f"menu_language_{row}"] = "This language is already on the menu."
        menu.append((language, digit))
    return tuple(menu)


def key_clash(menu: tuple[tuple[str, str], ...], triage_digit: str) -> str | None:
    """The urgent key must not also choose a language. A caller may press it at any time
    from the greeting on; during the greeting and the menu a menu key chooses the language,
    and from the notices on the urgent key makes the call urgent, so a key that is both
    fails a caller in danger who presses it early, and makes urgent one who presses a menu
    key twice. A line with one language plays no menu: its key means nothing."""
    if len(menu) < 2:
        return None
    for language, digit in menu:
        if digit == triage_digit:
            return (f"Key {digit} already chooses '{language}' on the language menu: a caller "
                    "in danger pressing it during the greeting would choose the language. "
                    "Give the urgent key a key of its own.")
    return None


def parse_hours(form: Form, errors: dict[str, str]) -> tuple[bool, tuple[Span, ...]]:
    always_open = form.get("always_open") == "on"
    spans: list[Span] = []
    for weekday, day in enumerate(WEEKDAYS):
        found, problem = parse_spans(text(form, f"hours_{day}"), weekday)
        if problem:
            errors[f"hours_{day}"] = problem
        spans.extend(found)
    if not always_open and not spans and not any(k.startswith("hours_") for k in errors):
        errors["hours"] = "Give opening hours for at least one day, or tick 'open at all hours'."
    return always_open, tuple(spans)


def parse_line(form: Form) -> LineSettings:
    errors: dict[str, str] = {}
    did = normalise_did(text(form, "did"))
    if problem := did_problem(did):
        errors["did"] = problem
    name = text(form, "name")
    if problem := name_problem(name, "name"):
        errors["name"] = problem
    facility_id = _id(form, "facility_id", "facility", errors)
    queue_id = _id(form, "queue_id", "queue", errors, optional=True)
    default_language = text(form, "default_language")
    if not default_language:
        errors["default_language"] = "Choose the language callers hear first."
    menu = parse_menu(form, errors)
    if menu and default_language and default_language not in (lang for lang, _ in menu):
        errors["default_language"] = "The default language must be on the menu."
    always_open, hours = parse_hours(form, errors)
    triage_digit = text(form, "triage_digit")
    if triage_digit not in DIGITS:
        errors["triage_digit"] = "Give the key an urgent caller presses, 1 to 9."
    elif problem := key_clash(menu, triage_digit):
        errors["triage_digit"] = problem
    numbers = {name: _int(form, name, errors) for name in
               ("menu_timeout", "call_limit", "limit_warning", "voicemail_max")}
    max_wait = _int(form, "max_wait", errors, optional=True)
    limit, warning = numbers["call_limit"], numbers["limit_warning"]
    if limit is not None and warning is not None and not {"call_limit", "limit_warning"} & set(
            errors) and warning >= limit:
        errors["limit_warning"] = "The warning must come before the cut: less than the limit."
    if errors:
        raise Invalid(errors)
    assert facility_id is not None and None not in numbers.values()
    return LineSettings(
        did=did, facility_id=facility_id, name=name, default_language=default_language,
        queue_id=queue_id, menu=menu, always_open=always_open, hours=hours,
        triage_digit=triage_digit, menu_timeout=numbers["menu_timeout"] or 0,
        record_calls=form.get("record_calls") == "on",
        transfer_allowed=form.get("transfer_allowed") == "on",
        three_way_allowed=form.get("three_way_allowed") == "on",
        call_limit=limit or 0, limit_warning=warning or 0,
        voicemail_max=numbers["voicemail_max"] or 0, max_wait=max_wait)


def choice_problems(new: LineSettings, choices: Choices,
                    saved: LineSettings | None = None) -> dict[str, str]:
    """What the line names that does not exist, or a language lacking the prompts its place
    needs, by field. What the saved line already has may stay (a facility disabled since, a
    language whose files went missing) so that other fields can still change; a new triage
    key has every language checked again."""
    errors: dict[str, str] = {}
    if new.facility_id not in choices.facilities and not (
            saved and saved.facility_id == new.facility_id):
        errors["facility_id"] = "Choose an enabled facility from the list."
    if new.queue_id is not None and new.queue_id not in choices.queues:
        errors["queue_id"] = "Choose a queue from the list."
    same_triage = saved is not None and saved.triage_digit == new.triage_digit
    kept = set(saved.menu) if saved and same_triage else set()
    for row, (language, digit) in enumerate(new.menu, 1):
        if (language, digit) not in kept and (problem := _language_problem(
                choices, language, coverage.required(digit, new.triage_digit))):
            errors[f"menu_language_{row}"] = problem
    # A default language on the menu was checked with its row; alone, it says no entry.
    alone = new.default_language not in (language for language, _ in new.menu)
    kept_alone = saved and same_triage and saved.default_language == new.default_language
    if alone and not kept_alone and (problem := _language_problem(
            choices, new.default_language, coverage.required(None, new.triage_digit))):
        errors["default_language"] = problem
    return errors


def _language_problem(choices: Choices, language: str, needed: Sequence[str]) -> str | None:
    known = choices.languages.get(language)
    if known is None:
        return "Choose a language from the list."
    if lacking := coverage.missing(known, needed):
        more = f" and {len(lacking) - 3} more" if len(lacking) > 3 else ""
        return (f"'{language}' has no prompts yet for this place: it lacks "
                f"{', '.join(lacking[:3])}{more} (see Prompts).")
    return None


def changed_fields(old: LineSettings | None, new: LineSettings) -> list[str]:
    """The names of the fields that differ (all of them for a new line)."""
    return [f.name for f in fields(LineSettings)
            if old is None or getattr(old, f.name) != getattr(new, f.name)]


@dataclass(frozen=True)
class Closure:
    first: date
    last: date
    name: str  # the reason, for the admins' list
    prompt: str  # what callers hear

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def closure_prompts(available: frozenset[str] | None) -> tuple[str, ...]:
    """The prompts a closure may speak: the fixed ones, and any named closed-... that a
    language has (available: the prompt names found; None when the folder is not seen)."""
    recorded = sorted(n for n in available or () if n.startswith(CLOSURE_PREFIX))
    return (*CLOSURE_PROMPTS, *recorded)


def _date(form: Form, name: str, errors: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(text(form, name))
    except ValueError:
        errors[name] = "Give a date as YYYY-MM-DD."
        return None


def parse_closure(form: Form, prompts: tuple[str, ...]) -> Closure:
    errors: dict[str, str] = {}
    first = _date(form, "first", errors)
    last = _date(form, "last", errors) if text(form, "last") else first
    name = text(form, "name")
    if problem := name_problem(name, "reason"):
        errors["name"] = problem
    prompt = text(form, "prompt")
    if prompt not in prompts:
        errors["prompt"] = "Choose what callers hear from the list."
    if first and last and last < first:
        errors["last"] = "The last day cannot be before the first."
    elif first and last and (last - first).days >= MAX_CLOSURE_DAYS:
        errors["last"] = f"A closure can last at most {MAX_CLOSURE_DAYS} days."
    if errors:
        raise Invalid(errors)
    assert first is not None and last is not None
    return Closure(first, last, name, prompt)


def closure_problems(closure: Closure, closed: Mapping[date, str], today: date
                     ) -> dict[str, str]:
    """A closure is for days to come (today, at the facility, counts), and for days not
    already closed: adding one never changes another's reason or message. closed: the
    line's closure days and their reasons."""
    if closure.last < today:
        return {"first": f"These days have passed (today is {today.isoformat()} at the "
                         "facility)."}
    taken = [f"{day.isoformat()} ({closed[day]})" for day in closure.days if day in closed]
    if not taken:
        return {}
    more = f" and {len(taken) - 5} more" if len(taken) > 5 else ""
    return {"first": f"Already closed: {', '.join(taken[:5])}{more}. Remove those days "
                     "first, or choose others."}


def as_form(s: LineSettings) -> dict[str, str]:
    """The form's fields showing a saved line (parse_line reads them back the same)."""
    values = {
        "did": s.did, "facility_id": str(s.facility_id), "name": s.name,
        "default_language": s.default_language,
        "queue_id": "" if s.queue_id is None else str(s.queue_id),
        "triage_digit": s.triage_digit, "menu_timeout": str(s.menu_timeout),
        "call_limit": str(s.call_limit), "limit_warning": str(s.limit_warning),
        "voicemail_max": str(s.voicemail_max),
        "max_wait": "" if s.max_wait is None else str(s.max_wait),
    }
    for flag in ("always_open", "record_calls", "transfer_allowed", "three_way_allowed"):
        if getattr(s, flag):
            values[flag] = "on"
    for row, (language, digit) in enumerate(s.menu, 1):
        values[f"menu_language_{row}"], values[f"menu_digit_{row}"] = language, digit
    for weekday, day in enumerate(WEEKDAYS):
        values[f"hours_{day}"] = format_spans(s.hours, weekday)
    return values


NEW_LINE = {"triage_digit": "9", "menu_timeout": "5", "call_limit": "900",
            "limit_warning": "120", "voicemail_max": "180", "always_open": "on"}
