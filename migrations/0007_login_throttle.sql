-- Login throttling that holds under concurrency (docs/decisions.md, "Login throttling").
--
-- login_counters: consecutive failures per account, per client address and per known
-- device. A sign-in attempt locks its rows, decides, and counts itself as a failure
-- before the password hash runs; a right answer takes its count back afterwards.
CREATE TABLE login_counters (
    kind             text NOT NULL CHECK (kind IN ('account', 'address', 'device')),
    key              text NOT NULL,      -- username, address (IPv6: its /64), device id
    failures         integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_attempt_at  timestamptz,        -- the last attempt let through to be checked
    PRIMARY KEY (kind, key)
);

-- Browsers a user has fully signed in from (password and, if they have one, the code).
-- The cookie holds a random token; only its SHA-256 is kept here.
CREATE TABLE known_devices (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX known_devices_user ON known_devices (user_id);

-- Every attempt is kept as evidence (swept after 30 days), with what became of it:
-- checking (let through, being checked now), failed, passed (right password, code to
-- come), succeeded (fully signed in), held (refused by the throttle, never checked).
ALTER TABLE login_attempts
    ADD COLUMN outcome text NOT NULL DEFAULT 'failed'
        CHECK (outcome IN ('checking', 'failed', 'passed', 'succeeded', 'held')),
    ADD COLUMN step text NOT NULL DEFAULT 'password' CHECK (step IN ('password', 'code')),
    ADD COLUMN known_device boolean NOT NULL DEFAULT false;
UPDATE login_attempts SET outcome = 'succeeded' WHERE succeeded;
ALTER TABLE login_attempts
    DROP COLUMN succeeded,
    ALTER COLUMN outcome DROP DEFAULT,
    ALTER COLUMN step DROP DEFAULT;
