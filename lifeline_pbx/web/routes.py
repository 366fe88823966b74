"""Every route of the app, registered in this one place: one table per feature.

Order matters where paths overlap: a fixed path (/people/search) is listed before the
pattern that would also match it (/people/{id}). Every view carries its access rule
(web/auth.py); a route without one is refused at request time.
"""

from __future__ import annotations

from aiohttp import web

from lifeline_pbx.admin import (
    facility_views,
    line_views,
    operator_views,
    queue_views,
    reference_views,
)
from lifeline_pbx.admin import views as admin_views
from lifeline_pbx.alerts import feed_views, rule_views
from lifeline_pbx.audit import views as audit_views
from lifeline_pbx.cases import (
    followup_views,
    intake_correct_views,
    misfile_views,
    pages,
    person_edit,
    printout,
    proposal_views,
    revision_views,
    search_pages,
    takeover_views,
)
from lifeline_pbx.cases import views as cases_views
from lifeline_pbx.console import views as console_views
from lifeline_pbx.escalation import oncall_views
from lifeline_pbx.evidence import excerpt_views, export_views
from lifeline_pbx.evidence import views as evidence_views
from lifeline_pbx.prompts import views as prompt_views
from lifeline_pbx.recordings import views as recording_views
from lifeline_pbx.retention import views as retention_views
from lifeline_pbx.statistics import views as statistics_views
from lifeline_pbx.supervision import call_pages, supervise_views
from lifeline_pbx.supervision import views as supervision_views
from lifeline_pbx.transfers import views as transfer_views
from lifeline_pbx.voicemail import views as voicemail_views
from lifeline_pbx.web import login
from lifeline_pbx.web.app import WEB_DIR
from lifeline_pbx.web.health import health

FEATURES = (
    login, admin_views, reference_views, facility_views, line_views, queue_views,
    operator_views, prompt_views, console_views,
    cases_views, search_pages, person_edit, intake_correct_views, misfile_views, printout,
    proposal_views, takeover_views,
    revision_views, pages, followup_views,
    supervision_views, call_pages, supervise_views, recording_views, voicemail_views, audit_views,
    retention_views, rule_views, feed_views, statistics_views, export_views, oncall_views,
    evidence_views, excerpt_views, transfer_views,
)


def register(app: web.Application) -> None:
    app.add_routes([web.get("/healthz", health, name="health"),
                    web.static("/static", WEB_DIR / "static", name="static")])
    for feature in FEATURES:
        app.add_routes(feature.routes())
