-- 1. The roll-up's binned waits (migration 0029) packed in one number: bin i (0-based)
-- is the i-th group of rollup_rules.PACK_DIGITS decimal digits from the right, so that
-- adding rows adds every bin at once (one numeric sum a row, where the array took a sum
-- per bin: 100 aggregates a row, most of a year's page). rollup_rules.unpacked reads it.
-- A bin never reaches 10^10 calls, so no sum carries into the next bin.
CREATE FUNCTION call_stats_packed(bins integer[]) RETURNS numeric
    LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(string_agg(lpad(n::text, 10, '0'), '' ORDER BY i DESC), '0')::numeric
      FROM unnest(bins) WITH ORDINALITY AS b(n, i)
$$;
ALTER TABLE call_stats ALTER COLUMN waits TYPE numeric USING call_stats_packed(waits);
ALTER TABLE call_stats_totals ALTER COLUMN waits TYPE numeric USING call_stats_packed(waits);
DROP FUNCTION call_stats_packed(integer[]);

-- 2. Reports counted by facility, category and the month recorded in the facility's zone
-- (evidence/store.py RECORDED_MONTH), by severity: what the heat map and a facility's
-- profile show, read from a few thousand rows instead of counting 100,000 reports.
-- Kept by the triggers below in the transaction that changes a report, so it is always
-- exactly the reports' count; a row whose counts fall to 0 stays (the reads skip it).
CREATE TABLE report_counts (
    facility_id  bigint NOT NULL,
    category     text NOT NULL,
    month        date NOT NULL,
    low          integer NOT NULL,
    medium       integer NOT NULL,
    high         integer NOT NULL,
    critical     integer NOT NULL,
    PRIMARY KEY (facility_id, month, category)
);
CREATE INDEX report_counts_month ON report_counts (month);

-- The statement adding the reports of `source` (a query giving facility_id, category,
-- created_at, severity and sign: 1 to add, -1 to take away) to the counts, in key order.
-- Run by the trigger functions themselves: only they see their transition tables.
CREATE FUNCTION report_counts_sql(source text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format($q$
        INSERT INTO report_counts AS k (facility_id, category, month, low, medium, high,
                                        critical)
        SELECT s.facility_id, s.category,
               date_trunc('month', s.created_at AT TIME ZONE f.timezone)::date AS month,
               coalesce(sum(s.sign) FILTER (WHERE s.severity = 'low'), 0),
               coalesce(sum(s.sign) FILTER (WHERE s.severity = 'medium'), 0),
               coalesce(sum(s.sign) FILTER (WHERE s.severity = 'high'), 0),
               coalesce(sum(s.sign) FILTER (WHERE s.severity = 'critical'), 0)
          FROM (%s) s JOIN facilities f ON f.id = s.facility_id
         GROUP BY 1, 2, 3
         ORDER BY 1, 3, 2
        ON CONFLICT (facility_id, month, category) DO UPDATE
           SET low = k.low + excluded.low, medium = k.medium + excluded.medium,
               high = k.high + excluded.high, critical = k.critical + excluded.critical
    $q$, source)
$$;

CREATE FUNCTION report_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE report_counts_sql(
            'SELECT facility_id, category, created_at, severity, 1 AS sign FROM new_reports');
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE report_counts_sql(
            'SELECT facility_id, category, created_at, severity, -1 AS sign FROM old_reports');
    ELSE  -- a report whose counted columns did not change adds nothing
        EXECUTE report_counts_sql(
            $s$SELECT o.facility_id, o.category, o.created_at, o.severity, -1 AS sign
                 FROM old_reports o JOIN new_reports n USING (id)
                WHERE (o.facility_id, o.category, o.created_at, o.severity)
                      IS DISTINCT FROM (n.facility_id, n.category, n.created_at, n.severity)
               UNION ALL
               SELECT n.facility_id, n.category, n.created_at, n.severity, 1
                 FROM old_reports o JOIN new_reports n USING (id)
                WHERE (o.facility_id, o.category, o.created_at, o.severity)
                      IS DISTINCT FROM (n.facility_id, n.category, n.created_at, n.severity)$s$);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER reports_counted_insert AFTER INSERT ON reports
    REFERENCING NEW TABLE AS new_reports FOR EACH STATEMENT
    EXECUTE FUNCTION report_counts_changed();
CREATE TRIGGER reports_counted_update AFTER UPDATE ON reports
    REFERENCING OLD TABLE AS old_reports NEW TABLE AS new_reports FOR EACH STATEMENT
    EXECUTE FUNCTION report_counts_changed();
CREATE TRIGGER reports_counted_delete AFTER DELETE ON reports
    REFERENCING OLD TABLE AS old_reports FOR EACH STATEMENT
    EXECUTE FUNCTION report_counts_changed();

CREATE FUNCTION report_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM report_counts;
    RETURN NULL;
END
$$;
CREATE TRIGGER reports_counted_truncate AFTER TRUNCATE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION report_counts_truncated();

-- A facility's new time zone moves its reports' months: counted again.
CREATE FUNCTION report_counts_zone_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM report_counts WHERE facility_id = NEW.id;
    EXECUTE report_counts_sql(format(
        'SELECT facility_id, category, created_at, severity, 1 AS sign FROM reports '
        'WHERE facility_id = %s', NEW.id));
    RETURN NULL;
END
$$;
CREATE TRIGGER facilities_zone_recounted AFTER UPDATE OF timezone ON facilities
    FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone)
    EXECUTE FUNCTION report_counts_zone_changed();

DO $$ BEGIN
    EXECUTE report_counts_sql(
        'SELECT facility_id, category, created_at, severity, 1 AS sign FROM reports');
END $$;
