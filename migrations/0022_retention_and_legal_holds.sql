-- Retention: how long each kind of record is kept, a log of what each run removed, legal
-- holds on people, and a way to remove old audit entries that keeps the chain verifiable.
-- lifeline_pbx/retention/ decides and removes; docs/decisions.md says why it is done so.

-- One row: days each kind is kept; NULL keeps it for ever (the default, so that upgrading
-- removes nothing until an admin chooses). The floors repeat retention/rules.py.
CREATE TABLE retention_settings (
    id                 boolean PRIMARY KEY DEFAULT true CHECK (id),
    call_records_days  integer CHECK (call_records_days BETWEEN 30 AND 36500),
    recordings_days    integer CHECK (recordings_days BETWEEN 7 AND 36500),
    voicemails_days    integer CHECK (voicemails_days BETWEEN 30 AND 36500),
    drafts_days        integer CHECK (drafts_days BETWEEN 1 AND 36500),
    narratives_days    integer CHECK (narratives_days BETWEEN 365 AND 36500),
    audit_entries_days integer CHECK (audit_entries_days BETWEEN 365 AND 36500),
    updated_by         bigint REFERENCES users (id),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (recordings_days <= voicemails_days)
);
INSERT INTO retention_settings DEFAULT VALUES;

-- What each run removed: counts, never content. held counts what was due but kept for a
-- person on legal hold. run_by is the user who asked (NULL: the schedule or the command).
CREATE TABLE retention_runs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz NOT NULL DEFAULT now(),
    source         text NOT NULL CHECK (source IN ('schedule', 'command')),
    call_records   integer NOT NULL DEFAULT 0,
    recordings     integer NOT NULL DEFAULT 0,
    voicemails     integer NOT NULL DEFAULT 0,
    drafts         integer NOT NULL DEFAULT 0,
    narratives     integer NOT NULL DEFAULT 0,
    audit_entries  integer NOT NULL DEFAULT 0,
    held           integer NOT NULL DEFAULT 0
);
CREATE INDEX retention_runs_source ON retention_runs (source, started_at);

-- A person on legal hold: nothing tied to them is removed while the hold lasts. Released
-- holds stay, as the history of who placed and lifted each.
CREATE TABLE legal_holds (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id    uuid NOT NULL REFERENCES persons (id),
    placed_by    bigint NOT NULL REFERENCES users (id),
    placed_at    timestamptz NOT NULL DEFAULT now(),
    released_by  bigint REFERENCES users (id),
    released_at  timestamptz,
    CHECK ((released_by IS NULL) = (released_at IS NULL))
);
CREATE UNIQUE INDEX legal_holds_active ON legal_holds (person_id) WHERE released_at IS NULL;

-- A narrative removed after its time: the sealed column cleared, the report's facility,
-- category, severity and dates kept for the counts.
ALTER TABLE reports ALTER COLUMN narrative DROP NOT NULL,
    ADD COLUMN narrative_removed_at timestamptz,
    ADD CONSTRAINT reports_narrative_or_removed
        CHECK ((narrative IS NULL) = (narrative_removed_at IS NOT NULL));

-- A recording removed after its time: the voicemail stays (facility, time, language) with
-- no audio; bytes = 0 as when Asterisk had none, expired_at telling the two apart.
ALTER TABLE voicemail_audio ADD COLUMN expired_at timestamptz;

-- A report's revisions hold its narrative too (sealed whole): they may go once the
-- report's narrative has been removed, and only then.
CREATE OR REPLACE FUNCTION record_revisions_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.id, NEW.entity, NEW.entity_id, NEW.number, NEW.author_id,
                             NEW.created_at, NEW.fields)
            IS NOT DISTINCT FROM (OLD.id, OLD.entity, OLD.entity_id, OLD.number,
                                  OLD.author_id, OLD.created_at, OLD.fields) THEN
        RETURN NEW;  -- resealed under a new key
    END IF;
    IF TG_OP = 'DELETE' AND OLD.entity = 'report' AND EXISTS (
            SELECT FROM reports WHERE id = OLD.entity_id AND narrative IS NULL) THEN
        RETURN OLD;  -- the report's narrative was removed after its time
    END IF;
    RAISE EXCEPTION 'record_revisions are kept as written';
END;
$$;

-- The audit viewer's filters: by date, and by user (newest first).
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user_id, chain_seq);

