-- Records filed under the wrong facility or the wrong person, put right
-- (lifeline_pbx/cases/misfile_work.py, revision_work.py; docs/decisions.md "Misfiled records").
--
-- A correction that changes a record's facility keeps which facility it left and which it
-- went to, plain like reports.facility_id, so that the list of revisions says
-- "Facility: Example Valley → Demo County" without opening the sealed content. The trigger
-- (0014, 0022) keeps them as written too.
ALTER TABLE record_revisions ADD COLUMN facility_from bigint REFERENCES facilities (id),
    ADD COLUMN facility_to bigint REFERENCES facilities (id);

CREATE OR REPLACE FUNCTION record_revisions_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.id, NEW.entity, NEW.entity_id, NEW.number, NEW.author_id,
                             NEW.created_at, NEW.fields, NEW.facility_from, NEW.facility_to)
            IS NOT DISTINCT FROM (OLD.id, OLD.entity, OLD.entity_id, OLD.number,
                                  OLD.author_id, OLD.created_at, OLD.fields,
                                  OLD.facility_from, OLD.facility_to) THEN
        RETURN NEW;  -- resealed under a new key
    END IF;
    IF TG_OP = 'DELETE' AND OLD.entity = 'report' AND EXISTS (
            SELECT FROM reports WHERE id = OLD.entity_id AND narrative IS NULL) THEN
        RETURN OLD;  -- the report's narrative was removed after its time (0022)
    END IF;
    RAISE EXCEPTION 'record_revisions are kept as written';
END;
$$;

-- An entry of where a person was held that was a mistake (written by an intake filed under
-- the wrong person, or a facility typed wrong): struck, not deleted, so the record shows
-- who struck it and when; "Held at" leaves it out. A transfer is a new entry; a correction
-- strikes the wrong one.
ALTER TABLE person_facilities ADD COLUMN struck_at timestamptz,
    ADD COLUMN struck_by bigint REFERENCES users (id),
    ADD CONSTRAINT person_facilities_struck_by_whom
        CHECK ((struck_at IS NULL) = (struck_by IS NULL));

-- An intake (with its reports and follow-ups) moved from the person it was filed under to
-- the right one. Both people's pages list it; the reason is in the intake's revision.
-- `removed` names what was taken off the wrong person's record in the same step
-- ('names', 'languages', 'facility').
CREATE TABLE intake_moves (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    intake_id    uuid NOT NULL REFERENCES intakes (id) ON DELETE CASCADE,
    from_person  uuid NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    to_person    uuid NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    moved_by     bigint NOT NULL REFERENCES users (id),
    moved_at     timestamptz NOT NULL DEFAULT now(),
    removed      text[] NOT NULL DEFAULT '{}',
    CHECK (from_person <> to_person)
);
CREATE INDEX intake_moves_from ON intake_moves (from_person, moved_at);
CREATE INDEX intake_moves_to ON intake_moves (to_person, moved_at);
