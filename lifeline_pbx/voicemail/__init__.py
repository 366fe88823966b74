"""Voicemail after the call: its shelf in the vault that seals the audio and takes it off
the PBX (shelf.py, recordings/vault.py), its SQL (store.py), and the supervisors' review
pages (views.py)."""
