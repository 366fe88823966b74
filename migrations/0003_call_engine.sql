-- The call engine: queues, IVR and policy per line, opening hours, operator state,
-- voicemail, and queue events for statistics.

CREATE TABLE queues (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                    text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    language_wait_seconds   integer NOT NULL DEFAULT 30 CHECK (language_wait_seconds >= 0),
    ring_timeout_seconds    integer NOT NULL DEFAULT 20 CHECK (ring_timeout_seconds BETWEEN 5 AND 120),
    max_missed              integer NOT NULL DEFAULT 3 CHECK (max_missed >= 1),
    wrapup_seconds          integer NOT NULL DEFAULT 30 CHECK (wrapup_seconds >= 0),
    max_wait_seconds        integer NOT NULL DEFAULT 600 CHECK (max_wait_seconds > 0),
    announce_every_seconds  integer NOT NULL DEFAULT 45 CHECK (announce_every_seconds >= 10)
);

ALTER TABLE lines
    ADD COLUMN queue_id               bigint REFERENCES queues (id),
    ADD COLUMN triage_digit           text NOT NULL DEFAULT '9' CHECK (triage_digit ~ '^[0-9*#]$'),
    ADD COLUMN menu_timeout_seconds   integer NOT NULL DEFAULT 5 CHECK (menu_timeout_seconds BETWEEN 1 AND 30),
    ADD COLUMN record_calls           boolean NOT NULL DEFAULT false,
    ADD COLUMN transfer_allowed       boolean NOT NULL DEFAULT false,
    ADD COLUMN call_limit_seconds     integer NOT NULL DEFAULT 900 CHECK (call_limit_seconds >= 60),
    ADD COLUMN limit_warning_seconds  integer NOT NULL DEFAULT 120 CHECK (limit_warning_seconds >= 0),
    ADD COLUMN voicemail_max_seconds  integer NOT NULL DEFAULT 180 CHECK (voicemail_max_seconds BETWEEN 10 AND 600),
    ADD COLUMN timezone               text NOT NULL DEFAULT 'America/New_York',
    ADD COLUMN always_open            boolean NOT NULL DEFAULT true;

-- The languages a line's menu offers, in the order they are offered.
CREATE TABLE line_languages (
    line_id   bigint NOT NULL REFERENCES lines (id) ON DELETE CASCADE,
    position  integer NOT NULL,
    language  text NOT NULL,
    digit     text NOT NULL CHECK (digit ~ '^[0-9]$'),
    PRIMARY KEY (line_id, position),
    UNIQUE (line_id, digit),
    UNIQUE (line_id, language)
);

CREATE TABLE line_hours (
    line_id  bigint NOT NULL REFERENCES lines (id) ON DELETE CASCADE,
    weekday  integer NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    opens    time NOT NULL CHECK (opens < '24:00'),
    closes   time NOT NULL CHECK (closes < '24:00')  -- 00:00 closes at midnight
);

CREATE TABLE line_holidays (
    line_id  bigint NOT NULL REFERENCES lines (id) ON DELETE CASCADE,
    day      date NOT NULL,
    name     text NOT NULL DEFAULT '',
    PRIMARY KEY (line_id, day)
);

ALTER TABLE operators
    ADD COLUMN accept_by_key boolean NOT NULL DEFAULT false;

CREATE TABLE operator_queues (
    operator_id  bigint NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    queue_id     bigint NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    PRIMARY KEY (operator_id, queue_id)
);

-- What an operator is doing. Kept in the database, not in one process, so that a restart
-- (or a second node) sees the same state.
CREATE TABLE operator_status (
    operator_id    bigint PRIMARY KEY REFERENCES operators (id) ON DELETE CASCADE,
    logged_in      boolean NOT NULL DEFAULT false,
    paused         boolean NOT NULL DEFAULT false,
    pause_reason   text NOT NULL DEFAULT '',
    wrapup_until   timestamptz NOT NULL DEFAULT '-infinity',
    idle_since     timestamptz NOT NULL DEFAULT now(),
    missed_in_row  integer NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE calls
    ADD COLUMN language      text,
    ADD COLUMN priority      integer NOT NULL DEFAULT 0,
    ADD COLUMN queue_id      bigint REFERENCES queues (id),
    ADD COLUMN operator_id   bigint REFERENCES operators (id),
    ADD COLUMN queued_at     timestamptz,
    ADD COLUMN connected_at  timestamptz,
    ADD COLUMN recording     text;

CREATE TABLE voicemails (
    id                uuid PRIMARY KEY,
    call_id           uuid NOT NULL REFERENCES calls (id),
    line_id           bigint REFERENCES lines (id),
    facility_id       bigint REFERENCES facilities (id),
    language          text NOT NULL,
    priority          integer NOT NULL DEFAULT 0,
    reason            text NOT NULL CHECK (reason IN ('closed', 'no_operators', 'max_wait', 'error')),
    recording         text NOT NULL,
    duration_seconds  integer NOT NULL,
    created_at        timestamptz NOT NULL,
    reviewed_at       timestamptz
);
CREATE INDEX voicemails_unreviewed ON voicemails (created_at) WHERE reviewed_at IS NULL;

-- Queue statistics: one row per thing that happened in a queue.
CREATE TABLE queue_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL,
    queue_id      bigint REFERENCES queues (id),
    call_id       uuid REFERENCES calls (id),
    operator_id   bigint REFERENCES operators (id),
    kind          text NOT NULL CHECK (kind IN ('entered', 'connected', 'abandoned', 'timeout',
                      'voicemail', 'ring_no_answer', 'declined', 'pause', 'unpause',
                      'login', 'logout')),
    wait_seconds  double precision,
    detail        text NOT NULL DEFAULT ''
);
CREATE INDEX queue_events_at ON queue_events (queue_id, at);
