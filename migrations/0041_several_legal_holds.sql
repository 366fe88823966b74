-- Several legal holds in force on one person (two lawsuits; a subpoena and a partner's
-- request): each is placed with its own reason and released on its own when its matter
-- ends (retention/). The unique index becomes a plain one, for the same lookups: a
-- person's holds in force, and retention's holds in force (audit/ties.py HELD).
DROP INDEX legal_holds_active;
CREATE INDEX legal_holds_active ON legal_holds (person_id) WHERE released_at IS NULL;

-- A merge now moves the duplicate's holds onto the record kept (cases/people.py merge).
-- Holds on records merged before this stayed behind: they move now, so that the kept
-- person's page lists them and they can be released. Their reasons are sealed at the
-- hold's id, not the person's (migrations/0040): they stay readable.
WITH RECURSIVE kept (id, kept_id) AS (
    SELECT id, id FROM persons WHERE merged_into IS NULL
    UNION
    SELECT p.id, k.kept_id FROM persons p JOIN kept k ON p.merged_into = k.id)
UPDATE legal_holds h SET person_id = k.kept_id
  FROM kept k WHERE k.id = h.person_id AND k.kept_id <> h.person_id;
