"""The benchmarks' data set at the size of a busy hotline: by default 1,000,000 calls and
100,000 reports over five years and 120 facilities, made in PostgreSQL (generate_series)
in a minute or two, the sealed columns sealed with the real keys (crypto.KeyRing) and
copied in (COPY).

The spread is a hotline's, not a uniform one: a few large facilities take most calls (and
reports), Spanish is most of the calls, each language has its queue (a few calls overflow
to another), calls come mostly in the daytime (in the facility's zone), about 60 % are
answered and the rest abandoned, sent to voicemail, closed or failed. Operators work
shifts (a login, a pause, a logout every third day) that the queue log records. Reports
have a facility, category, severity and month; some have consents to share with partners,
and some of those an excerpt released for advocacy (migration 0025).

Pseudo-random but repeatable (setseed): the same sizes give the same data.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from lifeline_pbx.crypto import KeyRing, place

END = date(2025, 6, 30)  # the data's last day; the pages ask about the periods before it


@dataclass(frozen=True)
class Sizes:
    calls: int = 1_000_000
    reports: int = 100_000
    facilities: int = 120
    years: int = 5
    operators: int = 60

    @property
    def first(self) -> date:
        """The first day with calls."""
        return END - timedelta(days=round(self.years * 365.25) - 1)


# Facilities: weight 1/rank^0.8 (a few large ones), drawn through a cumulative table.
# Languages: (code, share %, queue index). Hours: calls per local hour (a day's shape).
LANGUAGES = (("es", 55, 0), ("en", 20, 1), ("ht", 8, 2), ("fr", 6, 2), ("pt", 6, 1),
             ("cmn", 5, 1))
HOURS = (1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 12, 13, 14, 14, 13, 12, 10, 8, 6, 4, 2, 1)

_CALLS_SQL = """
SELECT setseed(0.42);
INSERT INTO facilities (name, timezone)
    SELECT 'Bench facility ' || n, (ARRAY['America/New_York', 'America/Chicago',
            'America/Denver', 'America/Los_Angeles'])[1 + n % 4]
      FROM generate_series(1, {facilities} - (SELECT count(*) FROM facilities)) n;
INSERT INTO lines (did, facility_id, name)
    SELECT '9' || lpad(f.id::text, 6, '0'), f.id, 'Line of ' || f.name FROM facilities f
     WHERE NOT EXISTS (SELECT 1 FROM lines l WHERE l.facility_id = f.id);
INSERT INTO queues (name) SELECT 'Bench queue ' || n FROM generate_series(1, 3) n;
INSERT INTO operators (display_name, sip_username, sip_md5_cred, languages)
    SELECT 'Bench operator ' || n, 'bench' || n, repeat('a', 32), ARRAY['en', 'es']
      FROM generate_series(1, {operators}) n;

CREATE TEMP TABLE bench_f AS
    SELECT k, facility_id, timezone, line_id,
           sum(1 / power(k + 1, 0.8)) OVER (ORDER BY k) AS upto
      FROM (SELECT row_number() OVER (ORDER BY f.id) - 1 AS k, f.id AS facility_id,
                   f.timezone, l.id AS line_id
              FROM facilities f JOIN LATERAL (SELECT id FROM lines WHERE facility_id = f.id
                                               ORDER BY id LIMIT 1) l ON true) ranked;
UPDATE bench_f SET upto = upto / (SELECT max(upto) FROM bench_f);
CREATE TEMP TABLE bench_lang (k int, code text, queue_k int);
INSERT INTO bench_lang VALUES {languages};
CREATE TEMP TABLE bench_q AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM queues
     WHERE name LIKE 'Bench queue %';
CREATE TEMP TABLE bench_o AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id
      FROM operators WHERE sip_username LIKE 'bench%';

-- Each call's draws; facility, language and hour drawn with their odds (width_bucket
-- over the cumulative shares, the facilities' read once).
CREATE TEMP TABLE bench_draw AS
SELECT n, width_bucket(random(), (SELECT array_agg(upto ORDER BY k) FROM bench_f)) AS fk,
       width_bucket(random(), ARRAY[{language_uppers}]) AS lk,
       width_bucket(random(), ARRAY[{hour_uppers}]) AS hour, random() AS rm,
       random() AS ro, random() AS rw, random() AS rt, random() AS rq
  FROM generate_series(1::bigint, {calls}) n;

INSERT INTO calls (id, channel_id, channel_name, did, line_id, facility_id, caller_number,
                   caller_name, started_at, answered_at, queued_at, queue_id, language,
                   connected_at, operator_id, ended_at, disposition, hangup_by,
                   voicemail_reason, wait_seconds)
