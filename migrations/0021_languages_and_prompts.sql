-- Languages and recorded prompts, kept in the database (they were code: prompts.LANGUAGES,
-- cases/forms.py CALLER_LANGUAGES, prompts/<code>.toml).
--
-- A language has a name (as staff read it) and the label of its menu entry: the text of
-- the prompt that says "For Spanish, press 2" in that language. `synthesised` says that
-- the app ships the texts and a voice for it (prompts/<code>.toml): every prompt exists
-- as a synthesised file. Any other language is heard only through recordings.
CREATE TABLE languages (
    code         text PRIMARY KEY CHECK (code ~ '^[a-z]{2,3}(-[a-z0-9]{2,8})?$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    menu_label   text NOT NULL DEFAULT '' CHECK (length(menu_label) <= 200),
    synthesised  boolean NOT NULL DEFAULT false,
    position     integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX languages_name ON languages (lower(name));

-- The languages of the intake form (cases/forms.py) and of the IVR (prompts/*.toml), as
-- they were, in the same order.
INSERT INTO languages (code, name, menu_label, synthesised, position) VALUES
    ('es', 'Spanish', 'Para español, oprima {digit}.', true, 1),
    ('en', 'English', 'For English, press {digit}.', true, 2),
    ('ht', 'Haitian Creole', 'Pou Kreyòl, peze {digit}.', true, 3),
    ('fr', 'French', 'Pour le français, appuyez sur {digit}.', true, 4),
    ('pt', 'Portuguese', 'Para português, digite {digit}.', true, 5),
    ('cmn', 'Mandarin', '普通话，请按 {digit}。', true, 6),
    ('pa', 'Punjabi', '', false, 7),
    ('hi', 'Hindi', '', false, 8),
    ('ru', 'Russian', '', false, 9),
    ('ar', 'Arabic', '', false, 10),
    ('ro', 'Romanian', '', false, 11),
    ('quc', 'K''iche''', '', false, 12),
    ('mam', 'Mam', '', false, 13),
    ('kjb', 'Q''anjob''al', '', false, 14);
-- A code already on a line's menu that the lists above lack (put there with SQL) is kept.
INSERT INTO languages (code, name, position)
    SELECT DISTINCT ll.language, ll.language, 100 FROM line_languages ll
    WHERE ll.language ~ '^[a-z]{2,3}(-[a-z0-9]{2,8})?$'
ON CONFLICT DO NOTHING;

-- A prompt recorded for one language (uploaded, or recorded by phone). It replaces the
-- synthesised file of the same name; the app writes `audio` where Asterisk plays it, and
-- writes it again whenever the file is missing (a new volume, a restore).
CREATE TABLE prompt_recordings (
    language         text NOT NULL REFERENCES languages (code),
    name             text NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{0,39}$'),
    audio            bytea NOT NULL,          -- 8 kHz mono 16-bit WAV, as played
    original         bytea NOT NULL,          -- what was sent, kept as a backup
    original_format  text NOT NULL CHECK (original_format IN ('wav', 'mp3', 'ogg', 'm4a')),
    duration_ms      integer NOT NULL CHECK (duration_ms > 0),
    source           text NOT NULL CHECK (source IN ('upload', 'phone')),
    recorded_by      bigint REFERENCES users (id),
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (language, name)
);

-- An admin asked to record a prompt from their phone: the next feature-code call from
-- that phone (the operator account linked to the admin) records it. One at a time per phone.
CREATE TABLE prompt_phone_requests (
    operator_id  bigint PRIMARY KEY REFERENCES operators (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id),
    language     text NOT NULL REFERENCES languages (code),
    name         text NOT NULL,
    expires_at   timestamptz NOT NULL
);

-- What a caller who picks a language on a line's menu hears in that language: every prompt
-- without a number, the menu entry for its digit and the triage question for the line's
-- triage digit. (Numbered queue announcements fall back to the line's default language.)
-- Keep in step with lifeline_pbx/prompts/coverage.py (tests/test_prompt_coverage.py checks).
CREATE FUNCTION prompts_required(digit text, triage_digit text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['greeting', 'not-in-service', 'technical-difficulty', 'goodbye',
                 'invalid-choice', 'confidentiality', 'recording-notice', 'please-hold',
                 'voicemail-closed', 'voicemail-busy', 'voicemail-thanks', 'accept-call',
                 'language-choice-' || digit, 'triage-' || triage_digit]
$$;

-- The required prompts a language lacks ('{}' for a synthesised language, whose files the
-- app makes itself).
CREATE FUNCTION prompts_missing(lang text, digit text, triage_digit text) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN coalesce((SELECT synthesised FROM languages WHERE code = lang), false)
                THEN '{}'::text[]
                ELSE coalesce(array_agg(n ORDER BY ord), '{}') END
    FROM unnest(prompts_required(digit, triage_digit)) WITH ORDINALITY AS r(n, ord)
    WHERE NOT EXISTS (SELECT 1 FROM prompt_recordings p WHERE p.language = lang AND p.name = n)
$$;

-- A language without its prompts cannot be put on a line's menu, whoever writes the row.
CREATE FUNCTION line_languages_need_prompts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM languages WHERE code = NEW.language) THEN
        RAISE EXCEPTION 'unknown language %', NEW.language
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'line_languages_language';
    END IF;
    missing := prompts_missing(NEW.language, NEW.digit,
                               (SELECT triage_digit FROM lines WHERE id = NEW.line_id));
    IF cardinality(missing) > 0 THEN
        RAISE EXCEPTION 'language % lacks prompts: %', NEW.language, array_to_string(missing, ', ')
            USING ERRCODE = 'check_violation', CONSTRAINT = 'line_languages_prompts';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER line_languages_prompts BEFORE INSERT OR UPDATE OF language, digit, line_id
    ON line_languages FOR EACH ROW EXECUTE FUNCTION line_languages_need_prompts();

-- A new triage digit needs its question in every language of the line's menu.
CREATE FUNCTION lines_triage_needs_prompts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry record;
BEGIN
    FOR entry IN SELECT language, digit FROM line_languages WHERE line_id = NEW.id LOOP
        IF cardinality(prompts_missing(entry.language, entry.digit, NEW.triage_digit)) > 0 THEN
            RAISE EXCEPTION 'language % lacks prompts: %', entry.language,
                array_to_string(prompts_missing(entry.language, entry.digit, NEW.triage_digit), ', ')
                USING ERRCODE = 'check_violation', CONSTRAINT = 'line_languages_prompts';
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$;
CREATE TRIGGER lines_triage_prompts BEFORE UPDATE OF triage_digit ON lines
    FOR EACH ROW WHEN (OLD.triage_digit IS DISTINCT FROM NEW.triage_digit)
    EXECUTE FUNCTION lines_triage_needs_prompts();

-- Nor can a recording be taken away while a line's menu needs it.
CREATE FUNCTION prompt_recordings_keep_needed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line_name text;
BEGIN
    SELECT l.name INTO line_name FROM line_languages ll JOIN lines l ON l.id = ll.line_id
    WHERE ll.language = OLD.language
      AND NOT coalesce((SELECT synthesised FROM languages WHERE code = OLD.language), false)
      AND OLD.name = ANY (prompts_required(ll.digit, l.triage_digit))
    LIMIT 1;
    IF line_name IS NOT NULL THEN
        RAISE EXCEPTION 'prompt %/% is needed by the menu of line %', OLD.language, OLD.name,
            line_name USING ERRCODE = 'check_violation', CONSTRAINT = 'prompt_recordings_needed';
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER prompt_recordings_needed BEFORE DELETE ON prompt_recordings
    FOR EACH ROW EXECUTE FUNCTION prompt_recordings_keep_needed();
