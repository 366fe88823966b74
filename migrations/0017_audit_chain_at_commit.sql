-- The audit chain is linked at commit, not at insert.
--
-- 0008 chained each entry in a BEFORE INSERT trigger under one advisory lock held to
-- commit. A unit of work audits between its other writes, so one that audited first and
-- then waited for a row held by another, which in turn wanted to audit, deadlocked
-- (seen: two saves of an intake). Now the entry is inserted plain and a deferred
-- constraint trigger links it as the transaction commits: the lock is taken only then,
-- when the transaction asks for no other lock, and is held only for the commit itself.
-- The chain follows commit order; a rolled-back entry never takes a number.

ALTER TABLE audit_log
    ALTER COLUMN chain_seq DROP NOT NULL,
    ALTER COLUMN prev_hash DROP NOT NULL,
    ALTER COLUMN entry_hash DROP NOT NULL;

DROP TRIGGER audit_log_chain ON audit_log;

-- Still SECURITY DEFINER (owned by lifeline_audit): it writes the chain's three columns
-- of the new entry, which nobody else may update.
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    last record;
    seq bigint;
    prev bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(5497002083445195860);  -- "LIFEAUDT": the chain's lock
    SELECT chain_seq, entry_hash INTO last FROM public.audit_log
     WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
    seq := coalesce(last.chain_seq, 0) + 1;
    prev := coalesce(last.entry_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    UPDATE public.audit_log
       SET chain_seq = seq, prev_hash = prev,
           entry_hash = public.audit_entry_hash(prev, seq, NEW.id, NEW.at, NEW.user_id,
                                                NEW.action, NEW.entity, NEW.entity_id,
                                                NEW.fields)
     WHERE id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER audit_log_chain AFTER INSERT ON audit_log
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- Append-only, but for that one write: the chain's columns filled in once, by the chain's
-- own function (current_user is lifeline_audit only inside it), nothing else changed.
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
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
