-- Wake the app whenever operators' SIP accounts change, whoever changes them (the CLI,
-- the web UI, psql): the app LISTENs on 'lifeline_operators' and rewrites the accounts in
-- Asterisk. The payload is the SIP username ('' after TRUNCATE), for the log only: the app
-- re-reads the table either way. Notifications are sent when the transaction commits.

CREATE FUNCTION notify_operators_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('lifeline_operators', '');
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('lifeline_operators', OLD.sip_username);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('lifeline_operators', NEW.sip_username);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER operators_notify_insert_delete
    AFTER INSERT OR DELETE ON operators
    FOR EACH ROW EXECUTE FUNCTION notify_operators_changed();

-- Only the columns Asterisk sees: later columns (presence, timestamps) must not cause a
-- rewrite of every account.
CREATE TRIGGER operators_notify_update
    AFTER UPDATE ON operators
    FOR EACH ROW
    WHEN ((OLD.sip_username, OLD.sip_md5_cred, OLD.display_name, OLD.languages, OLD.enabled)
          IS DISTINCT FROM
          (NEW.sip_username, NEW.sip_md5_cred, NEW.display_name, NEW.languages, NEW.enabled))
    EXECUTE FUNCTION notify_operators_changed();

CREATE TRIGGER operators_notify_truncate
    AFTER TRUNCATE ON operators
    FOR EACH STATEMENT EXECUTE FUNCTION notify_operators_changed();
