-- Retention clears a report's released excerpt with its narrative (issue 13: the excerpt is
-- written from the narrative); each run counts the excerpts it deleted.
ALTER TABLE retention_runs ADD COLUMN excerpts integer NOT NULL DEFAULT 0;
