"""Automatic feedback for the notebooks' exercises, one module per notebook.

A checker takes the learner's answer and prints either an acceptance or a hint that
names the likely mistake; it returns ``True``/``False`` and never raises on a wrong or
missing answer, so a notebook always runs top to bottom. The shared voice (accepted / not yet /
not attempted) and the safe call of the learner's code live in :mod:`course_lib.checks.feedback`.
"""
