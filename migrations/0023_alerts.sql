-- Spike alerts and the coordinators' alert emails (lifeline_pbx/alerts/).
--
-- A rule: `threshold` reports of one category at one facility within `window_days`
-- days. When it fires for a facility a spike_alerts row is written, with the window it
-- covers; the rule fires again at that facility only for reports made after window_end,
-- so it fires once per window (alerts/spike_rules.py decides, docs/decisions.md).

CREATE TABLE alert_rules (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category     text NOT NULL REFERENCES report_categories (code),
    threshold    integer NOT NULL CHECK (threshold BETWEEN 2 AND 1000),
    window_days  integer NOT NULL CHECK (window_days BETWEEN 1 AND 366),
    enabled      boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (category, threshold, window_days)
);

CREATE TABLE spike_alerts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id       bigint NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    facility_id   bigint NOT NULL REFERENCES facilities (id),
    window_start  timestamptz NOT NULL,  -- the first report counted
    window_end    timestamptz NOT NULL CHECK (window_end > window_start),
    reports       integer NOT NULL,      -- how many were counted when it fired
    fired_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (rule_id, facility_id, window_start)
);
CREATE INDEX spike_alerts_rule_facility ON spike_alerts (rule_id, facility_id, window_end);
CREATE INDEX spike_alerts_current ON spike_alerts (window_end);

-- The rules count reports by category and facility over days.
CREATE INDEX reports_category_facility ON reports (category, facility_id, created_at);

-- Emails to the coordinators, one per alert: a queue that a background task empties
-- (alerts/outbox.py), retrying with a growing wait. The text is made when it is sent, from
-- the row it names, and holds no name, A-number or narrative.
CREATE TABLE alert_emails (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    spike_alert_id   bigint UNIQUE REFERENCES spike_alerts (id) ON DELETE CASCADE,
    voicemail_id     uuid UNIQUE REFERENCES voicemails (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    gave_up_at       timestamptz,
    CHECK (num_nonnulls(spike_alert_id, voicemail_id) = 1)
);
CREATE INDEX alert_emails_due ON alert_emails (next_attempt_at)
    WHERE sent_at IS NULL AND gave_up_at IS NULL;

-- What the app's alert watch hears (one channel, payload "<kind>[:<id>]"): a report made or
-- moved to another facility or category, a rule changed, an alert fired, a voicemail left,
-- an email queued. Every writer is heard (the web, a command, another node).
CREATE FUNCTION alerts_notify_report() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lifeline_alerts', 'reports:' || NEW.facility_id);
    RETURN NULL;
END;
$$;
CREATE TRIGGER reports_alerts AFTER INSERT OR UPDATE OF facility_id, category ON reports
    FOR EACH ROW EXECUTE FUNCTION alerts_notify_report();

CREATE FUNCTION alerts_notify_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lifeline_alerts', 'rules');
    RETURN NULL;
END;
$$;
CREATE TRIGGER alert_rules_changed AFTER INSERT OR UPDATE ON alert_rules
    FOR EACH STATEMENT EXECUTE FUNCTION alerts_notify_rules();

CREATE FUNCTION alerts_notify_spike() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lifeline_alerts', 'spike:' || NEW.id);
    RETURN NULL;
END;
$$;
CREATE TRIGGER spike_alerts_fired AFTER INSERT ON spike_alerts
    FOR EACH ROW EXECUTE FUNCTION alerts_notify_spike();

-- A voicemail is written by the call-record writer, which knows nothing of alerts; the
-- email of an emergency one (priority > 0: the caller's triage answer) is queued in the
-- same transaction, so no notification lost while no app listened can lose it.
CREATE FUNCTION alerts_voicemail_left() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.priority > 0 THEN
        INSERT INTO alert_emails (voicemail_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    PERFORM pg_notify('lifeline_alerts', 'voicemail:' || NEW.id);
    RETURN NULL;
END;
$$;
CREATE TRIGGER voicemails_alerts AFTER INSERT ON voicemails
    FOR EACH ROW EXECUTE FUNCTION alerts_voicemail_left();

CREATE FUNCTION alerts_notify_email() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lifeline_alerts', 'email');
    RETURN NULL;
END;
$$;
CREATE TRIGGER alert_emails_queued AFTER INSERT ON alert_emails
    FOR EACH STATEMENT EXECUTE FUNCTION alerts_notify_email();
