"""What an operator's console asks of the distributor: log in, pause (with a reason),
resume, log out, ready after wrap-up, or more wrap-up time. Each answers with the
operator's state as their console shows it; an operator the distributor does not know
(phone account disabled or not set up) is a Conflict, and so is more time refused."""

from __future__ import annotations

from lifeline_pbx.console.live import LiveHub
from lifeline_pbx.console.messages import Message
from lifeline_pbx.errors import Conflict
from lifeline_pbx.queues import more_time
from lifeline_pbx.queues.acd import Acd

NO_PHONE = "Your phone account is disabled or not set up yet."


async def act(acd: Acd, hub: LiveHub, username: str, action: str, reason: str) -> Message:
    if not await acd.operator_action(username, action, reason):
        raise Conflict(NO_PHONE)
    return await hub.state(username)


async def ready(acd: Acd, hub: LiveHub, username: str) -> Message:
    if not await acd.ready(username):
        raise Conflict(NO_PHONE)
    return await hub.state(username)


async def extend_wrap_up(acd: Acd, hub: LiveHub, username: str) -> Message:
    verdict = await acd.extend_wrap_up(username)
    if verdict is None:
        raise Conflict(NO_PHONE)
    if isinstance(verdict, more_time.Refused):
        raise Conflict(verdict.reason)
    return await hub.state(username)
