"""Alerts for the coordinators: spike rules over reports, new voicemails pushed to the
supervisors' screens, and emails (the rules and their decision: spike_rules.py; SQL:
store.py and mail_store.py; evaluating the rules: evaluate.py; the emails: mail.py and
outbox.py; the supervisors' live feed: feed.py; what wakes them all: watch.py)."""
