"""The build: the learner's engine, piece by piece (coursekit/BUILD.md)."""

from .assemble import check_piece, setup

__all__ = ["check_piece", "setup"]
