"""Voicemail after the call: the vault that seals the audio and takes it off the PBX
(vault.py), its SQL (store.py), and the supervisors' review pages (views.py)."""
