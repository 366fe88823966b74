-- Facilities, their lines (DIDs), operators' SIP accounts, and the record of every call.

CREATE TABLE facilities (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    city        text NOT NULL DEFAULT '',
    state       text NOT NULL DEFAULT '',
    contractor  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A line is a DID with its policy. The dialled number tells which facility calls.
CREATE TABLE lines (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    did               text NOT NULL UNIQUE CHECK (length(did) BETWEEN 1 AND 64),
    facility_id       bigint NOT NULL REFERENCES facilities (id),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    default_language  text NOT NULL DEFAULT 'en',
    enabled           boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- Operators' SIP accounts. Only the digest hash md5(user:realm:password) is kept,
-- which is all Asterisk needs to check a REGISTER.
CREATE TABLE operators (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    sip_username  text NOT NULL UNIQUE CHECK (sip_username ~ '^[a-z0-9][a-z0-9_.-]{2,39}$'),
    sip_md5_cred  text NOT NULL CHECK (sip_md5_cred ~ '^[0-9a-f]{32}$'),
    languages     text[] NOT NULL DEFAULT '{}',
    enabled       boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per inbound call. The id is made by the app so that writes can be queued
-- while the database is away. Text from the network is stored as received.
CREATE TABLE calls (
    id                 uuid PRIMARY KEY,
    channel_id         text NOT NULL,
    channel_name       text NOT NULL,
    did                text NOT NULL,
    line_id            bigint REFERENCES lines (id),
    facility_id        bigint REFERENCES facilities (id),
    caller_number      text NOT NULL,
    caller_name        text NOT NULL,
    started_at         timestamptz NOT NULL,
    answered_at        timestamptz,
    ended_at           timestamptz,
    hangup_by          text CHECK (hangup_by IN ('caller', 'system', 'operator')),
    disposition        text,
    hangup_cause       integer  -- Q.850: 16 normal clearing, 17 busy, 19 no answer, ...
);
CREATE INDEX calls_started_at ON calls (started_at);
CREATE INDEX calls_channel_id ON calls (channel_id);
CREATE INDEX calls_open ON calls (started_at) WHERE ended_at IS NULL;

-- The timeline of a call: what the caller chose, what was played, who hung up.
CREATE TABLE call_events (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id  uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    at       timestamptz NOT NULL,
    kind     text NOT NULL,
    detail   jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX call_events_call ON call_events (call_id, id);
