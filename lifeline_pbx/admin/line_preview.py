"""What a caller of a line hears, in order, worked out by running the engine's own call flow
(calls/flow.py) on made-up events: the greeting, the menu, and for each language the
notices, triage and what follows when the line is open or busy; and what a caller hears
when it is closed (the same whatever the language: it comes first). Each prompt is shown by
its words where they are known: the catalogue's text (prompts/<language>.toml) of a file
synthesised from it; a recording's words are not known, and it is shown by its name. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lifeline_pbx.admin.line_rules import LineSettings
from lifeline_pbx.calls import flow, ivr, model
from lifeline_pbx.calls.hours import CLOSED_PROMPT, TOMORROW
from lifeline_pbx.calls.model import Phase
from lifeline_pbx.prompts import choose_prompt, coverage, tones

Prompt = tuple[str, str]  # (language, name)
MAX_STEPS = 40  # a path is a dozen steps; more means the flow changed under this module
SAMPLE_OPENING = (TOMORROW, 900)  # what the closed stage shows for "when it opens again"


@dataclass(frozen=True)
class Heard:
    """One prompt as configured, and the file the engine would play for it."""

    language: str
    name: str
    played: Prompt | None  # after the fallbacks (line's language, English); None: missing
    tone: bool = False  # a beep, not a spoken prompt
    words: str | None = None  # what the caller hears, in the played file's language


@dataclass(frozen=True)
class Stage:
    title: str
    heard: tuple[Heard, ...]


def engine_line(line_id: int, facility_name: str, s: LineSettings) -> model.Line:
    return model.Line(
        id=line_id, did=s.did, facility_id=s.facility_id, facility_name=facility_name,
        default_language=s.default_language,
        languages=tuple((digit, language) for language, digit in s.menu),
        triage_digit=s.triage_digit, menu_timeout=float(s.menu_timeout),
        record_calls=s.record_calls, queue_id=s.queue_id, call_limit=s.call_limit,
        limit_warning=s.limit_warning, voicemail_max=s.voicemail_max, max_wait=s.max_wait)


def _walk(line: model.Line, digit: str | None, *, open_: bool, closed_prompt: str = CLOSED_PROMPT,
          queue_gives_back: bool = False) -> list[tuple[Phase, tuple[Prompt, ...]]]:
    """Drive the flow like a caller who presses `digit` at the menu, then nothing."""
    started = model.Started(line, line.default_language, open_, closed_prompt,
                            None if open_ else SAMPLE_OPENING)
    state, commands = flow.step(model.State(), started)
    heard: list[tuple[Phase, tuple[Prompt, ...]]] = []
    for _ in range(MAX_STEPS):
        heard += [(state.phase, c.prompts) for c in commands if isinstance(c, model.Play)]
        event: model.FlowEvent
        if state.phase is Phase.QUEUED:
            if not queue_gives_back:
                break
            event = model.QueueLeft("max_wait")
        elif state.playing is not None and state.phase is not Phase.CLOSING:
            event = model.PromptFinished(state.playing, True)
        elif state.phase is Phase.LANGUAGE and digit is not None:
            event = model.Digit(digit)
        elif state.phase is Phase.TRIAGE:
            event = model.TimerFired(ivr.TRIAGE_TIMER)
        elif state.phase is Phase.RECORDING:
            event = model.RecordingFinished(30)
        else:
            break
        state, commands = flow.step(state, event)
    return heard


def words_known(texts: Mapping[Prompt, str], known: Mapping[str, coverage.Known]
                ) -> dict[Prompt, str]:
    """The catalogue's texts (prompts.rendered_prompts) of the files made from them: not of
    a recording, nor of a language the catalogue does not voice."""
    return {(language, name): text for (language, name), text in texts.items()
            if language in known
            and coverage.of(known[language], name) is coverage.State.SYNTHESISED}


@dataclass(frozen=True)
class _Sources:
    default: str  # the line's language
    found: frozenset[Prompt] | None  # the files (None: not seen here, every one trusted)
    words: Mapping[Prompt, str]

    def heard(self, prompts: tuple[Prompt, ...]) -> tuple[Heard, ...]:
        return tuple(self._one(language, name) for language, name in prompts)

    def _one(self, language: str, name: str) -> Heard:
        if language == tones.LANGUAGE:
            return Heard(language, name, (language, name), tone=True)
        played = ((language, name) if self.found is None
                  else choose_prompt(name, language, self.default, self.found))
        return Heard(language, name, played,
                     words=None if played is None else self.words.get(played))


def _after(walk: list[tuple[Phase, tuple[Prompt, ...]]], phases: tuple[Phase, ...]
           ) -> tuple[Prompt, ...]:
    return tuple(p for phase, prompts in walk if phase in phases for p in prompts)


def stages(line: model.Line, names: dict[str, str], found: frozenset[Prompt] | None,
           queue_name: str | None, words: Mapping[Prompt, str]) -> list[Stage]:
    """The preview: one stage per moment of a call, each with what plays, in order."""
    sources = _Sources(line.default_language, found, words)
    menu = ivr.only_language(line) is None
    choices = line.languages if menu else ((None, ivr.only_language(line) or sources.default),)
    first = _walk(line, choices[0][0], open_=True)
    result = [Stage("When the call is answered",
                    sources.heard(_after(first, (Phase.GREETING,))))]
    if menu:
        result.append(Stage("The language menu (once if nobody presses a key)",
                            sources.heard(_after(first, (Phase.LANGUAGE,)))))
    else:
        result[0] = Stage(result[0].title, sources.heard(
            _after(first, (Phase.GREETING, Phase.NOTICES, Phase.TRIAGE))))
    for digit, language in choices:
        title = names.get(language, language)
        walk = _walk(line, digit, open_=True)
        if menu:
            result.append(Stage(f"Pressing {digit}: {title}", sources.heard(
                _after(walk, (Phase.NOTICES, Phase.TRIAGE)))))
        waiting = (f"Then waits in the queue '{queue_name}' with music, hearing their place "
                   "and the expected wait from time to time" if line.queue_id is not None
                   else "No queue: every caller is asked to leave a message")
        result.append(Stage(f"{title}: open. {waiting}", sources.heard(
            _after(walk, (Phase.VOICEMAIL, Phase.CLOSING)))))
        if line.queue_id is not None:
            busy = _walk(line, digit, open_=True, queue_gives_back=True)
            result.append(Stage(f"{title}: nobody answers in time (or nobody is logged in)",
                                sources.heard(_after(busy, (Phase.VOICEMAIL, Phase.CLOSING)))))
    closed = _walk(line, None, open_=False)
    result.append(Stage("Closed (outside opening hours, or a closure day): heard first, "
                        "in the line's language",
                        sources.heard(_after(closed, (Phase.VOICEMAIL, Phase.CLOSING)))))
    return result
