-- Finding people without opening every record, and lists that page through everything.
--
-- A person is found by a word of a name or their date of birth through blind-index
-- tokens: truncated HMACs (lifeline_pbx/cases/search_tokens.py) under a key derived from
-- the lookup key. Without the key a token says nothing about the word it stands for;
-- `lifeline keys rotate` rebuilds them all. Merged records have none (they are found
-- through the record they were merged into).
CREATE TABLE person_search_tokens (
    token      bytea NOT NULL CHECK (length(token) = 16),
    person_id  uuid NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    PRIMARY KEY (token, person_id)
);
CREATE INDEX person_search_tokens_person ON person_search_tokens (person_id);

-- People at a facility, in the order a search lists them.
CREATE INDEX persons_facility ON persons (facility_id, id) WHERE merged_into IS NULL;

-- The report list's filters, newest first (id breaks ties, so pages never overlap).
CREATE INDEX reports_created ON reports (created_at, id);
CREATE INDEX reports_category ON reports (category, created_at, id);
CREATE INDEX reports_severity ON reports (severity, created_at, id);
-- Reports by intake: 0012's reports_intake (intake_id, intake_position) serves that.
CREATE INDEX report_consents_partner ON report_consents (partner_id, report_id);

-- The call history's filters, newest first.
CREATE INDEX calls_started ON calls (started_at, id);
CREATE INDEX calls_facility ON calls (facility_id, started_at, id);
CREATE INDEX calls_operator ON calls (operator_id, started_at, id) WHERE operator_id IS NOT NULL;

-- Everyone's open follow-ups, soonest due first.
CREATE INDEX follow_ups_open_due ON follow_ups (due_on, created_at, id) WHERE status = 'open';
