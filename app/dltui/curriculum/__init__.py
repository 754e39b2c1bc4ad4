"""Curriculum content: domains, topics, Socratic questions and quiz cards loaded from files."""

from dltui.curriculum.loader import Problem, check_curriculum, load_curriculum
from dltui.curriculum.model import Card, CardKind, Curriculum, Domain, QuestionKind, SocraticQuestion, Source, Topic

__all__ = [
    "Card",
    "CardKind",
    "Curriculum",
    "Domain",
    "Problem",
    "QuestionKind",
    "SocraticQuestion",
    "Source",
    "Topic",
    "check_curriculum",
    "load_curriculum",
]
