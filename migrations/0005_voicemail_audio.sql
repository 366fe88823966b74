-- Voicemail audio, sealed at rest (lifeline_pbx/voicemail/vault.py moves it off the PBX).
--
-- One row per voicemail once the vault has dealt with it:
--   bytes > 0: audio holds the WAV sealed with KeyRing.seal_bytes at
--              place('voicemail_audio', 'audio', voicemail_id);
--   bytes = 0: Asterisk did not have the recording (404 after a grace period); audio is
--              empty and the vault does not ask again. The review page says so.
-- removed_at is when the recording was deleted from Asterisk (or found already gone);
-- until then the vault keeps trying, so no plaintext voice stays on the PBX disk.
CREATE TABLE voicemail_audio (
    voicemail_id  uuid PRIMARY KEY REFERENCES voicemails (id),
    audio         bytea NOT NULL,
    bytes         integer NOT NULL CHECK (bytes >= 0),
    stored_at     timestamptz NOT NULL DEFAULT now(),
    removed_at    timestamptz,
    CHECK ((bytes = 0) = (length(audio) = 0))
);
CREATE INDEX voicemail_audio_on_pbx ON voicemail_audio (stored_at) WHERE removed_at IS NULL;
CREATE INDEX voicemails_created ON voicemails (created_at);
