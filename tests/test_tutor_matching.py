"""The offline tutor's matcher: key points said under a negation do not count; questions are told from answers."""

from dltui.tutor.matching import covered_points, looks_like_question

SCALING = [
    "q·k sums d_k products, so its variance grows like d_k",
    "large scores saturate the softmax and give tiny gradients",
    "dividing by sqrt(d_k) makes the standard deviation about 1",
]


def test_a_negated_answer_is_not_counted_as_mostly_right():
    answer = (
        "q·k sums d_k products, but dividing by sqrt(d_k) does not change its variance, "
        "so large scores never saturate the softmax and give tiny gradients"
    )
    covered = covered_points(answer, SCALING)
    assert covered[1] is False  # "never saturate" is the opposite of the key point
    assert sum(covered) * 2 < len(covered)  # so the tutor does not call it mostly right


def test_the_same_words_without_the_negation_still_count():
    assert covered_points("large scores saturate the softmax and give tiny gradients", SCALING[1:2]) == [True]
    assert covered_points("large scores don't saturate the softmax or give tiny gradients", SCALING[1:2]) == [False]
    assert covered_points("I'm not sure, but large scores saturate the softmax and give tiny gradients", SCALING[1:2]) == [True]


def test_a_key_point_that_is_itself_negated_can_be_matched():
    point = ["the number of biases (C_out) does not change"]
    assert covered_points("the number of biases C_out does not change", point) == [True]


def test_numbers_with_decimals_survive_clause_splitting():
    assert covered_points("the weight is 0.731, not 0.5", ["the weight is 0.731"]) == [True]


def test_questions_are_told_from_answers():
    assert looks_like_question("what is the difference between Adam and SGD?")
    assert looks_like_question("Why does Adam divide by the square root of v")
    assert looks_like_question("can you explain bias correction")
    assert looks_like_question("explain bias correction")
    assert not looks_like_question("momentum averages the gradients so oscillations cancel")
    assert not looks_like_question("hint")
    assert not looks_like_question("when gradients are large the steps shrink")


def test_symbols_and_the_words_a_learner_types_for_them_match():
    # The curriculum writes "1/√B" and "η"; a learner types "1/sqrt(B)" and "eta".
    assert covered_points("its standard deviation falls like 1/sqrt(B)", ["the standard deviation falls like 1/√B"]) == [True]
    assert covered_points("a learning rate eta above 1 diverges", ["η above 1 diverges"]) == [True]
    assert covered_points("it falls like 1/B", ["the standard deviation falls like 1/√B"]) == [False]
