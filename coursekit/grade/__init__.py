"""The instructor's grader: ``python -m coursekit.grade CHAPTER SUBMISSIONS --out DIR``.

Modules, in the order a submission meets them: ``cli`` (the command, the
worker pool, resuming), ``submissions`` (reading a folder or a zip),
``plan`` (what the solutions notebook says to grade), ``worker`` (one
process per submission), ``runner`` (run the cells, probe, judge),
``kernel`` and ``sandbox`` (the learner's kernel and its walls), ``report``
(gradebook, feedback, summary).  See coursekit/README.md.
"""
