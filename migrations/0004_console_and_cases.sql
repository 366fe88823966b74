-- Web accounts, sessions, the case record (people, intakes, reports, follow-ups, drafts)
-- and the audit log.
--
-- Columns of type bytea marked "sealed" hold AES-256-GCM ciphertext made by
-- lifeline_pbx/crypto.py (key id, nonce, ciphertext+tag), bound to their table, column
-- and row id. Plain columns hold only what is needed to count, sort and route without
-- identifying anyone.

CREATE TABLE users (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username             text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9_.-]{2,39}$'),
    display_name         text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    role                 text NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin')),
    password_hash        text NOT NULL,                 -- Argon2id, PHC string
    totp_secret          bytea,                         -- sealed; NULL = no second factor
    totp_last_step       bigint NOT NULL DEFAULT 0,     -- a code is accepted once
    operator_id          bigint UNIQUE REFERENCES operators (id) ON DELETE SET NULL,  -- SIP account
    enabled              boolean NOT NULL DEFAULT true,
    created_at           timestamptz NOT NULL DEFAULT now(),
    password_changed_at  timestamptz NOT NULL DEFAULT now()
);

-- Server-side sessions. The cookie holds a random token; only its SHA-256 is stored, so a
-- copy of this table does not let anyone in.
CREATE TABLE web_sessions (
    token_hash    bytea PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stage         text NOT NULL CHECK (stage IN ('second_factor', 'enrol', 'full')),
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

-- Failed and successful logins, for throttling per account and per address.
CREATE TABLE login_attempts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    username   text NOT NULL,
    address    text NOT NULL,
    succeeded  boolean NOT NULL
);
CREATE INDEX login_attempts_username ON login_attempts (username, at);
CREATE INDEX login_attempts_address ON login_attempts (address, at);

-- Partners a caller may consent to share a report with (legal aid, medical experts...).
CREATE TABLE partners (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name     text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    kind     text NOT NULL DEFAULT 'other' CHECK (kind IN ('legal', 'medical', 'family', 'press', 'oversight', 'other')),
    enabled  boolean NOT NULL DEFAULT true
);

-- The taxonomy of conditions and abuse (DOMAIN.md); admins can add categories.
CREATE TABLE report_categories (
    code      text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    label     text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    position  integer NOT NULL DEFAULT 100,
    enabled   boolean NOT NULL DEFAULT true
);
INSERT INTO report_categories (code, label, position) VALUES
    ('medical_neglect', 'Medical neglect or denial of care', 1),
    ('mental_health', 'Mental health', 2),
    ('disability', 'Disability accommodation', 3),
    ('use_of_force', 'Use of force / physical abuse', 4),
    ('sexual_abuse', 'Sexual abuse or harassment', 5),
    ('solitary', 'Solitary confinement / segregation', 6),
    ('retaliation', 'Retaliation', 7),
    ('hunger_strike', 'Hunger strike', 8),
    ('food_water', 'Food and water', 9),
    ('sanitation', 'Sanitation and hygiene', 10),
    ('disease_outbreak', 'Disease outbreak', 11),
    ('temperature_overcrowding', 'Temperature and overcrowding', 12),
    ('access_to_counsel', 'Access to counsel, interpretation and legal materials', 13),
    ('religious_practice', 'Religious practice', 14),
    ('family_separation', 'Family separation', 15),
    ('forced_labour', 'Forced or underpaid labour', 16),
    ('lost_property', 'Lost property', 17),
    ('transfers', 'Transfers', 18),
    ('death_in_custody', 'Death in custody', 19);

