"""Which records belong to a set of people, as SQL: the audit viewer's person filter and
legal holds use the same answer.

`persons` is a query of person ids; a person merged into another (or the one merged into)
counts as the same person. Records: the person, their intakes, reports and follow-ups, and
the calls their intakes were taken on or where their A-number was looked up.
"""

from __future__ import annotations


def ctes(persons: str) -> str:
    """WITH-list items (without WITH): tied_persons(id), tied_calls(call_id) and
    tied_records(entity, entity_id), as the audit log names them."""
    return f"""
    chosen AS ({persons}),
    tied_persons AS (
        SELECT p.id FROM persons p
         WHERE p.id IN (SELECT * FROM chosen) OR p.merged_into IN (SELECT * FROM chosen)
        UNION
        SELECT p.merged_into FROM persons p
         WHERE p.id IN (SELECT * FROM chosen) AND p.merged_into IS NOT NULL),
    tied_calls AS (
        SELECT call_id FROM intakes
         WHERE person_id IN (SELECT id FROM tied_persons) AND call_id IS NOT NULL
        UNION
        SELECT call_id FROM call_lookups WHERE person_id IN (SELECT id FROM tied_persons)),
    tied_records (entity, entity_id) AS (
        SELECT 'person', id::text FROM tied_persons
        UNION ALL
        SELECT 'intake', id::text FROM intakes WHERE person_id IN (SELECT id FROM tied_persons)
        UNION ALL
        SELECT 'report', r.id::text FROM reports r LEFT JOIN intakes i ON i.id = r.intake_id
         WHERE r.person_id IN (SELECT id FROM tied_persons)
            OR i.person_id IN (SELECT id FROM tied_persons)
        UNION ALL
        SELECT 'follow_up', id::text FROM follow_ups
         WHERE person_id IN (SELECT id FROM tied_persons)
        UNION ALL
        SELECT 'call', call_id::text FROM tied_calls)"""


HELD = ctes("SELECT person_id FROM legal_holds WHERE released_at IS NULL")
