"""The course's tooling: running, grading and exporting the notebooks; never imported by the ML library.

- ``runner``           execute the notebooks headlessly, the ``run-notebooks`` command
- ``grading``          grade one notebook: recognise it, run it with time limits, score its verdicts
- ``class_grading``    the ``grade`` command: one learner, or a class
- ``solved``           solved copies of the notebooks, the ``solve`` command
- ``exercise_table``   the exercises by notebook and kind, the ``exercises`` command
- ``nbgrader_export``  the notebooks as an nbgrader course, the ``export-nbgrader`` command

What a learner's kernel imports stays outside: the exercises' feedback (:mod:`course_lib.checks`)
and what an exercise cell is made of (:mod:`course_lib.exercise_cells`, which ``ex.solution()`` reads).
"""
