-- A caller sent to voicemail who is gone before the beep left no message: the call's
-- disposition is 'no_message' (calls/flow.py NO_MESSAGE), counted apart from voicemails by
-- the statistics (statistics/figures.py). Units rolled up before this counted them under
-- voicemail, as the calls before it say 'voicemail': they stay as they were, with none.
ALTER TABLE call_stats ADD COLUMN no_message integer NOT NULL DEFAULT 0;
ALTER TABLE call_stats_totals ADD COLUMN no_message integer NOT NULL DEFAULT 0;
ALTER TABLE call_stats_by ADD COLUMN no_message integer NOT NULL DEFAULT 0;
