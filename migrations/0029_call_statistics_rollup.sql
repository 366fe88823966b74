-- The call statistics' roll-up (lifeline_pbx/statistics/rollup.py): per day, week, month
-- and year of the roll-up's time zone, per line, facility, queue and language, what the
-- statistics pages add up, so that a month or five years read a few thousand rows instead
-- of every call. Kept by the app for closed days (a day is rolled up a day after it ends,
-- when its calls are over); the days after are read from calls. No caller, no call id:
-- counts, sums and binned waits only (rollup_rules.WAIT_EDGES), so retention, which
-- removes old calls, leaves the counts standing.
CREATE TABLE call_stats (
    grain            text NOT NULL CHECK (grain IN ('day', 'week', 'month', 'year')),
    starts_on        date NOT NULL,      -- the unit's first day, in the roll-up's zone
    line_id          bigint,             -- no foreign keys: a line removed later keeps its past
    facility_id      bigint,
    queue_id         bigint,
    language         text NOT NULL,      -- '' when none was chosen
    received         integer NOT NULL,
    answered         integer NOT NULL,
    closed           integer NOT NULL,
    voicemail        integer NOT NULL,
    abandoned_ivr    integer NOT NULL,
    abandoned_queue  integer NOT NULL,
    other            integer NOT NULL,
    left_queue       integer NOT NULL,
    talk_seconds     double precision NOT NULL,
    talked           integer NOT NULL,
    wait_max         double precision,
    waits            integer[] NOT NULL,  -- calls per wait bin
    answered_waits   integer[] NOT NULL   -- of those, answered after leaving the queue
);
CREATE INDEX call_stats_unit ON call_stats (grain, starts_on);

-- The same for all calls (no line, facility, queue or language): the trend of a long
-- period without filters reads a row per unit.
CREATE TABLE call_stats_totals (LIKE call_stats);
ALTER TABLE call_stats_totals DROP COLUMN line_id, DROP COLUMN facility_id,
    DROP COLUMN queue_id, DROP COLUMN language;
CREATE INDEX call_stats_totals_unit ON call_stats_totals (grain, starts_on);

-- Each operator's time in a unit, as statistics/operator_time.py counts it over the unit
-- (those counts add up over units: each is cut at the unit's ends).
CREATE TABLE operator_stats (
    grain        text NOT NULL CHECK (grain IN ('day', 'week', 'month', 'year')),
    starts_on    date NOT NULL,
    operator_id  bigint NOT NULL,
    answered     integer NOT NULL,
    talking      double precision NOT NULL,
    wrap_up      double precision NOT NULL,
    logged_in    double precision NOT NULL,
    paused       jsonb NOT NULL            -- seconds by reason
);
CREATE INDEX operator_stats_unit ON operator_stats (grain, starts_on);

-- Bins (0-based, as rollup_rules.wait_bin numbers them) to counts per bin.
CREATE FUNCTION call_stats_bins(bins integer[], size integer) RETURNS integer[]
    LANGUAGE sql IMMUTABLE AS $$
    SELECT array_agg(coalesce(n, 0) ORDER BY i)
      FROM generate_series(0, size - 1) i
      LEFT JOIN (SELECT b, count(*)::integer AS n FROM unnest(bins) b GROUP BY b) x
        ON x.b = i
$$;

-- What is rolled up: the days before rolled_until, in `zone`, binned at `wait_edges`
-- (a change of either starts the roll-up again). One row.
CREATE TABLE call_stats_state (
    only_one      boolean PRIMARY KEY DEFAULT true CHECK (only_one),
    zone          text NOT NULL,
    wait_edges    integer[] NOT NULL,
    rolled_until  date NOT NULL
);