SELECT md5('call' || d.n)::uuid, 'bench-' || d.n, 'PJSIP/carrier', '9', f.line_id,
       f.facility_id, '', '', t.started, t.started,
       CASE WHEN o.queued THEN t.started + interval '40 s' END,
       CASE WHEN o.queued THEN q.id END,
       CASE WHEN o.queued THEN lang.code END,
       CASE WHEN o.kind = 'answered' THEN t.started + interval '40 s' + w.wait END,
       CASE WHEN o.kind = 'answered' THEN op.id END,
       t.started + interval '40 s' + w.wait + CASE WHEN o.kind = 'answered'
            THEN (60 + d.rt * 1500) * interval '1 s' ELSE interval '30 s' END,
       o.disposition, 'caller', o.reason,
       CASE WHEN o.queued THEN extract(epoch FROM w.wait) END
  FROM bench_draw d
  JOIN bench_f f ON f.k = d.fk
  JOIN bench_lang lang ON lang.k = d.lk
  CROSS JOIN LATERAL (SELECT
        ((date '{first}' + ((d.n - 1) * {days} / {calls})::int) + d.hour * interval '1 h'
         + d.rm * interval '1 h') AT TIME ZONE f.timezone AS started) t
  CROSS JOIN LATERAL (SELECT
        CASE WHEN d.ro < 0.60 THEN 'answered' WHEN d.ro < 0.70 THEN 'abandoned_queue'
             WHEN d.ro < 0.78 THEN 'abandoned_ivr' WHEN d.ro < 0.88 THEN 'voicemail'
             WHEN d.ro < 0.95 THEN 'closed' ELSE 'failed' END AS kind) k
  CROSS JOIN LATERAL (SELECT k.kind,
        k.kind IN ('answered', 'abandoned_queue', 'voicemail') AS queued,
        CASE k.kind WHEN 'answered' THEN 'answered' WHEN 'voicemail' THEN 'voicemail'
             WHEN 'closed' THEN 'voicemail' WHEN 'failed' THEN 'failed'
             ELSE 'abandoned' END AS disposition,
        CASE k.kind WHEN 'voicemail' THEN 'max_wait' WHEN 'closed' THEN 'closed' END
            AS reason) o
  -- Waits: most short, a long tail (to the queue's 600 s limit), in milliseconds.
  CROSS JOIN LATERAL (SELECT round((CASE WHEN k.kind = 'voicemail' THEN 600
                                    ELSE 600 * power(d.rw, 3) END)::numeric, 3)
                             * interval '1 s' AS wait) w
  JOIN bench_q q ON q.k = CASE WHEN d.rq < 0.9 THEN lang.queue_k
                               ELSE (lang.queue_k + 1) % 3 END
  JOIN bench_o op ON op.k = d.n % {operators};

-- Shifts: every third day each operator logs in at 14:00 UTC, pauses 17:00-17:30, logs out
-- at 22:00 (one line per queue, as the engine writes it: each serves two).
INSERT INTO queue_events (at, kind, queue_id, operator_id, detail)
SELECT d + s.offset_, s.kind, q.id, o.id, s.detail
  FROM generate_series(timestamptz '{first}', timestamptz '{end}', interval '1 day') d
  JOIN bench_o o ON (extract(doy FROM d)::int + o.k) % 3 = 0
  CROSS JOIN (VALUES (interval '14 h', 'login', ''), (interval '17 h', 'pause', 'break'),
                     (interval '17.5 h', 'unpause', ''), (interval '22 h', 'logout', ''))
       AS s(offset_, kind, detail)
  JOIN bench_q q ON q.k < 2;
DROP TABLE bench_draw;

"""

_TODAY_SQL = """
-- Today so far: the last day's calls again, moved to today (what the live queue view and
-- the roll-up's days not yet rolled up read).
INSERT INTO calls (id, channel_id, channel_name, did, line_id, facility_id, caller_number,
                   caller_name, started_at, answered_at, queued_at, queue_id, language,
                   connected_at, operator_id, ended_at, disposition, hangup_by,
                   voicemail_reason, wait_seconds)
SELECT md5('today' || c.id)::uuid, c.channel_id || '-today', c.channel_name, c.did,
       c.line_id, c.facility_id, '', '', c.started_at + s.shift, c.answered_at + s.shift,
       c.queued_at + s.shift, c.queue_id, c.language, c.connected_at + s.shift,
       c.operator_id, c.ended_at + s.shift, c.disposition, c.hangup_by, c.voicemail_reason,
       c.wait_seconds
  FROM calls c CROSS JOIN (SELECT (current_date - date '{end}') * interval '1 day' AS shift) s
 WHERE c.started_at >= timestamptz '{end}' AND c.started_at < timestamptz '{end}' + interval '1 day'
   AND c.ended_at + s.shift < now();
"""

SEVERITIES = (("low", 30), ("medium", 40), ("high", 22), ("critical", 8))
NARRATIVE = ("The caller reports being denied medication for several days in the housing "
             "unit; staff did not answer the sick-call requests. ") * 4
EXCERPT = "A person held at this facility was denied medication for several days."


def _uppers(weights: tuple[int, ...]) -> str:
    """The cumulative shares as an SQL array's items: width_bucket(random(), that array)
    draws an index (0-based) with the weights' odds."""
    total, run, out = sum(weights), 0, []
    for weight in weights[:-1]:
        run += weight
        out.append(f"{run / total:.6f}")
    return ", ".join(out)


async def make(dsn: str, sizes: Sizes, keys: KeyRing) -> dict[str, object]:
    """Fills a migrated demo database; returns what it holds and how long it took."""
    con = await asyncpg.connect(dsn)
    try:
        start = time.perf_counter()
        languages = ", ".join(f"({i}, '{code}', {queue})"
                              for i, (code, _, queue) in enumerate(LANGUAGES))
        language_uppers = _uppers(tuple(share for _, share, _ in LANGUAGES))
        hour_uppers = _uppers(HOURS)
        await con.execute(_CALLS_SQL.format(
            facilities=sizes.facilities, operators=sizes.operators, calls=sizes.calls,
            days=(END - sizes.first).days + 1, first=sizes.first.isoformat(),
            end=END.isoformat(), languages=languages, language_uppers=language_uppers,
            hour_uppers=hour_uppers))
        await con.execute(_TODAY_SQL.format(end=END.isoformat()))
        calls_seconds = time.perf_counter() - start
        await _reports(con, sizes, keys)
        await con.execute("VACUUM ANALYZE")  # what autovacuum does soon after a bulk load
        counted = await con.fetchrow(
            """SELECT (SELECT count(*) FROM calls) AS calls,
                      (SELECT count(*) FROM reports) AS reports,
                      (SELECT count(*) FROM report_consents) AS consents,
                      (SELECT count(*) FROM report_excerpts) AS excerpts,
                      (SELECT count(*) FROM facilities) AS facilities,
                      (SELECT count(*) FROM queue_events) AS queue_log,
                      (SELECT min(started_at)::date FROM calls) AS first,
                      (SELECT max(started_at)::date FROM calls) AS last""")
        assert counted is not None  # one row, always
        found = dict(counted)
        found["calls made in"] = f"{calls_seconds:.0f} s"
        found["all made in"] = f"{time.perf_counter() - start:.0f} s"
        return found
    finally:
        await con.close()


async def _reports(con: asyncpg.Connection, sizes: Sizes, keys: KeyRing) -> None:
    """Reports copied in with their narratives sealed (each for its own place, as the app
    seals them); consents for about a third, an excerpt for a tenth of those."""
    draw = random.Random(42)  # noqa: S311 - repeatable made-up data, no secret
    facilities = [r[0] for r in await con.fetch("SELECT id FROM facilities ORDER BY id")]
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(facilities))]
    categories = [r[0] for r in await con.fetch(
        "SELECT code FROM report_categories ORDER BY position, code")]
    partners = [r[0] for r in await con.fetch("SELECT id FROM partners ORDER BY id")]
    author = await con.fetchval("SELECT id FROM users WHERE role = 'supervisor' ORDER BY id")
    span = (END - sizes.first).days + 1
    reports, consents, excerpts = [], [], []
    for n in range(sizes.reports):
        report_id = uuid.UUID(int=draw.getrandbits(128), version=4)
        created = datetime.combine(sizes.first + timedelta(days=n * span // sizes.reports),
                                   datetime.min.time(), UTC) + timedelta(
            seconds=draw.randrange(86400))
        occurred = created.date() - timedelta(days=draw.randrange(30))
        reports.append((report_id, draw.choices(facilities, weights)[0],
                        draw.choice(categories),
                        draw.choices([s for s, _ in SEVERITIES], [w for _, w in SEVERITIES])[0],
                        occurred, occurred + timedelta(days=draw.randrange(3)),
                        "group" if draw.random() < 0.15 else "person",
                        keys.seal(NARRATIVE, place("reports", "narrative", report_id)),
                        author, created))
        if partners and draw.random() < 0.3:
            for partner in draw.sample(partners, min(len(partners), 1 + draw.randrange(2))):
                consents.append((report_id, partner))
            if draw.random() < 0.1:
                excerpts.append((report_id, keys.seal(
                    EXCERPT, place("report_excerpts", "excerpt", report_id)), author,
                    created + timedelta(days=7)))
    await con.copy_records_to_table("reports", records=reports, columns=(
        "id", "facility_id", "category", "severity", "occurred_from", "occurred_to",
        "affected", "narrative", "created_by", "created_at"))
    await con.copy_records_to_table("report_consents", records=consents,
                                    columns=("report_id", "partner_id"))
    await con.copy_records_to_table("report_excerpts", records=excerpts, columns=(
        "report_id", "excerpt", "released_by", "released_at"))
