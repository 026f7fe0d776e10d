"""Experiments behind the project's claims, callable from the CLI and the examples.

The seed's experiment: a fixed-context encoder-decoder squeezes the source through
one vector and falls behind attention as sources grow (Bahdanau et al. 2015,
Fig. 2). `bottleneck_experiment` trains every arm once per task on sources of mixed
lengths and scores held-out sentences grouped by length; `compare_on_task` trains
on one fixed length. `ko_en_alignment_study` checks what a Bahdanau model's
attention learned against the gold word alignments of the `ko-en` corpus.
"""

import concurrent.futures
import dataclasses
import functools
import multiprocessing
import os
import time

import keras
import numpy as np
import tensorflow as tf

from keras_attn import data
from keras_attn import decoding
from keras_attn import metrics
from keras_attn import models


@dataclasses.dataclass(frozen=True)
class Arm:
    """One model of a comparison.

    Attributes:
        builder: the name of a builder in `keras_attn.models` ("seq2seq", ...).
        config: its fixed keyword arguments.
        size: maps an integer size `k` to the arguments that grow with it, so that
            arms can be brought to the same parameter budget by searching `k`.
    """

    builder: str
    config: dict
    size: callable
    learning_rate: float = None  # None: the experiment's

    def build(self, source_vocab_size, target_vocab_size, k, name=None, **overrides):
        builder = getattr(models, self.builder)
        return builder(source_vocab_size, target_vocab_size, name=name or self.builder,
                       **self.config, **self.size(k), **overrides)


def _rnn_units(k):
    return {"units": k}


def _transformer_width(k):
    return {"d_model": 4 * k, "d_ff": 8 * k}  # 4 heads of size k


# The arms of the comparison. The RNNs share the cell, the embedding and the
# bidirectional encoder of RNNsearch (whose backward half tells every position its
# distance from the end); they differ only in attention. The Transformer keeps
# nothing but attention.
ARMS = {
    "fixed_context": Arm("seq2seq", dict(cell="gru", attention=None, bidirectional=True), _rnn_units),
    "bahdanau": Arm("seq2seq", dict(cell="gru", attention="bahdanau", bidirectional=True), _rnn_units),
    "luong": Arm("seq2seq", dict(cell="gru", attention="luong", luong_score="general", bidirectional=True),
                 _rnn_units),
    "transformer": Arm("transformer", dict(num_layers=2, num_heads=4, dropout=0.0), _transformer_width,
                       learning_rate=1e-3),
}


def _arm(name):
    if name not in ARMS:
        raise ValueError(f"Unknown experiment arm {name!r}; expected one of {sorted(ARMS)}.")
    return ARMS[name]


def match_parameter_budget(arm, budget, source_vocab_size, target_vocab_size, **overrides):
    """The size `k` of `arm` whose model has the parameter count closest to `budget`.

    Parameter counts grow monotonically with `k`: doubling `k` brackets the budget,
    then a bisection finds it, with a handful of (small) model builds.
    """
    arm = _arm(arm) if isinstance(arm, str) else arm

    def count(k):
        return arm.build(source_vocab_size, target_vocab_size, k, **overrides).count_params()

    low, high = 1, 2
    while count(high) <= budget:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if count(middle) <= budget else (low, middle)
    return min((low, high), key=lambda k: abs(count(k) - budget))


# --------------------------------------------------------------------------- #
# Decoding-based evaluation (any model with the one-step contract)
# --------------------------------------------------------------------------- #


def greedy_translator(model):
    """A `tf.function` `(source_ids [B, Ts], max_length) -> greedy result`.

    Traced once for any batch and source length, so evaluating many batches does
    not retrace.
    """

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([], tf.int32)])
    def translate(source_ids, max_length):
        state = decoding.initial_state(model, source_ids, max_length)
        return decoding.greedy_search(model.step, state, tf.shape(source_ids)[0], max_length)

    return translate


