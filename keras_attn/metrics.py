"""Translation and alignment metrics: BLEU, exact match, token accuracy and AER.

Every function takes plain Python strings or index pairs (and numpy arrays for
attention maps), so the module never imports Keras or TensorFlow itself and can
score decoded output offline.

Texts are expected to be normalised by `keras_attn.tokenizers.normalize` already:
lowercase, punctuation split off as separate tokens, single spaces. The functions
only collapse runs of whitespace; they neither lowercase nor re-tokenize.
"""

import numpy as np
import sacrebleu


def _check_texts(name, texts):
    """Returns `texts` as a list of strings with whitespace collapsed."""
    # A bare string is iterable, so without this check it would be scored one
    # character per "sentence".
    if isinstance(texts, str) or not hasattr(texts, "__iter__"):
        raise TypeError(
            f"`{name}` must be a sequence of strings, one per sentence; "
            f"got {type(texts).__name__}."
        )
    texts = list(texts)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"`{name}[{index}]` must be a string; got {type(text).__name__}."
            )
    return [" ".join(text.split()) for text in texts]


def _check_pair(hypotheses, references, allow_empty=False):
    hypotheses = _check_texts("hypotheses", hypotheses)
    references = _check_texts("references", references)
    if len(hypotheses) != len(references):
        raise ValueError(
            "`hypotheses` and `references` must have the same length; got "
            f"len(hypotheses)={len(hypotheses)} and len(references)={len(references)}."
        )
    if not hypotheses and not allow_empty:
        raise ValueError("`hypotheses` and `references` are empty; nothing to score.")
    return hypotheses, references


def corpus_bleu(hypotheses, references):
    """Corpus-level BLEU (Papineni et al., 2002) computed by SacreBLEU.

    The texts are already normalised and split into tokens by single spaces, so
    SacreBLEU runs with `tokenize="none"`: n-grams are counted over exactly our
    tokens. The default "13a" tokenizer would split some tokens again (e.g. at
    hyphens), which would make the score depend on two tokenizers instead of one.
    Consequently the numbers are comparable between models of this project but not
    with published SacreBLEU scores, which use "13a" on detokenized text.

    The other settings are SacreBLEU's defaults (4-gram, "exp" smoothing, no
    lowercasing) except for `use_effective_order=True`: orders that never occur
    in the hypotheses (a corpus of sentences shorter than four tokens) are left
    out of the geometric mean instead of zeroing it. For any corpus with at least
    one 4-gram this changes nothing.

    Args:
        hypotheses: a sequence of strings, the system outputs.
        references: a sequence of strings, one reference per hypothesis.

    Returns:
        BLEU as a float in `[0, 100]`, rounded to 10 decimals; a perfect system
        scores exactly `100.0`.

    Raises:
        ValueError: if the sequences are empty or differ in length.
        TypeError: if either argument is a bare string or holds non-strings.

    Example:

    >>> corpus_bleu(["the cat sat on the mat ."], ["the cat sat on the mat ."])
    100.0
    """
    hypotheses, references = _check_pair(hypotheses, references)
    bleu = sacrebleu.metrics.BLEU(tokenize="none", lowercase=False, effective_order=True)
    score = bleu.corpus_score(hypotheses, [references]).score
    # SacreBLEU averages precisions through log/exp, which leaves noise in the last
    # bits (a perfect corpus scores 100.00000000000004); no real difference is
    # that small.
    return round(float(score), 10)


def exact_match(hypotheses, references):
    """Fraction of hypotheses equal to their reference, ignoring extra whitespace.

    Args:
        hypotheses: a sequence of strings.
        references: a sequence of strings, one per hypothesis.

    Returns:
        A float in `[0, 1]`.

    Raises:
        ValueError: if the sequences are empty or differ in length.
        TypeError: if either argument is a bare string or holds non-strings.

    Example:

    >>> exact_match(["a b", "c  d ", "e"], ["a b", "c d", "f"])
    0.6666666666666666
    """
    hypotheses, references = _check_pair(hypotheses, references)
    matches = sum(hyp == ref for hyp, ref in zip(hypotheses, references))
    return matches / len(hypotheses)


def token_accuracy(hypotheses, references):
    """Fraction of token positions where hypothesis and reference agree.

    Tokens are compared position by position. The denominator is the longer of
    the two lengths for each sentence, so both missing and extra tokens count as
    errors (a hypothesis that is a prefix of its reference does not get full
    marks, nor does one that appends junk).

    Args:
        hypotheses: a sequence of strings.
        references: a sequence of strings, one per hypothesis.

    Returns:
        A float in `[0, 1]`; `1.0` if every sentence pair is empty.

    Raises:
        ValueError: if the sequences are empty or differ in length.
        TypeError: if either argument is a bare string or holds non-strings.

    Example:

    >>> token_accuracy(["a b c"], ["a x c d"])  # 2 of max(3, 4) positions
    0.5
    """
    hypotheses, references = _check_pair(hypotheses, references)
    correct = total = 0
    for hyp, ref in zip(hypotheses, references):
        hyp_tokens, ref_tokens = hyp.split(), ref.split()
        correct += sum(h == r for h, r in zip(hyp_tokens, ref_tokens))
        total += max(len(hyp_tokens), len(ref_tokens))
    return correct / total if total else 1.0


