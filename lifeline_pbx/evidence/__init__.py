"""Abuse evidence for coordinators: reports by facility x category x month as a heat map
with trend lines, a facility's profile, excerpts released for advocacy, and a printable
per-facility report.

heatmap.py, months.py and printing.py decide (no I/O), store.py and excerpt_store.py hold
the SQL, work.py and excerpts.py are what the views call, views.py and excerpt_views.py
answer the browser.
"""