def teacher_forced_attention(model):
    """A `tf.function` `(source_ids [B, Ts], target_in [B, Tt]) -> attention [B, Tt, Ts]`.

    Feeds the gold target through `step`, so row `t` is the attention the model
    uses to predict target word `t`: the map to compare with gold alignments.
    """

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)] * 2)
    def attend(source_ids, target_in):
        steps = tf.shape(target_in)[1]
        rows = tf.TensorArray(tf.float32, size=steps)

        def body(t, state, rows):
            _, state, attention = model.step(target_in[:, t], state, t)
            return t + 1, state, rows.write(t, attention)

        _, _, rows = tf.while_loop(
            lambda t, *_: t < steps, body, (tf.constant(0), decoding.initial_state(model, source_ids, steps), rows)
        )
        return tf.transpose(rows.stack(), [1, 0, 2])

    return attend


def _texts(strings):
    return [s.decode("utf-8") for s in strings.numpy()]


def evaluate_exact_match(model, pairs, source_tokenizer, target_tokenizer, max_length=None, batch_size=256,
                         translate=None):
    """Greedy exact match and corpus BLEU of `model` on `(source, target)` string pairs.

    `max_length` caps the generated tokens; by default twice the source length
    plus 10. Pass `translate=greedy_translator(model)` to reuse one traced
    function across several evaluations of the same model.
    """
    batches = data.make_dataset(pairs, source_tokenizer, target_tokenizer, batch_size=batch_size, bucket_boundaries=None)
    translate = translate or greedy_translator(model)
    hypotheses, references = [], []
    for inputs, target_out in batches:
        limit = max_length or 2 * int(inputs["source"].shape[1]) + 10
        result = translate(inputs["source"], tf.constant(limit, tf.int32))
        hypotheses += _texts(target_tokenizer.detokenize(result["tokens"]))
        references += _texts(target_tokenizer.detokenize(target_out))
    return {
        "exact_match": metrics.exact_match(hypotheses, references),
        "bleu": metrics.corpus_bleu(hypotheses, references),
        "examples": list(zip(hypotheses[:3], references[:3])),
    }


def attention_alignment_error_rate(model, examples, source_tokenizer, target_tokenizer, batch_size=256):
    """AER of the teacher-forced attention argmax against gold alignments.

    Args:
        examples: `Example`s with `alignment` (e.g. `data.generate("ko-en", ...)`),
            whose gold links are over whitespace words.

    Returns:
        The corpus alignment error rate (`metrics.alignment_error_rate`).
    """
    examples = list(examples)
    pairs = [(e.source, e.target) for e in examples]
    batches = data.make_dataset(pairs, source_tokenizer, target_tokenizer, batch_size=batch_size, bucket_boundaries=None)
    attend = teacher_forced_attention(model)
    predicted = []
    for inputs, target_out in batches:
        weights = attend(inputs["source"], inputs["target_in"]).numpy()
        # Lengths without [END]: the gold links cover words only.
        source_lengths = (inputs["source"].numpy() != 0).sum(axis=1) - 1
        target_lengths = (target_out.numpy() != 0).sum(axis=1) - 1
        predicted += [
            metrics.alignments_from_attention(w, source_length=int(s), target_length=int(t))
            for w, s, t in zip(weights, source_lengths, target_lengths)
        ]
    return metrics.alignment_error_rate(predicted, sure=[e.alignment for e in examples])


# --------------------------------------------------------------------------- #
# Training
# --------------------------------------------------------------------------- #


def _tokenizers(pairs):
    """Word tokenizers of the sources and of the targets, from a pairs Dataset or list."""
    if isinstance(pairs, tf.data.Dataset):
        sides = pairs.map(lambda s, t: s), pairs.map(lambda s, t: t)
    else:
        sides = [s for s, _ in pairs], [t for _, t in pairs]
    return tuple(data.WordTokenizer.from_corpus(side) for side in sides)


