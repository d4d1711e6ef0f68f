"""The differential fuzzer: random programs run on PyTorch and minigrad, compared step by step.

``python -m tests.fuzz --help`` (from the repository root) runs it by hand;
``test_fuzz.py`` runs it in the test suite. FINDINGS.md lists what it found.
"""
