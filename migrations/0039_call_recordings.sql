-- Call recordings, sealed at rest like voicemail audio (0005). A line that records its
-- calls has Asterisk write each bridging's conversation to the PBX's disk as plain WAV;
-- until now the file stayed there for ever, unlisted, outside retention.
--
-- One row per recording, made by the call-record writer in the batch that writes the
-- call's `recorded` timeline event (calls/records.py). The vault
-- (recordings/vault.py) then:
--   stored_at:  fetched the WAV over ARI and sealed it into audio (KeyRing.seal_bytes at
--               place('call_recordings', 'audio', id)); bytes = its length, 0 when
--               Asterisk did not have it (after a grace period; audio stays NULL);
--   removed_at: deleted it from the PBX (or found it already gone). Until then a call's
--               row is not removed by retention: the vault would lose track of the file.
-- expired_at: retention took the audio away (audio NULL again); the row stays, so the
-- call's page says the recording existed and why it cannot be heard.
CREATE TABLE call_recordings (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE,  -- Asterisk's recording name: the call bridge's id
    call_id     uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    started_at  timestamptz NOT NULL,
    audio       bytea,
    bytes       integer CHECK (bytes >= 0),
    seconds     integer CHECK (seconds >= 0),
    stored_at   timestamptz,
    removed_at  timestamptz,
    expired_at  timestamptz,
    CHECK ((stored_at IS NULL) = (bytes IS NULL)),
    CHECK (audio IS NULL OR (expired_at IS NULL AND length(audio) > 0 AND bytes > 0))
);
CREATE INDEX call_recordings_on_pbx ON call_recordings (started_at) WHERE removed_at IS NULL;
CREATE INDEX call_recordings_call ON call_recordings (call_id);
CREATE INDEX call_recordings_started ON call_recordings (started_at) WHERE audio IS NOT NULL;

-- Recordings made before this migration: each named on its call's timeline (since the
-- `recorded` event) or, older, only in calls.recording. The vault fetches them from the
-- PBX, or marks them missing once their grace period has passed.
INSERT INTO call_recordings (name, call_id, started_at)
SELECT DISTINCT ON (e.detail->>'name') e.detail->>'name', e.call_id, e.at
  FROM call_events e
 WHERE e.kind = 'recorded' AND coalesce(e.detail->>'name', '') <> ''
 ORDER BY e.detail->>'name', e.at
    ON CONFLICT (name) DO NOTHING;
INSERT INTO call_recordings (name, call_id, started_at)
SELECT c.recording, c.id, coalesce(c.connected_at, c.started_at)
  FROM calls c
 WHERE coalesce(c.recording, '') <> ''
    ON CONFLICT (name) DO NOTHING;

-- A message is saved once per recording: the call-record writer and the vault's adoption
-- of a message with no row look a recording's name up before they save it.
CREATE INDEX voicemails_recording ON voicemails (recording);
