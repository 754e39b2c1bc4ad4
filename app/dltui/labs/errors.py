"""The error every way of starting something in Labs raises when it cannot (a run, a grader, an
editor): its message says why and what to do, and the UI and the CLI show it as it is."""

from __future__ import annotations


class LabStartError(RuntimeError):
    """A run could not start; the message says why and what to do."""
