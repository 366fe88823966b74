"""The IVR: language menu, confidentiality and recording notices, triage. Pure.

Menu rules: the menu is read in each offered language ("For Spanish, press 2" in Spanish);
a caller who presses nothing hears it once, then goes on in the line's default language;
an invalid digit is explained and the menu asked again (three invalid digits also fall
back to the default language, so nobody is trapped).

Keys (the shorter path to a person, docs/decisions.md): a key valid for the prompt playing
stops it and is applied at once; the next keys arrive in order and each is applied to the
step it reaches.
- Greeting (a line with a menu): a menu digit stops it and chooses the language; any other
  key is ignored and the greeting plays on (a stray key costs no menu try).
- Menu: a menu digit chooses; any other key is one invalid choice.
- Notices (short by default): MORE_KEY stops them and plays their full text; the triage
  digit stops them and the call is urgent at once (even after kept keys: an emergency is
  never lost behind a key pressed before it); any other key is kept and the first kept
  answers the triage question as soon as the notices end (the notices are not skipped).
- Triage: any key answers it (the triage digit: urgent; another: not urgent).
"""

from __future__ import annotations

from dataclasses import replace

from lifeline_pbx.calls.model import (
    CancelTimer,
    Command,
    Digit,
    Line,
    Note,
    Phase,
    Play,
    StartTimer,
    State,
    Step,
    StopPlayback,
    TimerFired,
)

MENU_PLAYS = 1
MAX_INVALID = 3
MENU_TIMER = "menu"
TRIAGE_TIMER = "triage"
MORE_KEY = "*"  # during the short notices: hear them in full
# After the triage question, how long a caller who presses nothing waits before the queue
# (at most; a line's menu timeout when shorter). The triage digit is heard from the start of
# the notices, so the question itself is not the only chance.
TRIAGE_WAIT = 3.0


def play(state: State, *prompts: tuple[str, str]) -> tuple[State, Play]:
    playback_id = f"p{state.plays + 1}"
    return (
        replace(state, playing=playback_id, plays=state.plays + 1),
        Play(tuple(prompts), playback_id),
    )


def _line(state: State) -> Line:
    assert state.line is not None, "the IVR runs only for known lines"
    return state.line


def begin(state: State) -> Step:
    """After the greeting: the language menu when the line offers a choice, else the notices."""
    language = only_language(_line(state))
    if language is not None:
        return notices(replace(state, language=language))
    return _menu(replace(state, phase=Phase.LANGUAGE, menu_tries=0))


def only_language(line: Line) -> str | None:
    """The line's one language, when it offers no choice (so no menu); else None."""
    if len(line.languages) >= 2:
        return None
    return line.languages[0][1] if line.languages else line.default_language


def greeting_and_notices(state: State, language: str) -> Step:
    """No menu to wait for: the greeting and the notices play as one playback (one request
    and one event instead of two of each); keys follow the notices' rules during both."""
    greeting = (state.language, "greeting")
    return notices(replace(state, language=language), (greeting,))


def _menu(state: State, before: tuple[tuple[str, str], ...] = ()) -> Step:
    entries = tuple((lang, f"language-choice-{digit}") for digit, lang in _line(state).languages)
    state, command = play(state, *before, *entries)
    return state, [command]


def notices(state: State, before: tuple[tuple[str, str], ...] = ()) -> Step:
    state, command = play(replace(state, phase=Phase.NOTICES), *before,
                          *_notice_prompts(state, full=False))
    return state, [Note("language", (("language", state.language),)), command]


def _notice_prompts(state: State, *, full: bool) -> list[tuple[str, str]]:
    names = ["confidentiality" if full else "confidentiality-short"]
    if _line(state).record_calls:
        names.append("recording-notice" if full else "recording-short")
    return [(state.language, name) for name in names]


def triage(state: State) -> Step:
    state, command = play(
        replace(state, phase=Phase.TRIAGE), (state.language, f"triage-{_line(state).triage_digit}")
    )
    return state, [Note("triage_asked"), command]


# Each handler returns (state, commands, done): done means the IVR is over, route the caller.
IvrStep = tuple[State, list[Command], bool]