def _check_alignments(name, alignments):
    """Returns `alignments` as a list of sets of `(int, int)` links."""
    if isinstance(alignments, (str, bytes)) or not hasattr(alignments, "__iter__"):
        raise TypeError(
            f"`{name}` must be a sequence with one iterable of "
            f"(target_index, source_index) pairs per sentence; got {type(alignments).__name__}."
        )
    sentences = []
    for index, sentence in enumerate(alignments):
        if not hasattr(sentence, "__iter__"):
            raise ValueError(
                f"`{name}[{index}]` must be an iterable of (target_index, source_index) "
                f"pairs; got {sentence!r}. For a single sentence, wrap its links in a list."
            )
        links = set()
        for link in sentence:
            if (
                not hasattr(link, "__len__")
                or len(link) != 2
                or not all(isinstance(i, (int, np.integer)) and i >= 0 for i in link)
            ):
                raise ValueError(
                    f"Every link in `{name}[{index}]` must be a (target_index, source_index) "
                    f"pair of non-negative integers; got {link!r}. For a single sentence, "
                    "wrap its links in a list."
                )
            links.add((int(link[0]), int(link[1])))
        sentences.append(links)
    return sentences


def alignment_error_rate(predicted, sure, possible=None):
    """Alignment error rate (Och & Ney, 2003) of a corpus.

        AER = 1 - (|A ∩ S| + |A ∩ P|) / (|A| + |S|)

    with A the predicted links, S the sure and P the possible gold links. The
    counts are summed over all sentences before dividing, so long sentences
    weigh more than short ones (the usual corpus-level definition).

    The definition requires S ⊆ P. Some gold standards list only the extra,
    possible-but-not-sure links under "possible", so sure links are always added
    to P here; passing P with or without S gives the same result.

    Args:
        predicted: a sequence with one iterable of `(target_index, source_index)`
            pairs per sentence.
        sure: the sure gold links, in the same format and sentence order.
        possible: the possible gold links in the same format, or `None` for
            P = S (gold data without a sure/possible distinction).

    Returns:
        A float in `[0, 1]`: `0.0` for a perfect alignment, `1.0` if no predicted
        link is even possible.

    Raises:
        ValueError: if the arguments have different numbers of sentences, a link
            is not a pair of non-negative integers, or there are neither predicted
            nor sure links (the rate is then undefined).

    Example:

    >>> alignment_error_rate([{(0, 0), (1, 2)}], sure=[{(0, 0), (1, 1)}])
    0.5
    """
    predicted = _check_alignments("predicted", predicted)
    sure = _check_alignments("sure", sure)
    possible = sure if possible is None else _check_alignments("possible", possible)
    if not len(predicted) == len(sure) == len(possible):
        raise ValueError(
            "`predicted`, `sure` and `possible` must hold the same number of sentences; "
            f"got len(predicted)={len(predicted)}, len(sure)={len(sure)} and "
            f"len(possible)={len(possible)}."
        )
    a_and_s = a_and_p = a_size = s_size = 0
    for a, s, p in zip(predicted, sure, possible):
        p = p | s
        a_and_s += len(a & s)
        a_and_p += len(a & p)
        a_size += len(a)
        s_size += len(s)
    if a_size + s_size == 0:
        raise ValueError(
            "`predicted` and `sure` contain no links at all, so the alignment error "
            "rate is undefined."
        )
    return 1.0 - (a_and_s + a_and_p) / (a_size + s_size)


def alignments_from_attention(weights, source_length=None, target_length=None):
    """Reads a hard alignment off an attention map: the argmax source per target.

    Every target position is linked to the source position it attends to most
    (ties go to the earliest source position). Padding is ignored by passing the
    true lengths: rows past `target_length` produce no link and columns past
    `source_length` are never chosen.

    Args:
        weights: `[target_length, source_length]` attention weights of one
            sentence, a numpy array or anything `np.asarray` accepts (e.g. a
            TensorFlow eager tensor).
        source_length: number of real (unpadded) source positions, or `None` for
            all columns.
        target_length: number of real target positions, or `None` for all rows.

    Returns:
        A set of `(target_index, source_index)` Python int pairs, the format of
        `alignment_error_rate`.

    Raises:
        ValueError: if `weights` is not 2-D or a length is out of range.

    Example:

    >>> import numpy as np
    >>> w = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.0, 0.0, 1.0]])
    >>> sorted(alignments_from_attention(w, source_length=2, target_length=2))
    [(0, 1), (1, 0)]
    """
    weights = np.asarray(weights)
    if weights.ndim != 2:
        raise ValueError(
            "`weights` must be a 2-D [target_length, source_length] attention map of "
            f"one sentence; got shape {weights.shape}."
        )
    rows, columns = weights.shape
    source_length = _check_length("source_length", source_length, columns, minimum=1)
    target_length = _check_length("target_length", target_length, rows, minimum=0)
    if target_length == 0:
        return set()
    best = np.argmax(weights[:target_length, :source_length], axis=-1)
    return {(t, int(s)) for t, s in enumerate(best)}


def _check_length(name, length, size, minimum):
    """Returns `length` (default `size`) after checking `minimum <= length <= size`."""
    if size < minimum:
        raise ValueError(
            f"`weights` has {size} positions along the `{name}` axis; need at least {minimum}."
        )
    if length is None:
        return size
    if (
        isinstance(length, bool)
        or not isinstance(length, (int, np.integer))
        or not minimum <= length <= size
    ):
        raise ValueError(
            f"`{name}` must be an integer in [{minimum}, {size}] (the size of that "
            f"axis of `weights`); got {length!r}."
        )
    return int(length)
