-- How many people a group report is about, as the caller put it ("about"): optional, only
-- on a report about a group, 2 to 10,000 (lifeline_pbx/cases/group_size.py). Plain like
-- `affected`: a count, no one's name. Reports from before have none (NULL): the summary
-- counts such a group as two people at least, as it did.
ALTER TABLE reports ADD COLUMN people integer,
    ADD CONSTRAINT reports_people_of_a_group
        CHECK (people IS NULL OR (affected = 'group' AND people BETWEEN 2 AND 10000));

-- A correction that changes it keeps the number before and after, plain like the facility
-- it moved from and to (0043), so that the list of revisions says "People concerned: 3 → 4"
-- without opening the sealed content. The trigger keeps them as written too.
ALTER TABLE record_revisions ADD COLUMN people_from integer, ADD COLUMN people_to integer;

CREATE OR REPLACE FUNCTION record_revisions_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.id, NEW.entity, NEW.entity_id, NEW.number, NEW.author_id,
                             NEW.created_at, NEW.fields, NEW.facility_from, NEW.facility_to,
                             NEW.people_from, NEW.people_to)
            IS NOT DISTINCT FROM (OLD.id, OLD.entity, OLD.entity_id, OLD.number,
                                  OLD.author_id, OLD.created_at, OLD.fields,
                                  OLD.facility_from, OLD.facility_to,
                                  OLD.people_from, OLD.people_to) THEN
        RETURN NEW;  -- resealed under a new key
    END IF;
    IF TG_OP = 'DELETE' AND OLD.entity = 'report' AND EXISTS (
            SELECT FROM reports WHERE id = OLD.entity_id AND narrative IS NULL) THEN
        RETURN OLD;  -- the report's narrative was removed after its time (0022)
    END IF;
    RAISE EXCEPTION 'record_revisions are kept as written';
END;
$$;
