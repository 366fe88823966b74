"""Which operators' phones the app follows in Asterisk. Pure.

The queues learn that a phone registered or went away from PeerStatusChange events,
sent for the endpoints the app subscribes to. The app subscribes to each operator's
endpoint by name, never to every PJSIP endpoint (`endpoint:PJSIP`): Asterisk forwards a
channel's events to its endpoint too, so that subscription brought every caller's key
presses, prompt ends and hang-ups twice (one wrong key counted as two), and the carrier
trunk's endpoint state, with the id of every call on the trunk, twice per call.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from lifeline_pbx.ari.events import EndpointState

TECHNOLOGY = "PJSIP"
# What an app of an earlier version subscribed to; Asterisk keeps an app's subscriptions
# while it runs, across the app's reconnections.
EVERY_ENDPOINT = f"endpoint:{TECHNOLOGY}"


def source(username: str) -> str:
    return f"endpoint:{TECHNOLOGY}/{username}"


def to_follow(listed: Iterable[EndpointState], operators: Collection[str],
              followed: Collection[str]) -> list[str]:
    """The operators' endpoints Asterisk lists that are not followed yet, in name order.

    Only listed ones: Asterisk refuses a whole subscription when one endpoint in it does
    not exist (an operator whose SIP account is not written yet)."""
    return sorted({e.resource for e in listed if e.technology == TECHNOLOGY
                   and e.resource in operators and e.resource not in followed})


def still_there(listed: Iterable[EndpointState], followed: Collection[str]) -> set[str]:
    """The followed endpoints Asterisk still lists: one deleted (an operator disabled) and
    written again later is a new endpoint, followed anew."""
    names = {e.resource for e in listed if e.technology == TECHNOLOGY}
    return {name for name in followed if name in names}


def names(endpoint_ids: Iterable[str]) -> set[str]:
    """The operators' names in an app's subscribed `endpoint_ids` (`PJSIP/<name>`)."""
    return {name for technology, _, name in (e.partition("/") for e in endpoint_ids)
            if technology == TECHNOLOGY and name}


def online(listed: Iterable[EndpointState]) -> frozenset[str]:
    return frozenset(e.resource for e in listed if e.online)
