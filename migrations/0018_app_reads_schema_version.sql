-- The app's role may read which migrations were applied (never change them), so that
-- `lifeline doctor`, which runs with the app's login, can tell a schema left behind by an
-- upgrade that skipped `lifeline migrate`.
GRANT SELECT ON public.schema_migrations TO lifeline_app;
