"""Tests for keras_attn.metrics.

Expected BLEU values are derived by hand from the definition
BLEU = BP · (p1 · p2 · p3 · p4)^(1/4) · 100 with BP = min(1, exp(1 - r/c)),
never by calling SacreBLEU in the test.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_attn.metrics import alignment_error_rate
from keras_attn.metrics import alignments_from_attention
from keras_attn.metrics import corpus_bleu
from keras_attn.metrics import exact_match
from keras_attn.metrics import token_accuracy

# --- corpus_bleu ---------------------------------------------------------------


def test_bleu_of_identical_corpus_is_exactly_100():
    corpus = ["나는 밥을 먹었다 .", "the cat sat on the mat .", "yes", "a b"]
    assert corpus_bleu(corpus, corpus) == 100.0


def test_bleu_of_identical_short_sentences_is_100():
    # No sentence has a 4-gram; without effective order the score would be 0.
    corpus = ["hi .", "go", "see you"]
    assert corpus_bleu(corpus, corpus) == 100.0


def test_bleu_brevity_penalty_of_a_prefix():
    # Every n-gram of a prefix occurs in the reference: p1..p4 = 1, so the score
    # is the brevity penalty alone, exp(1 - r/c) with r = 10, c = 8.
    reference = "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9"
    hypothesis = "w0 w1 w2 w3 w4 w5 w6 w7"
    expected = 100 * math.exp(1 - 10 / 8)
    assert corpus_bleu([hypothesis], [reference]) == pytest.approx(expected, abs=1e-9)


def test_bleu_brevity_penalty_uses_corpus_lengths():
    # Sentence 1 is perfect (6 tokens), sentence 2 a 2-token prefix of 4: c = 8,
    # r = 10. Matched n-grams: p1 = 8/8, p2 = 6/6, p3 = 4/4, p4 = 3/3 (the second
    # sentence has no 3- or 4-grams).
    hypotheses = ["a b c d e f", "g h"]
    references = ["a b c d e f", "g h i j"]
    expected = 100 * math.exp(1 - 10 / 8)
    assert corpus_bleu(hypotheses, references) == pytest.approx(expected, abs=1e-9)


def test_bleu_one_substitution_at_the_end():
    # "a b c d e x" vs "a b c d e f": p1 = 5/6, p2 = 4/5, p3 = 3/4, p4 = 2/3, so the
    # product is 1/3 and BP = 1.
    score = corpus_bleu(["a b c d e x"], ["a b c d e f"])
    assert score == pytest.approx(100 * (1 / 3) ** 0.25, abs=1e-9)


def test_bleu_longer_hypothesis_gets_no_bonus():
    # Two extra tokens: p1 = 6/8, p2 = 5/7, p3 = 4/6, p4 = 3/5, product 3/14; BP = 1.
    score = corpus_bleu(["a b c d e f g h"], ["a b c d e f"])
    assert score == pytest.approx(100 * (3 / 14) ** 0.25, abs=1e-9)


def test_bleu_splits_on_whitespace_only():
    # tokenize="none": "mat." is one token, not "mat" + ".", so nothing matches.
    assert corpus_bleu(["mat."], ["mat ."]) == 0.0
    # Runs of whitespace do not create tokens.
    assert corpus_bleu(["  the   cat sat down "], ["the cat sat down"]) == 100.0


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from("abcde"), max_size=7),
            st.lists(st.sampled_from("abcde"), min_size=1, max_size=7),
        ),
        min_size=1,
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_bleu_is_bounded_and_ignores_sentence_order(pairs, rng):
    hypotheses = [" ".join(h) for h, _ in pairs]
    references = [" ".join(r) for _, r in pairs]
    score = corpus_bleu(hypotheses, references)
    assert 0.0 <= score <= 100.0
    order = list(range(len(pairs)))
    rng.shuffle(order)
    shuffled = corpus_bleu([hypotheses[i] for i in order], [references[i] for i in order])
    assert shuffled == pytest.approx(score, abs=1e-9)


# --- exact_match and token_accuracy ------------------------------------------


def test_exact_match_counts_equal_strings():
    hypotheses = ["나는 밥을 먹었다 .", "a  b ", "a b c", ""]
    references = ["나는 밥을 먹었다 .", "a b", "a b d", ""]
    assert exact_match(hypotheses, references) == 0.75


def test_exact_match_is_case_and_punctuation_sensitive():
    # Normalisation is the data pipeline's job; the metric does not lowercase.
    assert exact_match(["The cat", "cat ."], ["the cat", "cat"]) == 0.0


def test_token_accuracy_counts_positions_over_the_longer_length():
    # Sentence 1: 2 of max(3, 4) positions; sentence 2: 2 of 2; sentence 3: 2 of 4.
    hypotheses = ["a b c", "x y", "a b c d"]
    references = ["a x c d", "x y", "a b"]
    assert token_accuracy(hypotheses, references) == pytest.approx(6 / 10)


def test_token_accuracy_of_empty_sentences_is_one():
    assert token_accuracy(["", " "], ["", ""]) == 1.0


@pytest.mark.parametrize("metric", [corpus_bleu, exact_match, token_accuracy])
def test_text_metrics_reject_bad_input(metric):
    with pytest.raises(ValueError, match=r"len\(hypotheses\)=2 and len\(references\)=1"):
        metric(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="empty"):
        metric([], [])
    with pytest.raises(TypeError, match="`hypotheses` must be a sequence of strings"):
        metric("a b", "a b")
    with pytest.raises(TypeError, match=r"`references\[1\]` must be a string"):
        metric(["a", "b"], ["a", ["b"]])


# --- alignment_error_rate ----------------------------------------------------

SURE = [{(0, 0), (1, 1), (2, 2)}]


def test_aer_of_the_sure_links_is_zero():
    assert alignment_error_rate(SURE, SURE) == 0.0
    assert alignment_error_rate([[(2, 2), (0, 0), (1, 1), (1, 1)]], SURE) == 0.0


def test_aer_of_disjoint_links_is_one():
    assert alignment_error_rate([{(0, 1), (1, 0)}], SURE) == 1.0


def test_aer_partial_with_possible_links():
    # A = {(0,0), (1,2), (2,3)}, S = {(0,0), (1,1), (2,2)}, P = S + {(2,3)}:
    # |A∩S| = 1, |A∩P| = 2, |A| = |S| = 3  ->  1 - 3/6.
    predicted = [{(0, 0), (1, 2), (2, 3)}]
    possible = [SURE[0] | {(2, 3)}]
    assert alignment_error_rate(predicted, SURE, possible) == pytest.approx(0.5)
    # Without possible links, (2, 3) is simply wrong: 1 - 2/6.
    assert alignment_error_rate(predicted, SURE) == pytest.approx(2 / 3)


def test_aer_adds_sure_links_to_possible():
    # Gold data that lists only the possible-but-not-sure links gives the same AER
    # as data with S ⊆ P spelled out.
    predicted = [{(0, 0), (1, 2), (2, 3)}]
    only_extra = alignment_error_rate(predicted, SURE, [{(2, 3)}])
    spelled_out = alignment_error_rate(predicted, SURE, [SURE[0] | {(2, 3)}])
    assert only_extra == spelled_out == pytest.approx(0.5)


def test_aer_possible_only_prediction_is_not_free():
    # A = P-only link, S = {(0, 0)}: |A∩S| = 0, |A∩P| = 1, |A| + |S| = 2.
    assert alignment_error_rate([{(1, 1)}], [{(0, 0)}], [{(1, 1)}]) == pytest.approx(0.5)


def test_aer_sums_counts_over_the_corpus():
    # Sentence 1 perfect (3 links), sentence 2 wrong (1 link each): corpus counts
    # give 1 - (3 + 3)/(4 + 4) = 0.25, while the mean of sentence AERs would be 0.5.
    predicted = [SURE[0], {(0, 1)}]
    sure = [SURE[0], {(0, 0)}]
    assert alignment_error_rate(predicted, sure) == pytest.approx(0.25)


def test_aer_accepts_numpy_integers_and_empty_sentences():
    predicted = [{(np.int64(0), np.int32(0))}, set()]
    assert alignment_error_rate(predicted, [{(0, 0)}, set()]) == 0.0


def test_aer_rejects_bad_input():
    with pytest.raises(ValueError, match=r"len\(predicted\)=2, len\(sure\)=1"):
        alignment_error_rate([set(), set()], SURE)
    with pytest.raises(ValueError, match=r"len\(possible\)=2"):
        alignment_error_rate(SURE, SURE, [set(), set()])
    with pytest.raises(ValueError, match="wrap its links in a list"):
        alignment_error_rate({(0, 0), (1, 1)}, SURE)  # one sentence, not wrapped
    with pytest.raises(ValueError, match=r"`sure\[0\]`"):
        alignment_error_rate(SURE, [{(0, 0, 1)}])
    with pytest.raises(ValueError, match=r"`predicted\[0\]`"):
        alignment_error_rate([{(-1, 0)}], SURE)
    with pytest.raises(ValueError, match="undefined"):
        alignment_error_rate([set()], [set()])
    with pytest.raises(TypeError, match="`predicted`"):
        alignment_error_rate("0-0", SURE)


# --- alignments_from_attention -----------------------------------------------


def test_alignments_from_attention_takes_row_argmax_within_lengths():
    weights = np.array(
        [
            [0.1, 0.7, 0.1, 0.1, 0.0],
            [0.2, 0.1, 0.3, 0.0, 0.4],  # the max is padding: column 2 wins
            [0.6, 0.1, 0.1, 0.2, 0.0],
            [0.0, 0.0, 0.0, 0.0, 1.0],  # a padding row: no link
        ]
    )
    links = alignments_from_attention(weights, source_length=3, target_length=3)
    assert links == {(0, 1), (1, 2), (2, 0)}
    assert all(type(t) is int and type(s) is int for t, s in links)
    assert alignments_from_attention(weights) == {(0, 1), (1, 4), (2, 0), (3, 4)}


def test_alignments_from_attention_breaks_ties_to_the_left():
    assert alignments_from_attention([[0.5, 0.5], [0.0, 1.0]]) == {(0, 0), (1, 1)}


def test_alignments_from_attention_round_trips_through_aer():
    permutation = [2, 0, 3, 1]
    # Target t attends mostly to source permutation[t], a little to the rest.
    noise = np.random.default_rng(0).uniform(0.0, 0.4, (4, 4))
    weights = np.eye(4)[permutation] + noise
    links = alignments_from_attention(weights)
    assert links == {(t, s) for t, s in enumerate(permutation)}
    assert alignment_error_rate([links], [links]) == 0.0


def test_alignments_from_attention_with_no_target_rows():
    assert alignments_from_attention(np.ones((3, 2)), target_length=0) == set()


@pytest.mark.parametrize(
    "weights, kwargs, message",
    [
        (np.ones(3), {}, "2-D"),
        (np.ones((1, 2, 3)), {}, "2-D"),
        (np.ones((2, 3)), {"source_length": 0}, r"`source_length` must be an integer in \[1, 3\]"),
        (np.ones((2, 3)), {"source_length": 4}, "source_length"),
        (np.ones((2, 3)), {"target_length": 3}, r"`target_length` must be an integer in \[0, 2\]"),
        (np.ones((2, 3)), {"target_length": 1.5}, "target_length"),
        (np.ones((2, 0)), {}, "source_length"),
    ],
)
def test_alignments_from_attention_rejects_bad_input(weights, kwargs, message):
    with pytest.raises(ValueError, match=message):
        alignments_from_attention(weights, **kwargs)

