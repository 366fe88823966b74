-- Who reviewed each voicemail, and why when no intake was written from it (voicemail/):
-- "nothing to record" (silence, a wrong number), "a duplicate of another message",
-- "handled outside the hotline", or "other" with a short note. The note is free text that
-- can name people: sealed by the application at crypto.place('voicemails', 'review_note',
-- id) and resealed by `lifeline keys rotate`. Messages reviewed before this get their
-- reviewer from the audit log (the first 'update' of their 'reviewed_at'), and no reason.
ALTER TABLE voicemails ADD COLUMN reviewed_by bigint REFERENCES users (id),
    ADD COLUMN review_reason text CHECK (review_reason IN
        ('nothing_to_record', 'duplicate', 'handled_elsewhere', 'other')),
    ADD COLUMN review_note bytea,
    ADD CONSTRAINT voicemails_reason_when_reviewed
        CHECK (review_reason IS NULL OR reviewed_at IS NOT NULL),
    ADD CONSTRAINT voicemails_note_with_other
        CHECK (review_note IS NULL OR review_reason = 'other');

UPDATE voicemails v SET reviewed_by = a.user_id
  FROM (SELECT DISTINCT ON (entity_id) entity_id, user_id FROM audit_log
         WHERE entity = 'voicemail' AND action = 'update' AND 'reviewed_at' = ANY (fields)
         ORDER BY entity_id, chain_seq) a
 WHERE v.reviewed_at IS NOT NULL AND a.entity_id = v.id::text;

-- Retention keeps unreviewed messages past their limit (and their audio): each run counts
-- them, as it counts what a legal hold keeps.
ALTER TABLE retention_runs ADD COLUMN unreviewed integer NOT NULL DEFAULT 0;
