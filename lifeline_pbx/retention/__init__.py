"""Retention: how long each kind of record is kept, the job that removes what is due, and
legal holds (docs/decisions.md, "Retention")."""
