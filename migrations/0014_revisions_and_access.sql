-- Corrections with history, proposed corrections of a person, and lookups tied to a call.
--
-- A correction to a saved intake, report or follow-up is a new revision: the record's row
-- holds the latest version (so lists, counts and exports stay as they are) and every
-- version, the first included, is kept here, sealed whole (lifeline_pbx/crypto.py, place
-- record_revisions.content.<id>). The first revision is written when the record is first
-- corrected, from the row as it stood. Rows are never removed, and only their sealed
-- content may be rewritten (by `lifeline keys rotate`, which reseals it unchanged).
CREATE TABLE record_revisions (
    id          uuid PRIMARY KEY,
    entity      text NOT NULL CHECK (entity IN ('intake', 'report', 'follow_up')),
    entity_id   uuid NOT NULL,
    number      integer NOT NULL CHECK (number > 0),
    author_id   bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    fields      text[] NOT NULL DEFAULT '{}',  -- names of the fields this revision changed
    content     bytea NOT NULL,                -- sealed: the record as this revision left it
    UNIQUE (entity, entity_id, number)
);

CREATE FUNCTION record_revisions_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.id, NEW.entity, NEW.entity_id, NEW.number, NEW.author_id,
                             NEW.created_at, NEW.fields)
            IS NOT DISTINCT FROM (OLD.id, OLD.entity, OLD.entity_id, OLD.number,
                                  OLD.author_id, OLD.created_at, OLD.fields) THEN
        RETURN NEW;  -- resealed under a new key
    END IF;
    RAISE EXCEPTION 'record_revisions are kept as written';
END;
$$;
CREATE TRIGGER record_revisions_kept BEFORE UPDATE OR DELETE ON record_revisions
    FOR EACH ROW EXECUTE FUNCTION record_revisions_are_kept();

-- What an operator's intake said about a person already on record that differs from the
-- record: a supervisor accepts it (the record changes) or rejects it. The proposed values
-- are sealed (place person_proposals.content.<id>); the field names are not.
CREATE TABLE person_proposals (
    id           uuid PRIMARY KEY,
    person_id    uuid NOT NULL REFERENCES persons (id),
    intake_id    uuid REFERENCES intakes (id) ON DELETE SET NULL,
    proposed_by  bigint NOT NULL REFERENCES users (id),
    proposed_at  timestamptz NOT NULL DEFAULT now(),
    fields       text[] NOT NULL CHECK (cardinality(fields) > 0),
    content      bytea NOT NULL,               -- sealed: JSON of the proposed values
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
    decided_by   bigint REFERENCES users (id),
    decided_at   timestamptz
);
CREATE INDEX person_proposals_open ON person_proposals (proposed_at, id) WHERE status = 'open';
CREATE INDEX person_proposals_person ON person_proposals (person_id, proposed_at);

-- The A-numbers an operator looked up during a call (as keyed hashes, like
-- persons.a_number_key): a call shows at most one person, after a few tries.
CREATE TABLE call_lookups (
    call_id       uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    a_number_key  bytea NOT NULL,
    person_id     uuid REFERENCES persons (id),
    looked_up_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (call_id, user_id, a_number_key)
);