-- The detained person, keyed by A-number. a_number_key is an HMAC of the normalised
-- A-number under the lookup key: equal A-numbers find each other, and nobody without
-- the key can test a guess against the table.
CREATE TABLE persons (
    id             uuid PRIMARY KEY,
    a_number_key   bytea NOT NULL UNIQUE,
    a_number       bytea NOT NULL,         -- sealed
    names          bytea NOT NULL,         -- sealed: JSON list of names and spellings
    date_of_birth  bytea,                  -- sealed
    country        text NOT NULL DEFAULT '',
    languages      text[] NOT NULL DEFAULT '{}',
    facility_id    bigint REFERENCES facilities (id),
    merged_into    uuid REFERENCES persons (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Where a person has been held: a new row on each transfer the operator learns of.
CREATE TABLE person_facilities (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id    uuid NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    facility_id  bigint NOT NULL REFERENCES facilities (id),
    noted_at     timestamptz NOT NULL DEFAULT now(),
    noted_by     bigint REFERENCES users (id)
);
CREATE INDEX person_facilities_person ON person_facilities (person_id, noted_at);

-- What an operator took down during or after a call.
CREATE TABLE intakes (
    id              uuid PRIMARY KEY,
    call_id         uuid REFERENCES calls (id),
    person_id       uuid REFERENCES persons (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    facility_id     bigint REFERENCES facilities (id),
    language        text NOT NULL DEFAULT '',
    triage          integer NOT NULL DEFAULT 0 CHECK (triage BETWEEN 0 AND 3),
    outcome         text NOT NULL CHECK (outcome IN ('intake', 'silent', 'hung_up', 'wrong_number', 'test_call')),
    needs           text[] NOT NULL DEFAULT '{}' CHECK (needs <@ ARRAY['legal', 'medical', 'family', 'other']),
    needs_note      bytea,                 -- sealed
    family_contact  bytea,                 -- sealed: JSON {name, phone, relation, message}
    family_consent  boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX intakes_one_per_call ON intakes (call_id, user_id) WHERE call_id IS NOT NULL;
CREATE INDEX intakes_person ON intakes (person_id, created_at);

CREATE TABLE reports (
    id             uuid PRIMARY KEY,
    intake_id      uuid REFERENCES intakes (id),
    person_id      uuid REFERENCES persons (id),
    facility_id    bigint NOT NULL REFERENCES facilities (id),
    category       text NOT NULL REFERENCES report_categories (code),
    severity       text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    occurred_from  date,
    occurred_to    date CHECK (occurred_to IS NULL OR occurred_to >= occurred_from),
    affected       text NOT NULL CHECK (affected IN ('person', 'group')),
    housing_unit   text NOT NULL DEFAULT '' CHECK (length(housing_unit) <= 100),
    narrative      bytea NOT NULL,         -- sealed
    created_by     bigint NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reports_facility ON reports (facility_id, created_at);
CREATE INDEX reports_person ON reports (person_id);

CREATE TABLE report_consents (
    report_id   uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    partner_id  bigint NOT NULL REFERENCES partners (id),
    PRIMARY KEY (report_id, partner_id)
);

CREATE TABLE follow_ups (
    id           uuid PRIMARY KEY,
    person_id    uuid REFERENCES persons (id),
    report_id    uuid REFERENCES reports (id),
    intake_id    uuid REFERENCES intakes (id),
    what         bytea NOT NULL,           -- sealed
    assignee_id  bigint REFERENCES users (id),
    due_on       date,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    created_by   bigint NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    closed_at    timestamptz
);
CREATE INDEX follow_ups_open ON follow_ups (assignee_id, due_on) WHERE status = 'open';

-- Work in progress, saved as the operator types; one per user and call (or none).
CREATE TABLE drafts (
    id          uuid PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    call_id     uuid REFERENCES calls (id),
    body        bytea NOT NULL,            -- sealed: the form's fields as JSON
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX drafts_user_call ON drafts (user_id, call_id) NULLS NOT DISTINCT;

-- Who viewed or changed which record, and which fields; never the values.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    user_id    bigint REFERENCES users (id),
    action     text NOT NULL CHECK (action IN ('view', 'create', 'update', 'merge', 'export', 'delete')),
    entity     text NOT NULL,
    entity_id  text NOT NULL,
    fields     text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, at);

-- Append-only: no role, the application's included, may change or remove an entry.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
