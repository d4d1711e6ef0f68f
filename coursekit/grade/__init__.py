"""The instructor's grader: ``python -m coursekit.grade CHAPTER SUBMISSIONS --out DIR``.

Modules, in the order a submission meets them: ``cli`` (the command,
resuming, the reports), ``submissions`` (reading a folder or a zip, naming
learners), ``plan`` (what the solutions notebook says to grade),
``workers`` and ``worker`` (the processes that grade, side by side),
``runner`` (run the cells, probe, judge; who pays for a crash or a
timeout), ``tamper`` (learner code that reaches into the grading), ``wire`` (the probe's round trip, read as untrusted data),
``kernel``, ``clock`` and ``turns`` (the learner's kernel, its time, and
cells that must run alone), ``world`` and ``sandbox`` (the kernel's world
and its walls), ``report`` (gradebook, feedback, summary).  See
coursekit/README.md.
"""
