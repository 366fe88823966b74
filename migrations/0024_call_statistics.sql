-- Call statistics (lifeline_pbx/statistics): what a call's row lacked, kept by the database
-- itself, the statistics' indexes, and the end of an operator's wrap-up in the queue log.
--
-- Why the call went to voicemail ('closed', 'no_operators', 'max_wait', 'error') was only
-- in its timeline (call_events kind 'voicemail'), and how long it waited in the queue only
-- in the queue log (queue_events, when it left the queue). Reading either for every call of
-- a month meant a join per call; the row now carries both. Like reports.language (0016) the
-- copy is made by triggers, so no writer can leave it out: the first one written stands
-- (a call taken back after a restart leaves the queue once more).
ALTER TABLE calls
    ADD COLUMN voicemail_reason  text,
    ADD COLUMN wait_seconds      double precision;

UPDATE calls c SET voicemail_reason = e.reason
  FROM (SELECT DISTINCT ON (call_id) call_id, detail->>'reason' AS reason
          FROM call_events WHERE kind = 'voicemail' ORDER BY call_id, id) e
 WHERE e.call_id = c.id;

UPDATE calls c SET wait_seconds = q.wait_seconds
  FROM (SELECT DISTINCT ON (call_id) call_id, wait_seconds
          FROM queue_events
         WHERE kind IN ('connected', 'abandoned', 'timeout', 'voicemail')
           AND call_id IS NOT NULL AND wait_seconds IS NOT NULL
         ORDER BY call_id, id) q
 WHERE q.call_id = c.id;

CREATE FUNCTION calls_take_voicemail_reason() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE calls SET voicemail_reason = NEW.detail->>'reason'
     WHERE id = NEW.call_id AND voicemail_reason IS NULL;
    RETURN NULL;
END;
$$;
CREATE TRIGGER call_events_voicemail_reason AFTER INSERT ON call_events
    FOR EACH ROW WHEN (NEW.kind = 'voicemail')
    EXECUTE FUNCTION calls_take_voicemail_reason();

CREATE FUNCTION calls_take_wait() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE calls SET wait_seconds = NEW.wait_seconds
     WHERE id = NEW.call_id AND wait_seconds IS NULL;
    RETURN NULL;
END;
$$;
CREATE TRIGGER queue_events_wait AFTER INSERT ON queue_events
    FOR EACH ROW WHEN (NEW.kind IN ('connected', 'abandoned', 'timeout', 'voicemail')
                       AND NEW.call_id IS NOT NULL AND NEW.wait_seconds IS NOT NULL)
    EXECUTE FUNCTION calls_take_wait();

-- An operator who saves the intake before the queue's wrap-up time is over is ready at
-- once (queues/staff.py WrapUpOver): 'ready' marks that, so wrap-up time is what it was,
-- not the queue's setting.
ALTER TABLE queue_events DROP CONSTRAINT queue_events_kind_check;
ALTER TABLE queue_events ADD CONSTRAINT queue_events_kind_check
    CHECK (kind IN ('entered', 'connected', 'abandoned', 'timeout', 'voicemail',
                    'ring_no_answer', 'declined', 'pause', 'unpause', 'login', 'logout',
                    'ready'));

-- Operators' logins, pauses and readiness: those of a period, and each operator's last
-- before it (their state when it began). A few lines per shift, so small indexes.
CREATE INDEX queue_events_staff_at ON queue_events (at)
    WHERE kind IN ('login', 'logout', 'pause', 'unpause', 'ready');
CREATE INDEX queue_events_operator ON queue_events (operator_id, at)
    WHERE kind IN ('login', 'logout', 'pause', 'unpause', 'ready');
-- Each operator's talk in a period.
CREATE INDEX calls_operator_talk ON calls (operator_id, connected_at)
    WHERE connected_at IS NOT NULL;
