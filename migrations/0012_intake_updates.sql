-- An intake is saved more than once (during the call and after it) under the key its form
-- was opened with (the intake's id), and holds several reports, each from a block of the
-- form: when the intake was last changed, the block a report came from (so that the form
-- shows them again in order), and reports and follow-ups found by intake without a scan.
ALTER TABLE intakes ADD COLUMN updated_at timestamptz;
ALTER TABLE reports ADD COLUMN intake_position integer CHECK (intake_position > 0);
CREATE INDEX reports_intake ON reports (intake_id, intake_position) WHERE intake_id IS NOT NULL;
CREATE INDEX follow_ups_intake ON follow_ups (intake_id) WHERE intake_id IS NOT NULL;
