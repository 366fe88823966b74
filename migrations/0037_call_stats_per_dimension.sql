-- The roll-up's units (migration 0029) added up per line, per facility, per queue and per
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