-- Removing the oldest audit entries. Each removal leaves a checkpoint: the chain number
-- and hash of the last entry removed, so that `lifeline audit verify` starts from it and
-- the first entry kept must link to it. Owned by lifeline_audit, like the log: the app
-- may read checkpoints and call audit_log_remove_before, nothing else.
CREATE TABLE audit_checkpoints (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    made_at       timestamptz NOT NULL DEFAULT now(),
    through_seq   bigint NOT NULL UNIQUE CHECK (through_seq > 0),
    through_hash  bytea NOT NULL CHECK (octet_length(through_hash) = 32),
    removed       bigint NOT NULL CHECK (removed > 0),
    cutoff        timestamptz NOT NULL
);

CREATE FUNCTION audit_checkpoints_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_checkpoints are kept as written';
END;
$$;
CREATE TRIGGER audit_checkpoints_kept BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_are_kept();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_are_kept();

-- Append-only as before, with one more exception: an entry a checkpoint covers may be
-- deleted by the removal function below (current_user is lifeline_audit only inside it).
CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF current_user = 'lifeline_audit' AND OLD.chain_seq IS NULL
           AND NEW.chain_seq IS NOT NULL
           AND (NEW.id, NEW.at, NEW.user_id, NEW.action, NEW.entity, NEW.entity_id, NEW.fields)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.at, OLD.user_id, OLD.action, OLD.entity, OLD.entity_id, OLD.fields)
        THEN
            RETURN NEW;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF current_user = 'lifeline_audit' AND OLD.chain_seq <= (
               SELECT max(through_seq) FROM public.audit_checkpoints) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

-- Remove the oldest entries, written before `older_than` (at least 365 days ago), stopping
-- before entry `keep_from` (the first one tied to a person on legal hold; NULL: none).
-- Only a prefix of the chain goes: from the first entry after the last checkpoint up to
-- the last entry before the first one to keep (an entry written at or after older_than, or
-- keep_from). That prefix is verified first: a broken chain is never removed (and so
-- laundered), it raises instead. Returns how many entries were removed.
CREATE FUNCTION audit_log_remove_before(older_than timestamptz, keep_from bigint)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    start_seq bigint;
    prev bytea;
    through bigint;
    entry record;
    removed bigint;
BEGIN
    IF older_than > now() - interval '365 days' THEN
        RAISE EXCEPTION 'audit entries are kept at least 365 days';
    END IF;
    PERFORM pg_advisory_xact_lock(5497002083445195860);  -- "LIFEAUDT": the chain's lock
    SELECT through_seq, through_hash INTO start_seq, prev FROM public.audit_checkpoints
     ORDER BY through_seq DESC LIMIT 1;
    start_seq := coalesce(start_seq, 0);
    prev := coalesce(prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    SELECT coalesce(min(chain_seq) - 1, (SELECT max(chain_seq) FROM public.audit_log))
      INTO through FROM public.audit_log WHERE chain_seq IS NOT NULL AND at >= older_than;
    IF keep_from IS NOT NULL THEN
        through := least(through, keep_from - 1);
    END IF;
    IF through IS NULL OR through <= start_seq THEN
        RETURN 0;
    END IF;
    FOR entry IN SELECT * FROM public.audit_log
                  WHERE chain_seq > start_seq AND chain_seq <= through ORDER BY chain_seq LOOP
        start_seq := start_seq + 1;
        IF entry.chain_seq <> start_seq OR entry.prev_hash <> prev
           OR entry.entry_hash <> public.audit_entry_hash(prev, entry.chain_seq, entry.id,
                   entry.at, entry.user_id, entry.action, entry.entity, entry.entity_id,
                   entry.fields) THEN
            RAISE EXCEPTION 'the audit chain does not verify at entry %: nothing removed', start_seq;
        END IF;
        prev := entry.entry_hash;
    END LOOP;
    IF start_seq <> through THEN
        RAISE EXCEPTION 'the audit chain does not verify at entry %: nothing removed', start_seq + 1;
    END IF;
    INSERT INTO public.audit_checkpoints (through_seq, through_hash, removed, cutoff)
    SELECT through, prev, through - coalesce(max(through_seq), 0), older_than
      FROM public.audit_checkpoints;
    DELETE FROM public.audit_log WHERE chain_seq <= through;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END;
$$;

ALTER TABLE audit_checkpoints OWNER TO lifeline_audit;
ALTER FUNCTION audit_checkpoints_are_kept() OWNER TO lifeline_audit;
ALTER FUNCTION audit_log_remove_before(timestamptz, bigint) OWNER TO lifeline_audit;
ALTER FUNCTION audit_log_is_append_only() OWNER TO lifeline_audit;
REVOKE ALL ON audit_checkpoints FROM PUBLIC;
GRANT SELECT ON audit_checkpoints TO lifeline_app;
REVOKE ALL ON FUNCTION audit_log_remove_before(timestamptz, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_log_remove_before(timestamptz, bigint) TO lifeline_app;
