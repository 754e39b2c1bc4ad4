"""dltui: a spaced-repetition deep-learning tutor for the terminal."""

__version__ = "0.1.0"
