"""Case records for the follow-up tests, sealed with the test run's keys as the app seals
them: a person, intakes with needs and family contacts, follow-ups."""

from __future__ import annotations

import datetime as dt
import uuid

from lifeline_pbx import crypto
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY
from tests.privacy import sensitive
from tests.web_fixtures import WebApp

KEYS = crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY)
NAME = "Quillon Fernwhistle"
A_NUMBER = "208555123"
A_NUMBER_SHOWN = "A208-555-123"
FAMILY = "Oriella Fernwhistle"
FAMILY_PHONE = "+1 555 0142"
MESSAGE = "He is well and asks for his birth certificate"
HIDDEN_FAMILY = "Bartholo Unconsented"
NEEDS_NOTE = "Needs his asthma inhaler refilled"
sensitive(NAME, A_NUMBER, A_NUMBER_SHOWN, FAMILY, FAMILY_PHONE, MESSAGE, HIDDEN_FAMILY,
          NEEDS_NOTE)


async def user_id(web: WebApp, username: str) -> int:
    rows = await web.sql("SELECT id FROM users WHERE username = $1", username)
    return int(rows[0]["id"])


async def facilities(web: WebApp) -> list[int]:
    return [r["id"] for r in await web.sql("SELECT id FROM facilities ORDER BY id")]


async def add_person(web: WebApp, facility: int, a_number: str = A_NUMBER,
                     name: str = NAME) -> uuid.UUID:
    pid = uuid.uuid4()
    await web.sql(
        """INSERT INTO persons (id, a_number_key, a_number, names, facility_id)
           VALUES ($1, $2, $3, $4, $5)""",
        pid, KEYS.lookup(a_number), KEYS.seal(a_number, crypto.place("persons", "a_number", pid)),
        KEYS.seal_json([name], crypto.place("persons", "names", pid)), facility)
    return pid


async def add_intake(web: WebApp, person: uuid.UUID, facility: int, user: int, *,
                     family: str | None, consent: bool,
                     needs_note: str | None = NEEDS_NOTE) -> uuid.UUID:
    iid = uuid.uuid4()
    contact = None if family is None else KEYS.seal_json(
        {"name": family, "phone": FAMILY_PHONE, "message": MESSAGE},
        crypto.place("intakes", "family_contact", iid))
    note = None if needs_note is None else KEYS.seal(
        needs_note, crypto.place("intakes", "needs_note", iid))
    await web.sql(
        """INSERT INTO intakes (id, person_id, user_id, facility_id, outcome, needs, needs_note,
                                family_contact, family_consent)
           VALUES ($1, $2, $3, $4, 'intake', '{medical,family}', $5, $6, $7)""",
        iid, person, user, facility, note, contact, consent)
    return iid


async def add_follow_up(web: WebApp, what: str, created_by: int, *,
                        assignee: int | None = None, person: uuid.UUID | None = None,
                        intake: uuid.UUID | None = None, due: dt.date | None = None,
                        status: str = "open") -> uuid.UUID:
    fid = uuid.uuid4()
    await web.sql(
        """INSERT INTO follow_ups (id, person_id, intake_id, what, assignee_id, due_on,
                                   status, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        fid, person, intake, KEYS.seal(what, crypto.place("follow_ups", "what", fid)),
        assignee, due, status, created_by)
    return fid
