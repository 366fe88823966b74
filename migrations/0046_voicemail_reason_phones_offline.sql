-- A caller sent to voicemail because the operators logged in to the queue all had their
-- phones offline (lifeline_pbx/queues/routing.nobody_to_ring): not "no operator was logged in".
ALTER TABLE voicemails DROP CONSTRAINT voicemails_reason_check;
ALTER TABLE voicemails ADD CONSTRAINT voicemails_reason_check
    CHECK (reason IN ('closed', 'no_operators', 'phones_offline', 'max_wait', 'error',
                      'oncall_unanswered'));