def _optimizer(model, learning_rate, global_clipnorm=None):
    """Adam; β2 = 0.98 for Transformers, and an optional global-norm clip for RNNs."""
    if isinstance(model, models.Transformer):
        return keras.optimizers.Adam(learning_rate, beta_2=0.98)
    return keras.optimizers.Adam(learning_rate, global_clipnorm=global_clipnorm)


def _fit(model, batches, epochs, learning_rate, verbose, global_clipnorm=None):
    """Compiles (masked loss, XLA) and trains; returns the training seconds."""
    models.compile_for_translation(model, optimizer=_optimizer(model, learning_rate, global_clipnorm),
                                   jit_compile=True)
    start = time.perf_counter()
    model.fit(batches, epochs=epochs, verbose=verbose, shuffle=False)  # the pipeline shuffles
    return time.perf_counter() - start


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

    Returns one row per arm: size, parameters, training seconds, held-out greedy
    exact match and BLEU.
    """
    options = dict(min_length=length, max_length=length, **task_options)
    train = data.load(task, "train", size=train_size, seed=seed, **options)
    test = data.load(task, "test", size=test_size, seed=seed, **options)
    tokenizers = _tokenizers(train)
    batches = data.make_dataset(
        train, *tokenizers, batch_size=batch_size, shuffle=True, seed=seed, bucket_boundaries=None, cache=True,
    )
    vocab = tuple(t.vocabulary_size() for t in tokenizers)
    rows = []
    for name in arms:
        model, size = _build_matched(name, vocab, parameter_budget, embedding_dim, seed)
        seconds = _fit(model, batches, epochs, ARMS[name].learning_rate or learning_rate, verbose)
        scores = evaluate_exact_match(model, test, *tokenizers, max_length=length * 2 + 2)
        rows.append(
            {"model": name, "size": size, "parameters": model.count_params(), "train_seconds": round(seconds, 1),
             "exact_match": scores["exact_match"], "bleu": round(scores["bleu"], 2)}
        )
        if verbose:
            print(rows[-1], flush=True)
    return rows


def _build_matched(name, vocab, parameter_budget, embedding_dim, seed):
    arm = _arm(name)
    overrides = {"embedding_dim": embedding_dim} if arm.builder == "seq2seq" else {}
    size = match_parameter_budget(arm, parameter_budget, *vocab, **overrides)
    keras.utils.set_random_seed(seed)
    return arm.build(*vocab, size, name=name, **overrides), size


# --------------------------------------------------------------------------- #
# The bottleneck experiment
# --------------------------------------------------------------------------- #

REVERSE_LENGTHS = (10, 20, 30, 40, 50, 60)
KO_EN_LENGTH_BINS = ((1, 5), (6, 10), (11, 15), (16, 20), (21, 25), (26, 30))
# Per-task defaults, sized so that the whole experiment takes under 30 minutes on
# 2 CPU cores. ko-en's vocabularies (~1,400 Korean word forms, ~440 English words)
# need a larger budget than reverse's ten symbols for the recurrent part to be of a
# useful size; reverse's long sources make each of its steps the costlier.
PARAMETER_BUDGETS = {"reverse": 100_000, "ko-en": 300_000}
EPOCHS = {"reverse": 5, "ko-en": 6}
# The recurrent arms' gradient norm is clipped at 1, as by Bahdanau et al. (2015, A.2.2):
# over these long mixed-length runs an unclipped RNNsearch was seen to diverge. (In
# short runs clipping slows learning down, so it is not the default elsewhere.)
RECURRENT_GLOBAL_CLIPNORM = 1.0


def _for_task(value, task, defaults):
    """`value` if it is one int for every task, else its (or the default's) entry for `task`."""
    return value if isinstance(value, int) else {**defaults, **(value or {})}[task]


def _length_groups(task, reverse_lengths, ko_en_bins):
    """`(label, plotted length, task options)` per test group, and the train options."""
    if task == "reverse":
        groups = [(str(n), n, dict(min_length=n, max_length=n)) for n in reverse_lengths]
        return groups, dict(min_length=min(reverse_lengths), max_length=max(reverse_lengths))
    if task == "ko-en":
        groups = [(f"{lo}-{hi}", (lo + hi) / 2, dict(min_length=lo, max_length=hi)) for lo, hi in ko_en_bins]
        return groups, dict(min_length=ko_en_bins[0][0], max_length=ko_en_bins[-1][1])
    raise ValueError(f"bottleneck_experiment: unknown task {task!r}; expected 'reverse' or 'ko-en'.")


def bottleneck_experiment(
    tasks=("reverse", "ko-en"),
    arms=tuple(ARMS),
    reverse_lengths=REVERSE_LENGTHS,
    ko_en_length_bins=KO_EN_LENGTH_BINS,
    parameter_budget=None,
    train_size=20_000,
    test_size=100,
    epochs=None,
    batch_size=128,
    learning_rate=3e-3,
    embedding_dim=32,
    seed=0,
    processes=1,
    verbose=1,
):
    """Exact match and BLEU against source length, per arm, as in Bahdanau et al. Fig. 2.

    For each task every arm is trained once, on sources of all lengths in range
    (with the same parameter budget, the same data and the same number of steps),
    then scored by greedy decoding on `test_size` held-out pairs per length
    group: every length in `reverse_lengths` for `reverse`, every bin of Korean
    words in `ko_en_length_bins` for `ko-en`. Attention arms on `ko-en` also get
    the alignment error rate of their teacher-forced attention.

    `parameter_budget` and `epochs` are an int for every task or a `{task: int}`
    dict; the defaults are `PARAMETER_BUDGETS` and `EPOCHS`. With `processes` > 1
    the (task, arm) trainings run in that many spawned processes, each limited to
    its share of the CPU's threads (a recurrent step's small matmuls gain 0–30%
    from a second thread, so on 2 cores two one-thread processes get through the
    trainings 1.1–1.5 times as fast as one two-thread process).

    Returns:
        A list of dict rows, in task then arm order: task, model, group, length (the
        group's source length, or its bin centre), parameters, train_seconds,
        exact_match, bleu, and aer (ko-en, attention arms, over all groups; `None`
        otherwise).
    """
    for task in tasks:
        _length_groups(task, reverse_lengths, ko_en_length_bins)  # unknown tasks fail before any training
    for name in arms:
        _arm(name)
    if not isinstance(processes, int) or processes < 1:
        raise ValueError(f"bottleneck_experiment: processes must be a positive int, got {processes!r}.")
    settings = dict(reverse_lengths=tuple(reverse_lengths), ko_en_length_bins=tuple(map(tuple, ko_en_length_bins)),
                    parameter_budget=parameter_budget, train_size=train_size, test_size=test_size, epochs=epochs,
                    batch_size=batch_size, learning_rate=learning_rate, embedding_dim=embedding_dim, seed=seed,
                    verbose=verbose)
    jobs = [(task, name) for task in tasks for name in arms]
    if processes == 1 or len(jobs) == 1:
        results = {job: _bottleneck_arm(*job, **settings) for job in jobs}
    else:
        workers = min(processes, len(jobs))
        # The fixed-context models train fastest: start them last so the workers finish together.
        order = sorted(jobs, key=lambda job: not _has_attention(job[1]))
        with concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"),  # TensorFlow does not survive a fork
            initializer=_limit_threads, initargs=(max(1, (os.cpu_count() or 1) // workers),),
        ) as pool:
            results = dict(zip(order, pool.map(functools.partial(_bottleneck_arm, **settings), *zip(*order))))
    return [row for job in jobs for row in results[job]]


def _limit_threads(threads):
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


@functools.lru_cache(maxsize=2)  # a worker that trains several arms of a task prepares its data once
def _bottleneck_task(task, reverse_lengths, ko_en_length_bins, train_size, test_size, batch_size, seed):
    """Training batches, tokenizers, vocabulary sizes and length-grouped test examples of `task`."""
    groups, train_options = _length_groups(task, reverse_lengths, ko_en_length_bins)
    # Materialised once: the longest target sizes the buckets, and the list feeds both
    # the tokenizers and the batches.
    train = [(e.source, e.target) for e in data.generate(task, "train", size=train_size, seed=seed, **train_options)]
    tokenizers = _tokenizers(train)
    longest = max(len(target.split()) for _, target in train) + 1
    batches = data.make_training_dataset(train, *tokenizers, batch_size=batch_size, max_length=longest, seed=seed)
    tests = [(label, length, list(data.generate(task, "test", size=test_size, seed=seed, **options)))
             for label, length, options in groups]
    return batches, tokenizers, tuple(t.vocabulary_size() for t in tokenizers), tests


def _bottleneck_arm(task, name, *, reverse_lengths, ko_en_length_bins, parameter_budget, train_size, test_size,
                    epochs, batch_size, learning_rate, embedding_dim, seed, verbose):
    """Trains arm `name` on `task` and returns its rows of `bottleneck_experiment`."""
    batches, tokenizers, vocab, tests = _bottleneck_task(task, reverse_lengths, ko_en_length_bins, train_size,
                                                          test_size, batch_size, seed)
    model, _ = _build_matched(name, vocab, _for_task(parameter_budget, task, PARAMETER_BUDGETS), embedding_dim, seed)
    seconds = _fit(model, batches, _for_task(epochs, task, EPOCHS), ARMS[name].learning_rate or learning_rate,
                   verbose, global_clipnorm=RECURRENT_GLOBAL_CLIPNORM)
    aer = None
    if task == "ko-en" and _has_attention(name):
        aer = attention_alignment_error_rate(model, [e for *_, es in tests for e in es], *tokenizers)
    translate = greedy_translator(model)
    rows = []
    for label, length, examples in tests:
        scores = evaluate_exact_match(model, [(e.source, e.target) for e in examples], *tokenizers,
                                      translate=translate)
        rows.append({
            "task": task, "model": name, "group": label, "length": length,
            "parameters": model.count_params(), "train_seconds": round(seconds, 1),
            "exact_match": scores["exact_match"], "bleu": round(scores["bleu"], 2),
            "aer": None if aer is None else round(aer, 3),
        })
        if verbose:
            print(rows[-1], flush=True)
    return rows


def _has_attention(name):
    return _arm(name).config.get("attention", "attention") is not None


NOTES_MARKER = "<!-- notes: kept when the tables are rewritten -->"


def write_bottleneck_report(rows, directory, settings=None):
    """Writes `bottleneck.md` (tables) and one PNG per task and metric into `directory`.

    The discussion of a previous `bottleneck.md`, everything from its `NOTES_MARKER`
    line on, is kept below the new tables.

    Returns the paths written.
    """
    from keras_attn import viz  # matplotlib only when a report is written

    os.makedirs(directory, exist_ok=True)
    paths = []
    lines = ["# The bottleneck experiment", ""]
    if settings:
        lines += ["Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()), ""]
    for task in dict.fromkeys(row["task"] for row in rows):
        task_rows = [row for row in rows if row["task"] == task]
        model_names = list(dict.fromkeys(row["model"] for row in task_rows))
        groups = list(dict.fromkeys(row["group"] for row in task_rows))
        unit = "source length" if task == "reverse" else "Korean words"
        lines += [f"## {task}", ""]
        summary = {name: next(row for row in task_rows if row["model"] == name) for name in model_names}
        lines += ["| model | parameters | train s | AER |", "| --- | --- | --- | --- |"]
        for name, row in summary.items():
            aer = "—" if row["aer"] is None else f"{row['aer']:.3f}"
            lines.append(f"| {name} | {row['parameters']:,} | {row['train_seconds']} | {aer} |")
        lines.append("")
        for metric, fmt in (("exact_match", "{:.3f}"), ("bleu", "{:.1f}")):
            lines += [f"{metric.replace('_', ' ')} by {unit}:", ""]
            lines += ["| model | " + " | ".join(groups) + " |", "| --- " * (len(groups) + 1) + "|"]
            for name in model_names:
                values = {row["group"]: row[metric] for row in task_rows if row["model"] == name}
                lines.append(f"| {name} | " + " | ".join(fmt.format(values[g]) for g in groups) + " |")
            lines.append("")
            path = os.path.join(directory, f"bottleneck_{task.replace('-', '_')}_{metric}.png")
            viz.accuracy_vs_length_plot(
                task_rows, path=path, metric=metric, title=f"{task}: {metric.replace('_', ' ')} vs {unit}"
            )
            lines += [f"![{task} {metric}]({os.path.basename(path)})", ""]
            paths.append(path)
    report = os.path.join(directory, "bottleneck.md")
    if os.path.exists(report):
        previous = open(report, encoding="utf-8").read()
        if NOTES_MARKER in previous:
            lines.append(previous[previous.index(NOTES_MARKER):].rstrip("\n"))
    with open(report, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    return [report, *paths]


# --------------------------------------------------------------------------- #
# What attention learned on ko-en
# --------------------------------------------------------------------------- #

SEED_SENTENCE = ("나는 밥을 먹었다", "i ate rice")


def ko_en_alignment_study(
    arm="bahdanau",
    parameter_budget=500_000,
    train_size=20_000,
    test_size=500,
    epochs=4,
    batch_size=64,
    learning_rate=3e-3,
    embedding_dim=64,
    seed=0,
    verbose=1,
):
    """Trains `arm` on `ko-en`; returns its BLEU, AER and the seed sentence's attention.

    Returns:
        A dict: model, source_tokenizer, target_tokenizer, bleu, exact_match, aer,
        train_seconds, and for "나는 밥을 먹었다": translation, source_tokens,
        target_tokens, attention `[Tt, Ts]` (teacher-forced on "i ate rice") and
        `argmax`: the source word each English word attends to most.
    """
    train = data.load("ko-en", "train", size=train_size, seed=seed)
    tokenizers = _tokenizers(train)
    vocab = tuple(t.vocabulary_size() for t in tokenizers)
    model, _ = _build_matched(arm, vocab, parameter_budget, embedding_dim, seed)
    batches = data.make_training_dataset(train, *tokenizers, batch_size=batch_size, max_length=64, seed=seed)
    seconds = _fit(model, batches, epochs, ARMS[arm].learning_rate or learning_rate, verbose)
    test = list(data.generate("ko-en", "test", size=test_size, seed=seed))
    scores = evaluate_exact_match(model, [(e.source, e.target) for e in test], *tokenizers)
    aer = attention_alignment_error_rate(model, test, *tokenizers) if _has_attention(arm) else None

    source, target = SEED_SENTENCE
    inputs, _ = next(iter(data.make_dataset([SEED_SENTENCE], *tokenizers, bucket_boundaries=None)))
    result = greedy_translator(model)(inputs["source"], tf.constant(20))
    weights = teacher_forced_attention(model)(inputs["source"], inputs["target_in"]).numpy()[0]
    source_tokens = tokenizers[0].ids_to_tokens(inputs["source"][0].numpy())
    target_tokens = target.split()
    words = weights[: len(target_tokens), : len(source.split())]
    return {
        "model": model,
        "source_tokenizer": tokenizers[0],
        "target_tokenizer": tokenizers[1],
        "train_seconds": round(seconds, 1),
        "bleu": scores["bleu"],
        "exact_match": scores["exact_match"],
        "aer": aer,
        "translation": _texts(tokenizers[1].detokenize(result["tokens"]))[0],
        "source_tokens": source_tokens,
        "target_tokens": target_tokens + ["[END]"],
        "attention": weights,
        "argmax": {word: source.split()[int(np.argmax(row))] for word, row in zip(target_tokens, words)},
    }
