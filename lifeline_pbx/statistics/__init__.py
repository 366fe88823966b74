"""Call statistics for supervisors: what the hotline received and how it was answered, per
line, facility, queue and language, and what each operator's time went to.

periods.py and figures.py decide (no I/O), store.py reads PostgreSQL, work.py is what the
views call, views.py and csv_tables.py answer the browser.
"""
