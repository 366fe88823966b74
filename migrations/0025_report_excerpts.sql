-- Excerpts of a report's narrative released for advocacy (issue 13: printable facility
-- report, anonymised export). A coordinator writes the excerpt from the narrative with every
-- identifying detail taken out; it may be released only for a report whose person consented
-- to share it (report_consents). Sealed like the narrative it comes from
-- (place: report_excerpts.excerpt.<report id>), and cleared with it by retention.
CREATE TABLE report_excerpts (
    report_id    uuid PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
    excerpt      bytea NOT NULL,          -- sealed
    released_by  bigint NOT NULL REFERENCES users (id),
    released_at  timestamptz NOT NULL DEFAULT now()
);
