-- Why each legal hold was placed (the matter, who asked) and what ended it. Free text that
-- can name people and cases: sealed by the application like narratives, at
-- crypto.place('legal_holds', 'reason' | 'release_reason', id), and resealed by
-- `lifeline keys rotate`. The app asks for both (retention/rules.py parse_reason); holds
-- placed or released before this migration have none, and their list says "not recorded".
ALTER TABLE legal_holds ADD COLUMN reason bytea,
    ADD COLUMN release_reason bytea,
    ADD CONSTRAINT legal_holds_release_reason_when_released
        CHECK (release_reason IS NULL OR released_at IS NOT NULL);
