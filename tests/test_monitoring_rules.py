"""What the metrics and the JSON log say, as pure functions: label values, states, fields.
The endpoint itself, on a running hotline, is tested in tests/test_metrics_live.py."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import replace

import pytest

from lifeline_pbx import config, logs
from lifeline_pbx.calls.model import Phase
from lifeline_pbx.errors import ConfigError
from lifeline_pbx.monitoring import states
from lifeline_pbx.queues import routing
from tests.privacy import forget, leaks, sensitive
from tests.test_config import GOOD

NOW = 1_000_000.0
READY = routing.Operator(
    id="op-a", languages=frozenset({"en"}), queues=frozenset({"1"}), logged_in=True,
    paused=False, registered=True, on_call=False, ringing=False, wrapup_until=0.0,
    idle_since=0.0, missed_in_row=0)


@pytest.mark.parametrize(("changes", "state"), [
    ({}, "ready"),
    ({"logged_in": False}, "logged_out"),
    ({"logged_in": False, "registered": False}, "logged_out"),
    ({"paused": True}, "paused"),
    ({"paused": True, "wrapup_until": NOW + 5}, "paused"),
    ({"wrapup_until": NOW + 5}, "wrap_up"),
    ({"wrapup_until": NOW - 5}, "ready"),
    ({"registered": False}, "phone_offline"),
    ({"ringing": True}, "ringing"),
    ({"on_call": True}, "talking"),
    ({"on_call": True, "logged_in": False}, "talking"),  # logged out during a call
    ({"on_call": True, "ringing": True}, "talking"),
])
def test_operator_state(changes: dict[str, object], state: str) -> None:
    assert states.operator_state(replace(READY, **changes), NOW) == state  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "state"), [
    ({}, "talking"),  # ready for the queues, but on a relay, transfer or on-call leg
    ({"paused": True}, "talking"),
    ({"logged_in": False}, "talking"),
    ({"wrapup_until": NOW + 5}, "talking"),
])
def test_an_operator_on_a_side_call_is_busy(changes: dict[str, object], state: str) -> None:
    op = replace(READY, **changes)  # type: ignore[arg-type]
    assert states.operator_state(op, NOW, {"op-a"}) == state
    assert states.operator_state(op, NOW, {"op-b"}) != "talking"  # someone else's side call
    assert states.paused_by_reason([op], {"op-a": "break"}, NOW, {"op-a"})["break"] == 0


def test_operator_states_name_every_state() -> None:
    ops = [READY, replace(READY, id="op-b", paused=True), replace(READY, id="op-c")]
    assert states.operator_states(ops, NOW) == {
        "logged_out": 0, "ready": 2, "ringing": 0, "talking": 0, "wrap_up": 0, "paused": 1,
        "phone_offline": 0}


@pytest.mark.parametrize(("stored", "label"), [
    ("break", "break"),
    ("meal: back at 3, ask Maria", "meal"),  # the operator's note never becomes a label
    ("technical problem: headset", "technical problem"),
    ("missed calls", "missed calls"),
    ("other: doctor", "other"),
    ("Ana Perez A123456789", "other"),  # not from the list: whatever it says, "other"
    ("", "unknown"),
    (None, "unknown"),
])
def test_pause_label(stored: str | None, label: str) -> None:
    assert states.pause_label(stored) == label


def test_paused_by_reason_counts_only_paused_operators() -> None:
    ops = [replace(READY, id="op-a", paused=True), replace(READY, id="op-b", paused=True),
           replace(READY, id="op-c", paused=True, logged_in=False), READY]
    reasons = {"op-a": "meal: call me", "op-b": "meal", "op-c": "break"}
    counts = states.paused_by_reason(ops, reasons, NOW)
    assert counts["meal"] == 2 and counts["break"] == 0  # op-c is logged out
    assert set(counts) == set(states.PAUSE_LABELS)


@pytest.mark.parametrize(("phases", "queued", "talking", "expected"), [
    ([], [], 0, {}),
    ([Phase.NEW, Phase.GREETING, Phase.LANGUAGE, Phase.NOTICES, Phase.TRIAGE], [], 0,
     {"ivr": 5}),
    # Queued and connected calls are counted from the distributor's picture, not the phase.
    ([Phase.QUEUED, Phase.QUEUED, Phase.CONNECTED], [False, True], 1,
     {"waiting": 1, "ringing": 1, "talking": 1}),
    ([Phase.VOICEMAIL, Phase.RECORDING, Phase.CLOSING, Phase.HANGING_UP, Phase.ENDED], [], 0,
     {"voicemail": 2, "ending": 2}),
])
def test_call_states(phases: list[Phase], queued: list[bool], talking: int,
                     expected: dict[str, int]) -> None:
    counts = states.call_states(phases, queued, talking)
    assert counts == {state: expected.get(state, 0) for state in states.CALL_STATES}


@pytest.mark.parametrize(("language", "label"), [
    ("en", "en"), ("es-419", "es-419"), ("ht", "ht"), ("cmn", "cmn"),
    ("", "other"), ("Ana", "other"), ("en es", "other"), ("x" * 40, "other"),
])
def test_language_label(language: str, label: str) -> None:
    assert states.language_label(language) == label


@pytest.mark.parametrize(("message", "fields"), [
    ("queue round failed", {}),
    ("could not hold call=1b2c", {"call": "1b2c"}),
    ("operator state not saved operator_id=7 error=OSError",
     {"operator_id": 7, "error": "OSError"}),
    ("web listening host=127.0.0.1 port=8080", {"host": "127.0.0.1", "port": 8080}),
    ("a=1 a=2 level=x message=y", {"a": 1}),  # first wins; the line's own keys stay
    ("x==1 ab=", {}),
])
def test_json_fields_from_the_message(message: str, fields: dict[str, object]) -> None:
    assert logs.fields(message) == fields


@pytest.mark.parametrize(("key", "value", "typed"), [
    ("status", "200", 200),
    ("bytes", "0", 0),
    ("offset", "-3", -3),
    ("seconds", "0.012", 0.012),
    ("seconds", "-1.5", -1.5),
    ("ratio", "2.5e-05", 2.5e-05),
    ("code", "0042", "0042"),  # leading zeros: a code, not a number
    ("took", "5s", "5s"),
    ("version", "1.2.3", "1.2.3"),
    ("host", "127.0.0.1", "127.0.0.1"),
    ("value", "1e5", "1e5"),
    ("value", "inf", "inf"),
    ("value", "nan", "nan"),
    ("value", "1_000", "1_000"),
    ("value", "+7", "+7"),
    ("value", ".5", ".5"),
    ("value", "5.", "5."),
    ("call", "1712345678.42", "1712345678.42"),  # Asterisk's channel id
    ("channel", "1712345678.42", "1712345678.42"),
    ("line", "5551234567", "5551234567"),
    ("operator", "1001", "1001"),
])
def test_a_json_field_is_a_number_only_when_its_value_wholly_is_one(
        key: str, value: str, typed: object) -> None:
    assert logs.typed(key, value) == typed
    assert type(logs.typed(key, value)) is type(typed)


def _record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            info = sys.exc_info()
    return logging.LogRecord("lifeline_pbx.calls", logging.WARNING, __file__, 1, message, args,
                             info)


def test_a_json_log_line_is_one_object() -> None:
    line = logs.JsonFormatter().format(_record("hold failed call=%s tries=%d", "c1", 3))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["time"].endswith("Z") and "T" in parsed["time"]
    assert {k: parsed[k] for k in ("level", "logger", "message", "call", "tries")} == {
        "level": "WARNING", "logger": "lifeline_pbx.calls", "message": "hold failed call=c1 "
        "tries=3", "call": "c1", "tries": 3}


def test_a_traceback_stays_inside_the_json_line() -> None:
    line = logs.JsonFormatter().format(_record("handler failed", exc=True))
    assert "\n" not in line
    parsed = json.loads(line)
    assert "ValueError: boom" in parsed["exception"]


def test_the_console_handler_takes_the_configured_format(
        capsys: pytest.CaptureFixture[str]) -> None:
    handler = logs.ConsoleHandler(sys.stderr)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        logs.use("json")
        logging.getLogger("lifeline_pbx.test").warning("json now port=%d", 9)
        logs.use("text")
        logging.getLogger("lifeline_pbx.test").warning("text again")
    finally:
        root.removeHandler(handler)
    first, second = capsys.readouterr().err.splitlines()[-2:]
    assert json.loads(first)["port"] == 9
    assert second.endswith("WARNING lifeline_pbx.test text again")


def test_settings_metrics_off_by_default_and_log_format() -> None:
    cfg = config.load(environ=GOOD)
    assert (cfg.metrics_host, cfg.metrics_port, cfg.log_format) == ("127.0.0.1", 0, "text")
    cfg = config.load(environ={**GOOD, "LIFELINE_METRICS_PORT": "9464",
                               "LIFELINE_LOG_FORMAT": "JSON"})
    assert (cfg.metrics_port, cfg.log_format) == (9464, "json")


@pytest.mark.parametrize(("name", "value"), [
    ("LIFELINE_METRICS_PORT", "70000"), ("LIFELINE_METRICS_PORT", "http"),
    ("LIFELINE_LOG_FORMAT", "xml"), ("LIFELINE_METRICS_HOST", " "),
])
def test_bad_monitoring_settings_are_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        config.load(environ={**GOOD, name: value})
    assert name.removeprefix("LIFELINE_").lower() in str(error.value)


def test_the_privacy_check_reads_the_json_lines_too() -> None:
    name = 'Ana "Flaca" Perez\tA0123'  # JSON escapes the quotes and the tab
    sensitive(name)
    try:
        logging.getLogger("lifeline_pbx.test").warning("caller %s", name)
        found = leaks()
        assert any(line.startswith("{") and json.loads(line)["message"] == f"caller {name}"
                   for line in found)
    finally:
        forget(name)
    assert not any(name in line for line in leaks())
