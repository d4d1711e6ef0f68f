"""The build: the learner writes minigrad's core, piece by piece (see coursekit/BUILD.md)."""
