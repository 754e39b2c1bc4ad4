"""Independent computations of numeric quiz-card answers, one module per domain.

Each module ``domain_<letter>.py`` defines
  ANSWERS: dict[card_id, Callable[[], float]]   -- computes the answer from first principles (NumPy)
  NOT_COMPUTABLE: dict[card_id, str]            -- numeric cards that are facts, not arithmetic, with why
"""
