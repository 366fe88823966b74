-- The audit log out of the application's reach, and tamper-evident.
--
-- Two roles (cluster-wide, created once): lifeline_audit (NOLOGIN) owns audit_log and the
-- functions behind its triggers; lifeline_app (LOGIN) is the role the application connects
-- as. The application may only INSERT and SELECT on audit_log, so it can neither disable
-- the triggers, nor drop them, nor give the table away. Its DML on the other tables is
-- (re)granted by the migration runner after every run (lifeline_pbx/db_roles.py).
--
-- Each entry carries the hash of the one before it (a hash chain): a BEFORE INSERT trigger
-- takes a transaction-level advisory lock, reads the last entry and assigns the next
-- chain_seq, prev_hash and entry_hash. The lock is held to commit, so entries of
-- concurrent transactions are chained one after the other, and a rolled-back entry leaves
-- no gap. `lifeline audit verify` recomputes every hash in Python
-- (lifeline_pbx/audit/chain.py holds the same encoding).

DO $$
DECLARE
    me pg_roles%ROWTYPE;
BEGIN
    SELECT * INTO me FROM pg_roles WHERE rolname = current_user;
    IF NOT (me.rolsuper OR me.rolcreaterole) THEN
        RAISE EXCEPTION 'the role % may not create roles, and this migration creates lifeline_app and lifeline_audit', current_user
            USING HINT = format('as the PostgreSQL superuser, run: ALTER ROLE %I CREATEROLE;', current_user);
    END IF;
    BEGIN
        CREATE ROLE lifeline_audit NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;  -- made for another database of this cluster, or by a concurrent runner
    END;
    BEGIN
        CREATE ROLE lifeline_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
    END;
    IF NOT me.rolsuper THEN
        -- Giving the table to lifeline_audit needs membership in it (a superuser needs none).
        EXECUTE format('GRANT lifeline_audit TO %I', current_user);
    END IF;
END
$$;

-- Giving objects in public to lifeline_audit needs its CREATE there (superusers skip that
-- check); nobody logs in as lifeline_audit, so this lets only admins who SET ROLE use it.
GRANT CREATE ON SCHEMA public TO lifeline_audit;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;  -- the PostgreSQL 15 default, for older clusters

ALTER TABLE audit_log
    ADD COLUMN chain_seq bigint,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN entry_hash bytea;

-- The encoding of one entry: every value as "<UTF-8 length>:<value>", so no two entries
-- encode alike; the time as whole microseconds since 1970 (no DateStyle or TimeZone in it).
CREATE FUNCTION audit_entry_hash(
    prev bytea, seq bigint, entry_id bigint, at timestamptz, user_id bigint,
    action text, entity text, entity_id text, fields text[]
) RETURNS bytea LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
    micros bigint := extract(epoch FROM at) * 1000000;  -- numeric, exact (PostgreSQL 14+)
    payload text := 'lifeline-audit-v1' || chr(10);
    value text;
BEGIN
    FOREACH value IN ARRAY ARRAY[seq::text, entry_id::text, micros::text,
                                 coalesce(user_id::text, ''), action, entity, entity_id,
                                 cardinality(fields)::text] || fields
    LOOP
        payload := payload || octet_length(convert_to(value, 'UTF8')) || ':' || value;
    END LOOP;
    RETURN sha256(prev || convert_to(payload, 'UTF8'));
END;
$$;

-- Chain the entries written before this migration, in the order they were written.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
DO $$
DECLARE
    entry record;
    seq bigint := 0;
    prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
BEGIN
    FOR entry IN SELECT * FROM audit_log ORDER BY id LOOP
        seq := seq + 1;
        UPDATE audit_log SET chain_seq = seq, prev_hash = prev,
               entry_hash = audit_entry_hash(prev, seq, entry.id, entry.at, entry.user_id,
                                             entry.action, entry.entity, entry.entity_id,
                                             entry.fields)
         WHERE id = entry.id
        RETURNING entry_hash INTO prev;
    END LOOP;
END
$$;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;

ALTER TABLE audit_log
    ALTER COLUMN chain_seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN entry_hash SET NOT NULL,
    ADD CONSTRAINT audit_log_chain_seq UNIQUE (chain_seq),
    ADD CONSTRAINT audit_log_hash_sizes
        CHECK (octet_length(prev_hash) = 32 AND octet_length(entry_hash) = 32),
    ADD CONSTRAINT audit_log_fields_not_null CHECK (array_position(fields, NULL) IS NULL);

-- SECURITY DEFINER: runs as lifeline_audit whatever the inserting role may read; the fixed
-- search_path keeps a caller's temporary objects from standing in for ours.
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    last record;
BEGIN
    PERFORM pg_advisory_xact_lock(5497002083445195860);  -- "LIFEAUDT": the chain's lock
    SELECT chain_seq, entry_hash INTO last FROM public.audit_log
     ORDER BY chain_seq DESC LIMIT 1;
    NEW.at := now();
    NEW.chain_seq := coalesce(last.chain_seq, 0) + 1;
    NEW.prev_hash := coalesce(last.entry_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    NEW.entry_hash := public.audit_entry_hash(NEW.prev_hash, NEW.chain_seq, NEW.id, NEW.at,
                                              NEW.user_id, NEW.action, NEW.entity,
                                              NEW.entity_id, NEW.fields);
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- The table, its identity sequence and every function its triggers run go to lifeline_audit:
-- whoever owns a trigger function can replace its body.
ALTER TABLE audit_log OWNER TO lifeline_audit;
ALTER FUNCTION audit_log_is_append_only() OWNER TO lifeline_audit;
ALTER FUNCTION audit_log_chain() OWNER TO lifeline_audit;
ALTER FUNCTION audit_entry_hash(bytea, bigint, bigint, timestamptz, bigint, text, text, text, text[])
    OWNER TO lifeline_audit;

REVOKE ALL ON audit_log FROM PUBLIC;
GRANT SELECT ON audit_log TO lifeline_app;
GRANT INSERT (user_id, action, entity, entity_id, fields) ON audit_log TO lifeline_app;
