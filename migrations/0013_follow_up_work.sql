-- Follow-ups that can be worked: a thread of notes and a history of changes per follow-up.
--
-- A note's body is sealed (lifeline_pbx/crypto.py, place follow_up_notes.body.<id>) like
-- every other narrative. The history holds only what is not sensitive (a status word, a
-- user id, a date), so it is plain and can be shown and counted without opening anything.

CREATE TABLE follow_up_notes (
    id            uuid PRIMARY KEY,
    follow_up_id  uuid NOT NULL REFERENCES follow_ups (id) ON DELETE CASCADE,
    author_id     bigint NOT NULL REFERENCES users (id),
    body          bytea NOT NULL,          -- sealed
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX follow_up_notes_thread ON follow_up_notes (follow_up_id, created_at);

-- One row per field changed: the status ('open', 'done', 'cancelled'), the assignee (a
-- users.id as text, '' for nobody) or the due date (YYYY-MM-DD, '' for none).
CREATE TABLE follow_up_changes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    follow_up_id  uuid NOT NULL REFERENCES follow_ups (id) ON DELETE CASCADE,
    changed_by    bigint NOT NULL REFERENCES users (id),
    changed_at    timestamptz NOT NULL DEFAULT now(),
    field         text NOT NULL CHECK (field IN ('status', 'assignee', 'due_on')),
    old_value     text NOT NULL CHECK (length(old_value) <= 40),
    new_value     text NOT NULL CHECK (length(new_value) <= 40)
);
CREATE INDEX follow_up_changes_history ON follow_up_changes (follow_up_id, changed_at);

-- The supervisors' list filters by status and orders by due date.
CREATE INDEX follow_ups_status_due ON follow_ups (status, due_on);
