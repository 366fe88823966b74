-- Emergency escalation and outbound legs (issue 14, points 2 and 5).
--
-- line_oncall: who is rung, in order, when a caller who pressed the emergency key finds no
-- operator ready (lifeline_pbx/escalation/). Each entry is an operator's SIP account or an
-- outside number (E.164) rung through the outbound trunk, for ring_seconds.
CREATE TABLE line_oncall (
    line_id       bigint NOT NULL REFERENCES lines (id) ON DELETE CASCADE,
    position      integer NOT NULL CHECK (position BETWEEN 1 AND 20),
    operator_id   bigint REFERENCES operators (id) ON DELETE CASCADE,
    number        text CHECK (number ~ '^\+[1-9][0-9]{6,14}$'),
    ring_seconds  integer NOT NULL CHECK (ring_seconds BETWEEN 5 AND 120),
    PRIMARY KEY (line_id, position),
    CHECK (num_nonnulls(operator_id, number) = 1)
);

-- An emergency caller waits in the queue at most this long before the on-call list is
-- rung (NULL: only when nobody is logged in, the line is closed, or the queue gives up).
ALTER TABLE lines ADD COLUMN emergency_wait_seconds integer
    CHECK (emergency_wait_seconds BETWEEN 5 AND 600);

-- Nobody on the list accepted: the caller's emergency voicemail says so.
ALTER TABLE voicemails DROP CONSTRAINT voicemails_reason_check;
ALTER TABLE voicemails ADD CONSTRAINT voicemails_reason_check
    CHECK (reason IN ('closed', 'no_operators', 'max_wait', 'error', 'oncall_unanswered'));

-- Every outbound leg the PBX places (lifeline_pbx/outbound/legs.py), or refused to place:
-- who asked (an operator, or the engine for a line's on-call list), when, the number
-- sealed (place outbound_legs.number.<id>), and how it ended. Its count over the last hour
-- is what the toll-fraud guard's limits read.
CREATE TABLE outbound_legs (
    id                uuid PRIMARY KEY,
    call_id           uuid REFERENCES calls (id) ON DELETE SET NULL,
    purpose           text NOT NULL CHECK (purpose IN ('oncall', 'transfer', 'conference',
                                                       'callback')),
    requested_by      bigint REFERENCES operators (id) ON DELETE SET NULL,  -- NULL: the engine
    target_operator   bigint REFERENCES operators (id) ON DELETE SET NULL,  -- a SIP leg
    number            bytea,           -- sealed E.164; NULL for a SIP leg
    through_trunk     boolean NOT NULL,
    refusal           text,            -- the guard's reason; NULL when placed
    created_at        timestamptz NOT NULL DEFAULT now(),
    answered_at       timestamptz,
    ended_at          timestamptz,
    duration_seconds  integer,         -- answered to ended
    outcome           text CHECK (outcome IN ('accepted', 'declined', 'no_answer', 'failed',
                                              'refused', 'cancelled', 'ended'))
);
CREATE INDEX outbound_legs_recent ON outbound_legs (created_at) WHERE through_trunk
    AND refusal IS NULL;
CREATE INDEX outbound_legs_call ON outbound_legs (call_id);
