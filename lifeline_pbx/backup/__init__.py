"""`lifeline backup` and `lifeline restore`: one consistent dump of the database (every
table, the sealed voicemail audio among them) with a manifest, and its restore into an
empty database on any PostgreSQL server. The keys are never in a backup."""
