"""pytest's root configuration: what is never collected, however pytest is called.

``exercises/`` holds the notebooks as handed out to learners: their gaps fail
by design, so nbval must never run them, not even under ``pytest .``
(tests/exercises/ runs them on purpose and checks that they fail).
"""

collect_ignore = ["exercises"]
