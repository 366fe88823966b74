"""Recorded voice off the PBX: the vault that seals recordings into the database and
deletes them from Asterisk (vault.py), the recorded calls' shelf in it and their SQL
(shelf.py), and listening to a recorded call from its page (views.py)."""
