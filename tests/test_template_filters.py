"""The pages' own template filters: a count with its noun, a language by its name, why a call
went to voicemail in words."""

from __future__ import annotations

import pytest

from lifeline_pbx.web.app import templates


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
