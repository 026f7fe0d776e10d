"""Experiments behind the project's claims, callable from the CLI and the examples.

The first one is the seed's: a fixed-context encoder-decoder squeezes the source
through one vector and falls behind attention as sources grow (Bahdanau et al. 2015,
Fig. 2). `compare_on_task` trains models with (nearly) equal parameter counts on one
task and reports greedy exact match on held-out data.
"""

import time

import keras
import numpy as np
import tensorflow as tf

from keras_attn import data
from keras_attn import decoding
from keras_attn import metrics
from keras_attn import models

# The three arms of the comparison: same cell, same embedding, attention or not.
ARMS = {
    "fixed_context": dict(cell="gru", attention=None),
    "bahdanau": dict(cell="gru", attention="bahdanau"),
    "luong": dict(cell="gru", attention="luong", luong_score="general"),
}


def match_parameter_budget(config, budget, source_vocab_size, target_vocab_size, low=4, high=1024):
    """The `units` whose model has the parameter count closest to `budget`.

    Parameter counts grow monotonically with `units`, so a bisection over `units`
    finds it with a handful of (small) model builds.
    """

    def count(units):
        return models.seq2seq(source_vocab_size, target_vocab_size, units=units, **config).count_params()

    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if count(middle) <= budget else (low, middle)
    return min((low, high), key=lambda units: abs(count(units) - budget))


def greedy_translator(model):
    """A `tf.function` `(source_ids [B, Ts], max_length) -> greedy result`.

    Traced once for any batch and source length, so evaluating many batches does
    not retrace.
    """

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([], tf.int32)])
    def translate(source_ids, max_length):
        state = model.initial_state(source_ids)
        return decoding.greedy_search(model.step, state, tf.shape(source_ids)[0], max_length)

    return translate


def evaluate_exact_match(model, pairs, source_tokenizer, target_tokenizer, max_length, batch_size=256):
    """Greedy exact match (and BLEU) of `model` on `(source, target)` string pairs."""
    batches = data.make_dataset(pairs, source_tokenizer, target_tokenizer, batch_size=batch_size, bucket_boundaries=None)
    translate = greedy_translator(model)
    hypotheses, references = [], []
    for inputs, target_out in batches:
        result = translate(inputs["source"], tf.constant(max_length, tf.int32))
        hypotheses += [t.decode("utf-8") for t in target_tokenizer.detokenize(result["tokens"]).numpy()]
        references += [t.decode("utf-8") for t in target_tokenizer.detokenize(target_out).numpy()]
    return {
        "exact_match": metrics.exact_match(hypotheses, references),
        "bleu": metrics.corpus_bleu(hypotheses, references),
        "examples": list(zip(hypotheses[:3], references[:3])),
    }


def compare_on_task(
    task="reverse",
    length=24,
    arms=tuple(ARMS),
    parameter_budget=60_000,
    train_size=20_000,
    test_size=500,
    epochs=3,
    batch_size=128,
    learning_rate=3e-3,
    embedding_dim=32,
    seed=0,
    verbose=1,
    **task_options,
):
    """Trains each arm on `task` with sources of exactly `length` symbols.

    Returns one row per arm: units, parameters, training seconds, held-out greedy
    exact match and BLEU.
    """
    options = dict(min_length=length, max_length=length, **task_options)
    train = data.load(task, "train", size=train_size, seed=seed, **options)
    test = data.load(task, "test", size=test_size, seed=seed, **options)
    source_tokenizer = data.WordTokenizer.from_corpus(train.map(lambda s, t: s))
    target_tokenizer = data.WordTokenizer.from_corpus(train.map(lambda s, t: t))
    batches = data.make_dataset(
        train, source_tokenizer, target_tokenizer, batch_size=batch_size, shuffle=True, seed=seed,
        bucket_boundaries=None, cache=True,
    )
    vocab = (source_tokenizer.vocabulary_size(), target_tokenizer.vocabulary_size())
    rows = []
    for arm in arms:
        config = dict(ARMS[arm], embedding_dim=embedding_dim)
        units = match_parameter_budget(config, parameter_budget, *vocab)
        keras.utils.set_random_seed(seed)
        model = models.seq2seq(*vocab, units=units, name=arm, **config)
        models.compile_for_translation(model, optimizer=keras.optimizers.Adam(learning_rate), jit_compile=True)
        start = time.perf_counter()
        model.fit(batches, epochs=epochs, verbose=verbose, shuffle=False)  # the pipeline shuffles
        seconds = time.perf_counter() - start
        scores = evaluate_exact_match(model, test, source_tokenizer, target_tokenizer, max_length=length * 2 + 2)
        rows.append(
            {"model": arm, "units": units, "parameters": model.count_params(), "train_seconds": round(seconds, 1),
             "exact_match": scores["exact_match"], "bleu": round(scores["bleu"], 2)}
        )
        if verbose:
            print(rows[-1], flush=True)
    return rows
