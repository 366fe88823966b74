-- The roll-up's answered waits (migration 0029) as running totals: answered_within[i] is
-- the number of calls answered within the i-th wait edge (rollup_rules.WAIT_EDGES), so a
-- period's service level sums one element per row instead of a prefix of 100 bins (that
-- prefix, taken per row, was half the time of a year's page).
ALTER TABLE call_stats RENAME COLUMN answered_waits TO answered_within;
ALTER TABLE call_stats_totals RENAME COLUMN answered_waits TO answered_within;

-- Counts per bin to running totals.
CREATE FUNCTION call_stats_running(bins integer[]) RETURNS integer[]
    LANGUAGE sql IMMUTABLE AS $$
    SELECT array_agg(total ORDER BY i)
      FROM (SELECT i, sum(n) OVER (ORDER BY i)::integer AS total
              FROM unnest(bins) WITH ORDINALITY AS b(n, i)) x
$$;

UPDATE call_stats SET answered_within = call_stats_running(answered_within);
UPDATE call_stats_totals SET answered_within = call_stats_running(answered_within);
DROP FUNCTION call_stats_running(integer[]);
-- The roll-up counts the bins with an aggregate per bin (rollup_store._BIN_COUNTS).
DROP FUNCTION call_stats_bins(integer[], integer);

-- A period of one facility, line or queue reads its own rows of each unit, not all.
CREATE INDEX call_stats_facility ON call_stats (facility_id, grain, starts_on);
CREATE INDEX call_stats_line ON call_stats (line_id, grain, starts_on);
CREATE INDEX call_stats_queue ON call_stats (queue_id, grain, starts_on);
