-- Relay calls (issue 14, point 4): where a line forbids three-way calls, the operator
-- calls the relative or lawyer separately (lifeline_pbx/transfers/). The outside leg of
-- such a call may be placed for a follow-up (contact the family, call the lawyer back):
-- it is linked here, and its outcome is written in that follow-up's thread.
ALTER TABLE outbound_legs ADD COLUMN follow_up_id uuid
    REFERENCES follow_ups (id) ON DELETE SET NULL;
CREATE INDEX outbound_legs_follow_up ON outbound_legs (follow_up_id)
    WHERE follow_up_id IS NOT NULL;
