"""What saving a saved intake's form again may do to the person it is filed under: pure,
no I/O.

A later save may file an intake saved without an A-number under the person typed, and
may change what it says about its person; it never files it under another person. That is a
move (misfile_work.py): a supervisor's, with a reason, shown on both people's pages, taking
off the first record what the intake added and its proposals with it. A save doing it
silently left the first person with a proposal to take the other's name and facility.
"""

from __future__ import annotations

import uuid

KEEP_A_NUMBER = ("This intake was saved with an A-number: type it again (or the right one) "
                 "rather than clearing it.")

SAME = ""  # the same person, or the first one: the save goes on
CLEARED = "cleared"  # the A-number emptied
OTHER = "other"  # another person's A-number, or one not on record


def person_change(filed: uuid.UUID | None, typed: bool, found: uuid.UUID | None) -> str:
    """What a re-save does to the intake's person. filed: whom it is filed under now;
    typed: whether the form has an A-number; found: whom that A-number is (merges
    followed), None if no one has it yet."""
    if filed is None:
        return SAME
    if not typed:
        return CLEARED
    return SAME if found == filed else OTHER


def filed_elsewhere(a_number: str, moved: bool, may_move: bool) -> str:
    """The refusal of an OTHER, beside the A-number field. An intake a supervisor has moved
    since is not named to whoever may not move it: an operator is not told whom it went to."""
    if moved and not may_move:
        said = "This intake was moved by a supervisor to the right person's record."
    else:
        said = f"This intake is filed under {a_number}."
    how = ("move it, giving a reason: the link below opens the move (what you typed is "
           "still here)." if may_move else
           "a supervisor moves it, giving a reason. Nothing was saved; what you typed is "
           "still here.")
    return f"{said} Saving the form again does not change whom it is about: to file it " \
           f"under another person, {how}"
