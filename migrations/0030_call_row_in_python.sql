-- The call row's voicemail reason and wait (0024) are derived by the app with the rest of
-- the row (lifeline_pbx/calls/call_record.py), from the same call timeline and queue log
-- lines, and written with the row: the triggers made one more row update per call inside
-- PostgreSQL for what the writer already holds (issue 11, 20 calls/s). The columns and
-- what they hold stay; only the copying moves.
DROP TRIGGER call_events_voicemail_reason ON call_events;
DROP TRIGGER queue_events_wait ON queue_events;
DROP FUNCTION calls_take_voicemail_reason();
DROP FUNCTION calls_take_wait();
