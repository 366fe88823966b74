"""The case record: people keyed by A-number, intakes, reports, follow-ups and drafts.

Pure parsing and validation (anumber.py, forms.py), SQL in one module per table group
(people, intakes, reports, followups, drafts), the unit of work that saves an intake
(person_work.py and the *_work.py modules), and the web views (views.py). Sensitive
columns are sealed with the KeyRing (lifeline_pbx/crypto.py); every view and change of a
person's record is audited.
"""
