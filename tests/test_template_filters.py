"""The pages' own template filters: a count with its noun, a language by its name, why a call
went to voicemail in words, a time with its zone's abbreviation; the hotline's today."""

from __future__ import annotations

import datetime as dt

import pytest

from lifeline_pbx.web.app import templates
from lifeline_pbx.web.times import hotline_today


@pytest.mark.parametrize(("source", "shown"), [
    ('{{ 1|counted("day") }}', "1 day"),
    ('{{ 30|counted("day") }}', "30 days"),
    ('{{ 0|counted("line") }}', "0 lines"),
    ('{{ 1|counted("facility", "facilities") }}', "1 facility"),
    ('{{ 2|counted("facility", "facilities") }}', "2 facilities"),
    ('{{ "es"|language }}', "Spanish"),
    ('{{ "cmn"|language }}', "Mandarin"),
    ('{{ "xx"|language }}', "xx"),  # a code not on the list, as it is
    ('{{ ["en", "ht"]|map("language")|join(", ") }}', "English, Haitian Creole"),
    ('{{ "no_operators"|voicemail_reason }}', "no operator was logged in"),
    ('{{ "max_wait"|voicemail_reason|capitalize }}', "The caller waited too long in the queue"),
    ('{{ "sip_down"|voicemail_reason }}', "sip down"),  # not on the list, as the email says it
])
def test_the_filters(source: str, shown: str) -> None:
    assert templates().from_string(source).render() == shown


WINTER = dt.datetime(2025, 3, 1, 3, 5, tzinfo=dt.UTC)  # 22:05 on 28 February in New York
SUMMER = dt.datetime(2025, 7, 1, 3, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(("source", "at", "shown"), [
    ("{{ at|when }}", WINTER, "2025-02-28 22:05 EST"),  # the hotline's clock unless named
    ("{{ at|when(hotline_zone) }}", WINTER, "2025-02-28 22:05 EST"),
    ("{{ at|when(hotline_zone) }}", SUMMER, "2025-06-30 23:05 EDT"),
    ('{{ at|when("America/Los_Angeles") }}', SUMMER, "2025-06-30 20:05 PDT"),
    ('{{ at|when("UTC") }}', SUMMER, "2025-07-01 03:05 UTC"),
    ("{{ at|when }}", SUMMER.astimezone(dt.timezone(dt.timedelta(hours=-5))),
     "2025-06-30 23:05 EDT"),  # whatever zone it comes in
    ("{{ at|clock }}", WINTER.replace(second=7), "22:05:07 EST"),
    ('{{ at|clock("UTC") }}', WINTER.replace(second=7), "03:05:07 UTC"),
    ("{{ at|day }}", WINTER, "2025-02-28"),  # the hotline's day, the evening before
    ('{{ at|day("UTC") }}', WINTER, "2025-03-01"),
    ("{{ at|month }}", WINTER, "February 2025"),
    ("{{ at|clock(hotline_zone) }}", WINTER.replace(second=7), "22:05:07 EST"),
    ("{{ at|clock(hotline_zone) }}", SUMMER, "23:05:00 EDT"),
])
def test_a_time_says_its_zone(source: str, at: dt.datetime, shown: str) -> None:
    assert templates().from_string(source).render(at=at) == shown


@pytest.mark.parametrize("source", ["{{ at|when }}", "{{ at|clock(hotline_zone) }}",
                                    "{{ at|day }}"])
def test_a_time_without_its_zone_is_refused(source: str) -> None:
    with pytest.raises(ValueError, match="without its zone"):
        templates().from_string(source).render(at=dt.datetime(2025, 3, 1))


@pytest.mark.parametrize(("now", "today"), [
    (WINTER, dt.date(2025, 2, 28)),  # the evening before, in New York
    (dt.datetime(2025, 3, 1, 5, 0, tzinfo=dt.UTC), dt.date(2025, 3, 1)),
    (SUMMER, dt.date(2025, 6, 30)),
    (dt.datetime(2025, 7, 1, 4, 0, tzinfo=dt.UTC), dt.date(2025, 7, 1)),
])
def test_the_hotlines_today(now: dt.datetime, today: dt.date) -> None:
    assert hotline_today(now) == today
