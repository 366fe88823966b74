-- Facilities and lines set up in the browser (lifeline_pbx/admin/facilities*.py, lines*.py).
--
-- A facility's time zone is where its opening hours are read: the lines of one facility
-- share it (it was a column of each line). A disabled facility's lines do not answer.
ALTER TABLE facilities
    ADD COLUMN address   text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    ADD COLUMN timezone  text NOT NULL DEFAULT 'America/New_York'
                         CHECK (length(timezone) BETWEEN 1 AND 64),
    ADD COLUMN notes     text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    ADD COLUMN enabled   boolean NOT NULL DEFAULT true;

-- Each facility takes the time zone most of its lines had (ties: the lowest line id's).
UPDATE facilities f SET timezone = chosen.timezone
  FROM (SELECT DISTINCT ON (facility_id) facility_id, timezone
          FROM (SELECT facility_id, timezone, count(*) AS n, min(id) AS first_line
                  FROM lines GROUP BY facility_id, timezone) counted
         ORDER BY facility_id, n DESC, first_line) chosen
 WHERE chosen.facility_id = f.id;

ALTER TABLE lines DROP COLUMN timezone;

-- A warning at or after the cut never sounded (calls/flow.py): say so with 0, then require
-- the warning to come before the cut.
UPDATE lines SET limit_warning_seconds = 0 WHERE limit_warning_seconds >= call_limit_seconds;

-- Per line: a shorter wait than the queue's before voicemail (NULL: the queue's), and the
-- three-way policy beside the transfer one (stored; the engine enforces neither yet:
-- both off unless an admin allows them where the line's contract does).
ALTER TABLE lines
    ADD COLUMN max_wait_seconds   integer CHECK (max_wait_seconds BETWEEN 10 AND 7200),
    ADD COLUMN three_way_allowed  boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT lines_warning_before_limit
        CHECK (limit_warning_seconds < call_limit_seconds);

-- What a caller hears on a closure day, in place of the usual "we are closed" message:
-- the name of a prompt (lifeline_pbx/prompts).
ALTER TABLE line_holidays
    ADD COLUMN prompt text NOT NULL DEFAULT 'voicemail-closed'
        CHECK (prompt ~ '^[a-z0-9][a-z0-9-]{0,63}$');

-- Wake the engine when a line's configuration changes, whoever changes it (web, CLI,
-- psql): it LISTENs on 'lifeline_config' and reloads what the payload (the table) holds.
-- Sent when the transaction commits; identical ones in one transaction arrive once.
CREATE FUNCTION notify_config_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lifeline_config', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER facilities_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facilities
    FOR EACH STATEMENT EXECUTE FUNCTION notify_config_changed();
CREATE TRIGGER lines_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lines
    FOR EACH STATEMENT EXECUTE FUNCTION notify_config_changed();
CREATE TRIGGER line_languages_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON line_languages FOR EACH STATEMENT EXECUTE FUNCTION notify_config_changed();
CREATE TRIGGER line_hours_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON line_hours
    FOR EACH STATEMENT EXECUTE FUNCTION notify_config_changed();
CREATE TRIGGER line_holidays_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON line_holidays FOR EACH STATEMENT EXECUTE FUNCTION notify_config_changed();
