-- Queues and who serves them, managed in the browser and by `lifeline queue|operator`.
--
-- Press-1-to-accept becomes a setting of the queue: every offer of its calls asks the
-- operator to press 1 (a phone's own voicemail cannot take a caller). An operator's own
-- operators.accept_by_key still asks it of them in every queue.
ALTER TABLE queues
    ADD COLUMN accept_by_key boolean NOT NULL DEFAULT false;

-- Wake the call engine whenever a queue's settings or its operators change, whoever
-- changes them (the web UI, the CLI, psql): it LISTENs on 'lifeline_config' and reads the
-- queues and memberships again (queues/config_follow.py). The payload is the table's name.
-- Operators' languages and enabled flag live in the operators table, whose triggers
-- (0002) already notify 'lifeline_operators', after which the engine reloads the same.
-- Once per statement: a membership change rewrites several rows at once.
CREATE FUNCTION notify_queue_config_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lifeline_config', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER queues_notify_config
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON queues
    FOR EACH STATEMENT EXECUTE FUNCTION notify_queue_config_changed();

CREATE TRIGGER operator_queues_notify_config
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON operator_queues
    FOR EACH STATEMENT EXECUTE FUNCTION notify_queue_config_changed();
