-- The shorter path to a person (issue 14): short notices (the full text on a key), and a
-- closed line that says so first, then when it opens again, then offers voicemail
-- (voicemail-closed now only says that the line is closed; voicemail-offer asks). The new
-- prompts without a number join what a language needs to sit on a line's menu.
-- Keep in step with lifeline_pbx/prompts/coverage.py (tests/test_prompt_coverage.py checks).
CREATE OR REPLACE FUNCTION prompts_required(digit text, triage_digit text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['greeting', 'not-in-service', 'technical-difficulty', 'goodbye',
                 'invalid-choice', 'confidentiality', 'recording-notice', 'please-hold',
                 'voicemail-closed', 'voicemail-busy', 'voicemail-thanks', 'accept-call',
                 'confidentiality-short', 'recording-short', 'voicemail-offer',
                 'language-choice-' || digit, 'triage-' || triage_digit]
$$;
