"""Every time a page shows is on the hotline's clock and says its zone (web/times.py).

Three checks, so the next page cannot slip back into UTC or into a bare time:
- the templates, as the app's environment parses them: nothing prints a time (`at`,
  `*_at`, `*goes_on`, an alert's window) or calls strftime, isoformat, date()... on
  anything but a calendar day or month, except through the `when`, `day`, `month` and
  `clock` filters; "UTC" is written only by the pages that show UTC on purpose (the audit
  log, the retention runs: the admins' records, as the server's logs give them);
- the Python and the pages' scripts: no time of day formatted for display outside the
  places listed below with their reason;
- every page of a seeded case record, rendered: no date and time without a zone after it,
  and none in UTC outside those admin pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from jinja2 import nodes

from lifeline_pbx.paths import HOME
from lifeline_pbx.web.app import templates
from tests.test_every_route import _get, _paths, _record
from tests.test_voicemail_intake import row_of, voicemail
from tests.web_fixtures import WebApp

TIME_FILTERS = {"when", "day", "month", "clock"}
CLOCK_METHODS = {"strftime", "isoformat", "date", "time", "astimezone", "timestamp",
                 "ctime", "timetuple"}
# Days and months with no clock, or already on a named one (a report's `recorded` is on its
# facility's), whose methods a template may call.
CALENDAR = {"day", "month", "first", "last", "recorded"}
UTC_TEMPLATES = {"admin/audit.html", "admin/retention.html"}
UTC_PAGES = ("/admin/audit", "/admin/retention")

# Python that formats a time of day, and why it may: nothing else does.
PYTHON_CLOCKS = {
    "lifeline_pbx/web/times.py": "the filters themselves",
    "lifeline_pbx/alerts/mail.py": "an email, in UTC as it says",
    "lifeline_pbx/audit/chain.py": "the command line's audit check, in UTC as it says",
    "lifeline_pbx/backup/commands.py": "the command line, with the zone",
    "lifeline_pbx/backup/replacing.py": "the command line, with the zone",
    "lifeline_pbx/admin/line_rules.py": "opening hours: times of day, not moments",
    "lifeline_pbx/ari/events.py": "reads Asterisk's times (strptime)",
    "lifeline_pbx/queues/offers.py": "reads Asterisk's times (strptime)",
}
SCRIPT_CLOCKS = re.compile(r"toISOString|toUTCString|getUTC|toLocale\w*String|\bUTC\b")
SHOWN_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?(?![:\d])(?! ?[A-Z]{3,4}\b)")
SHOWN_UTC = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)? UTC\b")


def _is_time(name: str) -> bool:
    return name in ("at", "window_start", "window_end") or name.endswith(("_at", "goes_on"))


def _name(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    return node.name if isinstance(node, nodes.Name) else None


def _raw_times(node: nodes.Node) -> Iterator[str]:
    """What of this printed expression shows a time other than through the filters."""
    if isinstance(node, nodes.Filter) and node.name in TIME_FILTERS:
        return
    if isinstance(node, (nodes.Test, nodes.Compare, nodes.Not)):
        return  # a yes or no, not shown
    if isinstance(node, nodes.CondExpr):
        yield from _raw_times(node.expr1)
        if node.expr2 is not None:
            yield from _raw_times(node.expr2)
        return
    if (isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr)
            and node.node.attr in CLOCK_METHODS
            and _name(node.node.node) not in CALENDAR):
        yield f"{_name(node.node.node)}.{node.node.attr}()"
        return
    name = _name(node)
    if name is not None and _is_time(name):
        yield name
        return
    for child in node.iter_child_nodes():
        yield from _raw_times(child)


def template_problems(name: str, source: str) -> list[str]:
    tree = templates().parse(source)
    found = [f"{name}:{out.lineno}: {raw}"
             for out in tree.find_all((nodes.Output, nodes.Assign))
             for raw in _raw_times(out)]
    if name not in UTC_TEMPLATES:
        texts = [(d.lineno, d.data) for d in tree.find_all(nodes.TemplateData)]
        texts += [(c.lineno, c.value) for c in tree.find_all(nodes.Const)]
        found += [f"{name}:{line}: UTC" for line, text in texts
                  if isinstance(text, str) and "UTC" in text]
    return found


def test_the_templates_show_times_only_through_the_filters() -> None:
    env = templates()
    assert env.loader is not None
    names = env.list_templates()
    assert len(names) > 80
    problems = [p for name in names
                for p in template_problems(name, env.loader.get_source(env, name)[0])]
    assert problems == []


def test_the_check_finds_a_time_shown_raw() -> None:
    assert template_problems("x.html", (
        '{{ f.closed_at.strftime("%Y-%m-%d %H:%M") }} UTC · {{ c.at }} · {{ "Call of " ~ c.at }}'
        " · {{ d.goes_on.date() }} · {{ x.created_at|string }} · {{ v if v else r.moved_at }}"
    )) == ["x.html:1: closed_at.strftime()", "x.html:1: at", "x.html:1: at",
           "x.html:1: goes_on.date()", "x.html:1: created_at", "x.html:1: moved_at",
           "x.html:1: UTC"]
    assert template_problems("x.html", (
        "{{ c.at|when }} {{ s.created_at|when(s.facility_zone) }} {{ d.goes_on|day }}"
        "{% if f.closed_at %}{{ f.due_on }}{% endif %} {{ e.month.strftime('%B %Y') }}"
        " {{ 'yes' if h.released_at is none else 'no' }}")) == []


def test_no_python_or_script_formats_a_time_of_day_for_a_page() -> None:
    clocks = re.compile(r"%H:%M")
    found = {str(p.relative_to(HOME)) for p in (HOME / "lifeline_pbx").rglob("*.py")
             if clocks.search(p.read_text())}
    assert found <= set(PYTHON_CLOCKS)
    scripts = {p.name: m.group() for p in Path(HOME / "web" / "static").glob("*.js")
               if (m := SCRIPT_CLOCKS.search(p.read_text()))}
    assert scripts == {}


async def test_every_page_of_a_record_gives_its_times_on_the_hotlines_clock(
        web: WebApp) -> None:
    ids = await _record(web)
    await voicemail(web)
    admin = await web.signed_in("admin1")
    seen: dict[str, list[str]] = {}
    for path in _paths(web, ids):
        status, body, headers = await _get(admin, path)
        if status != 200 or not headers.get("Content-Type", "").startswith(
                ("text/html", "application/json")):
            continue
        bad = SHOWN_TIME.findall(body)
        if not path.startswith(UTC_PAGES):
            bad += SHOWN_UTC.findall(body)
        if bad:
            seen[path] = bad
    assert seen == {}
    # The walk saw the record's times: its call, follow-up and person pages.
    for path in (f"/calls/{ids['call']}", f"/follow-ups/{ids['follow_up']}",
                 f"/people/{ids['person']}"):
        assert re.search(r"\d\d:\d\d E[SD]T", (await admin.get(path))[1]), path


async def test_the_board_the_voicemail_list_and_the_intake_give_a_message_one_time(
        web: WebApp) -> None:
    """The board's voicemail panel said 07:57 UTC, /voicemail 02:57 EST (the walkthrough's
    finding 7): the feed now carries the time as the pages write it."""
    vid, _ = await voicemail(web)
    supervisor = await web.signed_in("supervisor1")
    screen = await supervisor.http.ws_connect(supervisor.url("/supervisor/alerts/ws"),
                                              headers={"Origin": web.base_url})
    try:
        snapshot = await screen.receive_json(timeout=10)
    finally:
        await screen.close()
    left = next(v["left"] for v in snapshot["voicemails"] if v["id"] == str(vid))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T", left)
    assert left in row_of((await supervisor.get("/voicemail?show=unreviewed"))[1], vid)
    assert f"left {left}" in (await supervisor.get(f"/intake?voicemail={vid}"))[1]
