"""Reports, calls and follow-ups over January to March 2024 whose evidence figures are
worked out by hand (EXPECTED_*).

Facility A is the demo's Demo County Processing Center (America/New_York), facility B the
demo's Example Valley ICE Processing Center, set here to America/Los_Angeles. A report
counts in the month it was recorded in its facility's time zone:

    report  facility category         severity  recorded (UTC)      local month
    a1      A        medical_neglect  high      2024-01-10 15:00    Jan   consent, person, unit B-12
    a2      A        medical_neglect  critical  2024-01-20 15:00    Jan   no consent
    a3      A        medical_neglect  low       2024-02-05 15:00    Feb
    a4      A        use_of_force     medium    2024-02-01 05:30    Feb   (00:30 in New York)
    a5      A        use_of_force     high      2024-03-15 14:00    Mar
    a6      A        medical_neglect  medium    2023-12-31 12:00    Dec 2023: outside
    b1      B        medical_neglect  medium    2024-02-01 05:30    Jan   (21:30 on Jan 31 in LA)
    b2      B        medical_neglect  high      2024-03-01 07:30    Feb   (23:30 on Feb 29 in LA)
    b3      B        use_of_force     critical  2024-03-10 20:00    Mar
    b4      B        use_of_force     low       2024-04-01 06:00    Mar   (23:00 on Mar 31 in LA)

By facility:  A  Jan 2 (critical)  Feb 2 (medium)  Mar 1 (high)      = 5
              B  Jan 1 (medium)    Feb 1 (high)    Mar 2 (critical)  = 4;  each month 3, all 9.
By category:  medical_neglect  Jan 3 (critical)  Feb 2 (high)  Mar 0  = 5
              use_of_force     Jan 0  Feb 1 (medium)  Mar 3 (critical) = 4
Severity at least high, by facility: A Jan 2, Feb 0, Mar 1 = 3; B Jan 0, Feb 1, Mar 1 = 2.
The busiest cell holds 2: a 2 is shaded 5, a 1 is shaded ceil(5 / 2) = 3.

Calls of facility A: two on 2024-01-05, one at 23:30 on March 31 in New York (03:30 UTC
on April 1: March), one at 00:30 on April 1 in New York (April: outside):
Jan 2, Feb 0, Mar 1. Follow-ups: open on a1 and on an intake at A (2 open at A), done on
a2, open on b1 (B's).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass, field

import asyncpg

from lifeline_pbx.crypto import KeyRing, place

PERIOD = "from=2024-01&to=2024-03"
NAMES = ("Maria Example", "Mariá Ejemplo")
A_NUMBER = "A123456789"
HOUSING_UNIT = "B-12"
NARRATIVE = ("Maria Example (A123456789) in unit B-12 asked for insulin on 2024-01-09 and "
             "was refused for three days; her sister's phone is 555-010-4477.")
EXCERPT = ("A woman with diabetes asked the medical unit for insulin and was refused for "
           "three days; she fainted twice before a nurse saw her.")

# (name, facility, category, severity, recorded at UTC)
REPORTS = (
    ("a1", "A", "medical_neglect", "high", "2024-01-10 15:00"),
    ("a2", "A", "medical_neglect", "critical", "2024-01-20 15:00"),
    ("a3", "A", "medical_neglect", "low", "2024-02-05 15:00"),
    ("a4", "A", "use_of_force", "medium", "2024-02-01 05:30"),
    ("a5", "A", "use_of_force", "high", "2024-03-15 14:00"),
    ("a6", "A", "medical_neglect", "medium", "2023-12-31 12:00"),
    ("b1", "B", "medical_neglect", "medium", "2024-02-01 05:30"),
    ("b2", "B", "medical_neglect", "high", "2024-03-01 07:30"),
    ("b3", "B", "use_of_force", "critical", "2024-03-10 20:00"),
    ("b4", "B", "use_of_force", "low", "2024-04-01 06:00"),
)
CALLS_A = ("2024-01-05 14:00", "2024-01-05 15:00", "2024-04-01 03:30", "2024-04-01 04:30")

FACILITY_A = "Demo County Processing Center"
FACILITY_B = "Example Valley ICE Processing Center"
MEDICAL = "Medical neglect or denial of care"
FORCE = "Use of force / physical abuse"
# Row label -> [(count, highest severity) per month Jan..Mar], total
EXPECTED_BY_FACILITY = {
    FACILITY_A: ([(2, "critical"), (2, "medium"), (1, "high")], 5),
    FACILITY_B: ([(1, "medium"), (1, "high"), (2, "critical")], 4),
}
EXPECTED_BY_CATEGORY = {
    MEDICAL: ([(3, "critical"), (2, "high"), (0, None)], 5),
    FORCE: ([(0, None), (1, "medium"), (3, "critical")], 4),
}
EXPECTED_HIGH_BY_FACILITY = {
    FACILITY_A: ([(2, "critical"), (0, None), (1, "high")], 3),
    FACILITY_B: ([(0, None), (1, "high"), (1, "critical")], 2),
}
EXPECTED_CALLS_A = [2, 0, 1]
EXPECTED_REPORTS_A = [2, 2, 1]


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@dataclass
class Loaded:
    facility_a: int
    facility_b: int
    person: uuid.UUID
    reports: dict[str, uuid.UUID] = field(default_factory=dict)


async def load(con: asyncpg.Connection, keys: KeyRing) -> Loaded:
    facilities = {r["name"]: r["id"] for r in await con.fetch("SELECT id, name FROM facilities")}
    a, b = facilities[FACILITY_A], facilities[FACILITY_B]
    await con.execute("UPDATE facilities SET timezone = 'America/Los_Angeles' WHERE id = $1", b)
    user = await con.fetchval("SELECT id FROM users WHERE username = 'operator1'")
    person = uuid.uuid4()
    await con.execute(
        "INSERT INTO persons (id, a_number_key, a_number, names) VALUES ($1, $2, $3, $4)",
        person, keys.lookup(A_NUMBER), keys.seal(A_NUMBER, place("persons", "a_number", person)),
        keys.seal_json(list(NAMES), place("persons", "names", person)))
    loaded = Loaded(a, b, person)
    for name, facility, category, severity, recorded in REPORTS:
        rid = loaded.reports[name] = uuid.uuid4()
        await con.execute(
            """INSERT INTO reports (id, person_id, facility_id, category, severity, affected,
                                    housing_unit, narrative, created_by, created_at)
               VALUES ($1, $2, $3, $4, $5, 'person', $6, $7, $8, $9)""",
            rid, person if name == "a1" else None, a if facility == "A" else b, category,
            severity, HOUSING_UNIT if name == "a1" else "",
            keys.seal(NARRATIVE if name == "a1" else f"Narrative of {name}.",
                      place("reports", "narrative", rid)), user, utc(recorded))
    partner = await con.fetchval("SELECT id FROM partners WHERE name = 'Demo Legal Aid'")
    for name in ("a1", "b1"):
        await con.execute("INSERT INTO report_consents (report_id, partner_id) VALUES ($1, $2)",
                          loaded.reports[name], partner)
    for started in CALLS_A:
        await con.execute(
            """INSERT INTO calls (id, channel_id, channel_name, did, facility_id, caller_number,
                                  caller_name, started_at, ended_at, disposition)
               VALUES ($1, $2, 'PJSIP/carrier-1', '15550100101', $3, 'anonymous', '', $4, $4,
                       'answered')""",
            uuid.uuid4(), f"chan-{started}", a, utc(started))
    intake = uuid.uuid4()
    await con.execute("""INSERT INTO intakes (id, user_id, facility_id, outcome)
                         VALUES ($1, $2, $3, 'intake')""", intake, user, a)
    for report, intake_id, status in (("a1", None, "open"), (None, intake, "open"),
                                      ("a2", None, "done"), ("b1", None, "open")):
        await con.execute(
            """INSERT INTO follow_ups (id, report_id, intake_id, what, status, created_by,
                                       due_on)
               VALUES ($1, $2, $3, $4, $5, $6, '2024-04-01')""",
            uuid.uuid4(), loaded.reports.get(report or ""), intake_id, os.urandom(40), status,
            user)
    return loaded
