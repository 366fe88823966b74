-- calls_started (started_at, id), from 0011, serves every read by start time that
-- calls_started_at (started_at), from 0001, served: the older index only cost upkeep on
-- each call row written (three or four a call: issue 11).
DROP INDEX calls_started_at;
