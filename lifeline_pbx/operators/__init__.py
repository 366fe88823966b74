"""Operators' SIP accounts: rows in PostgreSQL (store), pushed into Asterisk (sip_sync)."""
