"""Admin pages: web users, the report taxonomy and partners.

Pure form parsing (forms.py), SQL for categories and partners (categories.py,
partners.py; users' SQL is in accounts/users.py), units of work with their audit entries
(changes.py), and the web views (views.py for users and the wiring, reference_views.py for
categories and partners). Every route needs the admin role.
"""
