"""Abuse evidence for coordinators: reports by facility x category x month as a heat map
with trend lines, a facility's profile, excerpts released for advocacy, a printable
per-facility report, and a summary of every facility against the period before.

heatmap.py, months.py, printing.py and summary.py decide (no I/O), store.py,
summary_store.py and excerpt_store.py hold the SQL, work.py, summary_work.py and
excerpts.py are what the views call, views.py and excerpt_views.py answer the browser.
"""
