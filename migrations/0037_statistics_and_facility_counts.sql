-- A roll-up or a report written by the running app while this fills the new tables would
-- reach call_stats or report_counts but not them (the app's code and the trigger function
-- it runs are the old ones until this commits): such writes wait for the commit instead.
LOCK TABLE call_stats, reports IN SHARE MODE;

-- 1. The roll-up's units (migration 0029) added up per line, per facility, per queue and per
-- language on their own: what a statistics page without a filter shows. A month is about
-- 250 such rows where its call_stats rows (one per line, facility, queue and language
-- together) are about 1,200, and a year's page added those up (14,000 rows, 50-90 ms of
-- the database, most of it the packed waits). Kept by the roll-up with call_stats
-- (statistics/rollup_store.py), each unit's rows from that unit's call_stats rows.
CREATE TABLE call_stats_by (
    grain            text NOT NULL CHECK (grain IN ('day', 'week', 'month', 'year')),
    starts_on        date NOT NULL,
    dimension        text NOT NULL CHECK (dimension IN ('line', 'facility', 'queue',
                                                        'language')),
    key              text NOT NULL,      -- the id or language code; '' for calls without
    received         integer NOT NULL,
    answered         integer NOT NULL,
    closed           integer NOT NULL,
    voicemail        integer NOT NULL,
    abandoned_ivr    integer NOT NULL,
    abandoned_queue  integer NOT NULL,
    other            integer NOT NULL,
    left_queue       integer NOT NULL,
    talked           integer NOT NULL,
    talk_seconds     double precision NOT NULL,
    wait_max         double precision,
    waits            numeric NOT NULL,
    answered_within  integer[] NOT NULL
);
CREATE INDEX call_stats_by_unit ON call_stats_by (grain, starts_on);
-- A period's trend for one facility, line or queue: its own row of each unit.
CREATE INDEX call_stats_by_key ON call_stats_by (dimension, key, grain, starts_on);

-- Filled from the units rolled up so far, as rollup_store._BY_DIMENSION fills each unit it
-- rolls (the running counts added up element by element: 100 of them, one per wait bin).
DO $$ BEGIN
    EXECUTE format($q$
        INSERT INTO call_stats_by
        SELECT grain, starts_on,
               CASE WHEN GROUPING(line_id) = 0 THEN 'line'
                    WHEN GROUPING(facility_id) = 0 THEN 'facility'
                    WHEN GROUPING(queue_id) = 0 THEN 'queue' ELSE 'language' END,
               coalesce(CASE WHEN GROUPING(line_id) = 0 THEN line_id::text
                             WHEN GROUPING(facility_id) = 0 THEN facility_id::text
                             WHEN GROUPING(queue_id) = 0 THEN queue_id::text
                             ELSE language END, ''),
               sum(received), sum(answered), sum(closed), sum(voicemail), sum(abandoned_ivr),
               sum(abandoned_queue), sum(other), sum(left_queue), sum(talked),
               sum(talk_seconds), max(wait_max), sum(waits), ARRAY[%s]::integer[]
          FROM call_stats
         GROUP BY grain, starts_on,
                  GROUPING SETS ((line_id), (facility_id), (queue_id), (language))$q$,
        (SELECT string_agg(format('sum(answered_within[%s])', i), ', ' ORDER BY i)
           FROM generate_series(1, 100) i));
END $$;

-- 2. Reports counted by facility and month (report_counts, migration 0036, without the
-- category): the heat map by facility reads a row per facility and month (7,200 over five
-- years) where it added up report_counts's 55,000. Kept with report_counts by the same
-- statement of its triggers, from the same counted rows.
CREATE TABLE report_facility_counts (
    facility_id  bigint NOT NULL,
    month        date NOT NULL,
    low          integer NOT NULL,
    medium       integer NOT NULL,
    high         integer NOT NULL,
    critical     integer NOT NULL,
    PRIMARY KEY (facility_id, month)
);
CREATE INDEX report_facility_counts_month ON report_facility_counts (month);

CREATE OR REPLACE FUNCTION report_counts_sql(source text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$
    SELECT format($q$
        WITH counted AS MATERIALIZED (
            SELECT s.facility_id, s.category,
                   date_trunc('month', s.created_at AT TIME ZONE f.timezone)::date AS month,
                   coalesce(sum(s.sign) FILTER (WHERE s.severity = 'low'), 0) AS low,
                   coalesce(sum(s.sign) FILTER (WHERE s.severity = 'medium'), 0) AS medium,
                   coalesce(sum(s.sign) FILTER (WHERE s.severity = 'high'), 0) AS high,
                   coalesce(sum(s.sign) FILTER (WHERE s.severity = 'critical'), 0) AS critical
              FROM (%s) s JOIN facilities f ON f.id = s.facility_id
             GROUP BY 1, 2, 3
        ), by_category AS (
            INSERT INTO report_counts AS k (facility_id, category, month, low, medium, high,
                                            critical)
            SELECT * FROM counted ORDER BY facility_id, month, category
            ON CONFLICT (facility_id, month, category) DO UPDATE
               SET low = k.low + excluded.low, medium = k.medium + excluded.medium,
                   high = k.high + excluded.high, critical = k.critical + excluded.critical
        )
        INSERT INTO report_facility_counts AS k (facility_id, month, low, medium, high,
                                                 critical)
        SELECT facility_id, month, sum(low), sum(medium), sum(high), sum(critical)
          FROM counted GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (facility_id, month) DO UPDATE
           SET low = k.low + excluded.low, medium = k.medium + excluded.medium,
               high = k.high + excluded.high, critical = k.critical + excluded.critical
    $q$, source)
$$;

CREATE OR REPLACE FUNCTION report_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM report_counts;
    DELETE FROM report_facility_counts;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION report_counts_zone_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM report_counts WHERE facility_id = NEW.id;
    DELETE FROM report_facility_counts WHERE facility_id = NEW.id;
    EXECUTE report_counts_sql(format(
        'SELECT facility_id, category, created_at, severity, 1 AS sign FROM reports '
        'WHERE facility_id = %s', NEW.id));
    RETURN NULL;
END
$$;

INSERT INTO report_facility_counts
SELECT facility_id, month, sum(low), sum(medium), sum(high), sum(critical)
  FROM report_counts GROUP BY 1, 2;
