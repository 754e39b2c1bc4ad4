"""Notes for the learner: progress summary, session notes, the study tracker."""
