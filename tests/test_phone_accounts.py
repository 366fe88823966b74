"""The test phones register once per run: every database an app on the PBX runs on holds
their operators (tests/pg_fixtures.py database_template), so each app's operator sync finds
their accounts as it wants them, rewrites nothing, and the phones stay registered."""

from __future__ import annotations

from devstack import asterisk
from lifeline_pbx.app import create_app, running
from lifeline_pbx.resources import OPERATOR_SYNC
from tests.conftest import app_config
from tests.engine import Hotline
from tests.pg_fixtures import PgServer, as_app_role, database_copy
from tests.phones import OPERATORS
from tests.waiting import wait_for


async def test_an_app_on_a_fresh_database_leaves_the_phones_registered(
    hotline: Hotline, pbx: asterisk.Instance, pg_cluster: PgServer, database_template: str,
    prompts_dir: str,
) -> None:
    assert hotline.running is not None
    await wait_for(hotline.app[OPERATOR_SYNC].settled, what="the first app's operator sync")
    await hotline.running.stop()  # the phones registered, as the last test leaves them
    async with database_copy(pg_cluster, database_template) as admin:
        config = app_config(pbx, await as_app_role(admin), prompts_dir)
        async with running(create_app(config)) as started:
            sync = started.app[OPERATOR_SYNC]
            await wait_for(lambda: sync.syncs >= 1, what="the next app's first operator sync")
            report = sync.last_report
            assert report is not None
            assert set(OPERATORS) <= set(report.unchanged), report
            assert (report.created, report.updated, report.restored, report.deleted) == (
                [], [], [], [])
            # At once, with no REGISTER asked for: the phones never lost their accounts.
            assert set(OPERATORS) <= await hotline.phones.online_on_pbx()
