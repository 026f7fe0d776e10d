"""Scoring a trained model: BLEU, exact match, and the alignment error rate of its attention.

Over a model and its tokenizers (`score_model`, `alignment_error_rate`; what the
experiments use) or over a `Translator` (`score_translator`; what `keras-attn
evaluate` uses). The metrics themselves are `keras_attn.metrics`.
"""

import numpy as np
import tensorflow as tf

from keras_attn import data
from keras_attn import decoding
from keras_attn import metrics
from keras_attn import tokenizers


def score_model(model, pairs, source_tokenizer, target_tokenizer, max_length=None, batch_size=256):
    """Greedy exact match and corpus BLEU of `model` on `(source, target)` string pairs.

    Args:
        model: a `keras_attn.models.GenerativeModel`.
        pairs: `(source, target)` strings (a list or a `tf.data.Dataset`).
        source_tokenizer, target_tokenizer: the model's tokenizers.
        max_length: generated tokens at most; by default twice the batch's source
            length plus 10.
        batch_size: sentences decoded at once.

    Returns:
        A dict: `exact_match`, `bleu` and `examples` (the first three
        `(hypothesis, reference)` pairs).
    """
    batches = data.make_dataset(pairs, source_tokenizer, target_tokenizer, batch_size=batch_size,
                                bucket_boundaries=None)
    hypotheses, references = [], []
    for inputs, target_out in batches:
        limit = max_length or 2 * int(inputs["source"].shape[1]) + 10
        # A tensor length: one trace serves every batch.
        result = decoding.generate(model, inputs["source"], tf.constant(limit, tf.int32))
        hypotheses += _texts(target_tokenizer.detokenize(result["tokens"]))
        references += _texts(target_tokenizer.detokenize(target_out))
    return {
        "exact_match": metrics.exact_match(hypotheses, references),
        "bleu": metrics.corpus_bleu(hypotheses, references),
        "examples": list(zip(hypotheses[:3], references[:3])),
    }


def alignment_error_rate(model, examples, source_tokenizer, target_tokenizer, batch_size=256):
    """AER of the teacher-forced attention's argmax against gold word alignments.

    Args:
        model: a `GenerativeModel` with attention.
        examples: `Example`s with `alignment` (e.g. `data.generate("ko-en", ...)`),
            whose gold links are over whitespace words.
        source_tokenizer, target_tokenizer: word tokenizers (one token per word, so
            the attention's axes are the alignment's).
        batch_size: sentences scored at once.

    Returns:
        The corpus alignment error rate (`metrics.alignment_error_rate`).
    """
    examples = list(examples)
    pairs = [(e.source, e.target) for e in examples]
    batches = data.make_dataset(pairs, source_tokenizer, target_tokenizer, batch_size=batch_size,
                                bucket_boundaries=None)
    predicted = []
    for inputs, target_out in batches:
        weights = decoding.teacher_forced_attention(model, inputs["source"], inputs["target_in"]).numpy()
        # Lengths without [END]: the gold links cover words only.
        source_lengths = (inputs["source"].numpy() != 0).sum(axis=1) - 1
        target_lengths = (target_out.numpy() != 0).sum(axis=1) - 1
        predicted += [
            metrics.alignments_from_attention(w, source_length=int(s), target_length=int(t))
            for w, s, t in zip(weights, source_lengths, target_lengths)
        ]
    return metrics.alignment_error_rate(predicted, sure=[e.alignment for e in examples])


def score_translator(translator, pairs, beam_size=None, alignments=None, progress=False):
    """BLEU and exact match of a `Translator` on `(source, target)` string pairs (+ AER).

    Args:
        translator: a `keras_attn.Translator`.
        pairs: a list of `(source, target)` strings.
        beam_size: beam width (`None`: the translator's setting).
        alignments: ko-en `Example`s with gold alignments, for the AER of the
            model's attention; used only when the model has attention and word
            tokenizers (the gold links are over words).
        progress: show a progress bar while translating.

    Returns:
        A dict: `sentences`, `bleu`, `exact_match`, and `aer` when it applies.
    """
    pairs = list(pairs)
    if not pairs:
        raise ValueError("score_translator: `pairs` is empty; expected at least one (source, target) pair.")
    hypotheses = translator.translate([source for source, _ in pairs], beam_size=beam_size, progress=progress)
    references = [tokenizers.normalize(target) for _, target in pairs]
    scores = {
        "sentences": len(pairs),
        "bleu": round(metrics.corpus_bleu(hypotheses, references), 2),
        "exact_match": round(metrics.exact_match(hypotheses, references), 4),
    }
    word_level = all(isinstance(t, tokenizers.WordTokenizer)
                     for t in (translator.source_tokenizer, translator.target_tokenizer))
    if alignments is not None and translator.model.has_attention and word_level:
        scores["aer"] = round(alignment_error_rate(translator.model, alignments, translator.source_tokenizer,
                                                   translator.target_tokenizer), 4)
    return scores


def _texts(strings):
    return [s.decode("utf-8") for s in np.asarray(strings).reshape(-1).tolist()]