def on_prompt_finished(state: State) -> IvrStep:
    """The prompt we waited for ended."""
    if state.phase is Phase.LANGUAGE:
        timer = StartTimer(MENU_TIMER, _line(state).menu_timeout)
        return replace(state, playing=None), [timer], False
    if state.phase is Phase.NOTICES and state.kept:
        key, state = state.kept[0], replace(state, kept=(), playing=None)
        return _triage_answer(state, key, [Note("key_applied", (("digit", key),))])
    if state.phase is Phase.NOTICES:
        return (*triage(state), False)
    timer = StartTimer(TRIAGE_TIMER, min(_line(state).menu_timeout, TRIAGE_WAIT))
    return replace(state, playing=None), [timer], False


def on_timer(state: State, event: TimerFired) -> IvrStep:
    if state.phase is Phase.LANGUAGE and event.name == MENU_TIMER:
        tries = state.menu_tries + 1
        if tries >= MENU_PLAYS:
            language = _line(state).default_language
            state = replace(state, language=language, menu_tries=tries)
            step = notices(state)
            return step[0], [Note("language_default", (("reason", "no_input"),)), *step[1]], False
        return (*_menu(replace(state, menu_tries=tries)), False)
    if state.phase is Phase.TRIAGE and event.name == TRIAGE_TIMER:
        return state, [], True
    return state, [], False


def on_digit(state: State, event: Digit) -> IvrStep:
    """A key pressed in the greeting or the IVR (the rules: this module's docstring)."""
    stop: list[Command] = [StopPlayback(state.playing)] if state.playing else []
    digit = event.digit
    if state.phase is Phase.GREETING:
        if digit not in dict(_line(state).languages):
            return state, [_ignored(digit)], False
        interrupted = Note("interrupted", (("prompt", "greeting"),))
        return _menu_digit(replace(state, phase=Phase.LANGUAGE, playing=None), digit,
                           [*stop, interrupted])
    if state.phase is Phase.LANGUAGE:
        return _menu_digit(state, digit, [*stop, CancelTimer(MENU_TIMER)])
    if state.phase is Phase.NOTICES:
        return _notices_digit(state, digit, stop)
    if state.phase is Phase.TRIAGE:
        return _triage_answer(replace(state, playing=None), digit,
                              [*stop, CancelTimer(TRIAGE_TIMER)])
    return state, [], False


def _ignored(digit: str) -> Note:
    return Note("key_ignored", (("digit", digit),))


def _notices_digit(state: State, digit: str, stop: list[Command]) -> IvrStep:
    if digit == MORE_KEY:
        if state.notices_full:
            return state, [_ignored(digit)], False
        state, command = play(replace(state, notices_full=True),
                              *_notice_prompts(state, full=True))
        return state, [*stop, Note("notices_full"), command], False
    if digit == _line(state).triage_digit:
        return _triage_answer(replace(state, playing=None, kept=()), digit,
                              [*stop, Note("interrupted", (("prompt", "notices"),))])
    return replace(state, kept=(*state.kept, digit)), [Note("key_kept", (("digit", digit),))], False


def _triage_answer(state: State, digit: str, before: list[Command]) -> IvrStep:
    if digit == _line(state).triage_digit:
        return replace(state, priority=1), [*before, Note("triage", (("urgent", "yes"),))], True
    return state, before, True


def _menu_digit(state: State, digit: str, stop: list[Command]) -> IvrStep:
    line = _line(state)
    chosen = dict(line.languages).get(digit)
    if chosen is not None:
        state, commands = notices(replace(state, language=chosen))
        return state, [*stop, *commands], False
    tries = state.menu_tries + 1
    note = Note("invalid_choice", (("digit", digit),))
    if tries >= MAX_INVALID:
        fallback = Note("language_default", (("reason", "invalid"),))
        state, commands = notices(replace(state, language=line.default_language, menu_tries=tries))
        return state, [*stop, note, fallback, *commands], False
    invalid = (line.default_language, "invalid-choice")
    state, commands = _menu(replace(state, menu_tries=tries), (invalid,))
    return state, [*stop, note, *commands], False
