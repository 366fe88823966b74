-- An intake is saved more than once (during the call and after it) under the key its form
-- was opened with (the intake's id), and holds several reports: when it was last changed,
-- and its reports and follow-ups found by intake without a scan.
ALTER TABLE intakes ADD COLUMN updated_at timestamptz;
CREATE INDEX reports_intake ON reports (intake_id) WHERE intake_id IS NOT NULL;
CREATE INDEX follow_ups_intake ON follow_ups (intake_id) WHERE intake_id IS NOT NULL;
