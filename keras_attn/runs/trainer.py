"""`train`: corpus → tokenizers → preset model → `fit` → a saved `Translator`, in named steps.

What `keras-attn train` does, callable from Python. The run directory
(`RunDirectory`) holds everything needed to resume, evaluate or export. In a
multi-worker run only the chief writes there; every other worker keeps its own
run.json, tokenizers/, backup/ and history.csv in `workertemp_<task id>/` (to resume
from), removed when training ends.
"""

import csv
import inspect
import os
import time

import keras
import tensorflow as tf

from keras_attn import data
from keras_attn import distribute
from keras_attn import models
from keras_attn import tokenizers
from keras_attn import viz
from keras_attn.runs.checkpoint import ResilientBackupAndRestore
from keras_attn.runs.corpus import Corpus
from keras_attn.runs.corpus import check_enough_pairs
from keras_attn.runs.corpus import check_not_empty
from keras_attn.runs.errors import RunError
from keras_attn.runs.run_directory import RunDirectory
from keras_attn.translator import Translator

TOKENIZERS = {"word": tokenizers.WordTokenizer, "subword": tokenizers.SubwordTokenizer,
              "character": tokenizers.CharacterTokenizer}
TRANSLATION_FAMILIES = ("seq2seq", "transformer")
# `mixed_precision` → the Keras dtype policy the model is built under (float32 weights).
MIXED_PRECISION = {"bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}
# What early stopping may watch (the validation metrics `fit` logs).
MONITORS = ("val_loss", "val_masked_accuracy")


def train(
    output_dir,
    preset="tiny_bahdanau",
    dataset="ko-en",
    tsv=None,
    source_column=0,
    target_column=1,
    validation_tsv=None,
    test_tsv=None,
    train_size=None,
    validation_size=500,
    epochs=5,
    batch_size=64,
    learning_rate=None,
    warmup_steps=None,
    tokenizer="word",
    source_vocab_size=None,
    target_vocab_size=None,
    max_length=64,
    mixed_precision=None,
    early_stopping=None,
    monitor="val_loss",
    seed=0,
    save_every=None,
    verbose=1,
    overwrite=False,
    strategy=None,
    callbacks=(),
    **overrides,
):
    """Trains a preset on a corpus and saves a `Translator` into `output_dir`.

    Interrupted runs resume: called again with the same `output_dir` (and
    arguments), training continues from the last checkpoint. A finished run is
    not retrained unless `overwrite=True`.

    Args:
        output_dir: the run directory (see `RunDirectory`).
        preset: an encoder-decoder preset of `keras_attn.models.list_presets()`.
        dataset: a built-in data set (`keras_attn.data.available()`), or
        tsv: a tab-separated corpus, with its 0-based `source_column` and
            `target_column`. It is split by a hash of the normalised source
            (80 % train, 10 % validation, 10 % test, see `Corpus`) unless
        validation_tsv, test_tsv: name held-out files (then all of `tsv` trains).
        train_size: caps the training pairs (`None`: every pair of a TSV corpus,
            20,000 generated pairs of a built-in data set).
        validation_size: validation pairs scored after every epoch (`val_loss`,
            `val_masked_accuracy`); 0 for none.
        epochs, batch_size: as in `fit`. A finished run called again with a larger
            `epochs` (and otherwise the same arguments) continues from its last
            checkpoint to `epochs`.
        learning_rate, warmup_steps: replace the model's training policy's
            (`None`: the family's, see `keras_attn.models.TrainingPolicy`).
        tokenizer: "word", "subword" or "character".
        source_vocab_size, target_vocab_size: the most tokens of each vocabulary
            (reserved ones included); `None`: the tokenizer's default (every word or
            character seen; 1,000 for "subword").
        max_length: longest source and target in tokens (longer ones are cut).
        mixed_precision: `None` (float32), "bfloat16" or "float16": the model
            computes in that type with float32 weights (Keras' `mixed_*` policies;
            float16 scales the loss).
        early_stopping: stop after this many epochs without improvement of
            `monitor` on the validation pairs, and keep the best epoch's weights
            (`None`: train every epoch).
        monitor: "val_loss" (default) or "val_masked_accuracy".
        seed: seeds the data, the shuffle and the initial weights.
        save_every: checkpoint every this many steps (default: every epoch).
        verbose: Keras progress bars (1), a line per epoch (2) or silence (0).
        strategy: "default" (or `None`: one device), "mirrored" (the GPUs, or
            the logical CPU devices, of this machine), "multi_worker" (the
            cluster of the `TF_CONFIG` environment variable), or a
            `tf.distribute.Strategy`; see docs/distributed.md. `batch_size` stays
            the global batch: each of N replicas computes `batch_size / N`
            examples. Not one of the arguments compared on resume.
        callbacks: more Keras callbacks for `fit` (e.g. to log every step).
        overrides: replace preset arguments (e.g. `units=64`).

    Returns:
        The trained `Translator`.
    """
    corpus = Corpus(dataset=dataset, tsv=_absolute(tsv), source_column=source_column, target_column=target_column,
                    validation_tsv=_absolute(validation_tsv), test_tsv=_absolute(test_tsv), seed=seed)
    arguments = dict(
        preset=preset, **corpus.arguments, train_size=train_size, validation_size=validation_size, epochs=epochs,
        batch_size=batch_size, learning_rate=learning_rate, warmup_steps=warmup_steps, tokenizer=tokenizer,
        source_vocab_size=source_vocab_size, target_vocab_size=target_vocab_size, max_length=max_length,
        mixed_precision=mixed_precision, early_stopping=early_stopping, monitor=monitor, overrides=overrides,
    )
    check_arguments(preset, tokenizer, overrides, mixed_precision, early_stopping, monitor, validation_size, corpus)
    strategy, distribution = resolve_strategy(strategy, batch_size)
    run = RunDirectory(distribute.worker_directory(output_dir, strategy))
    run.check_writable()
    previous = run.previous_run(arguments, overwrite)
    pairs = corpus.pairs("train", train_size)
    check_not_empty(pairs, tsv, source_column, target_column)
    check_enough_pairs(pairs, batch_size)
    run.write_record({"arguments": arguments, "finished": False, "distribution": distribution})
    source_tokenizer, target_tokenizer = prepare_tokenizers(run, pairs, tokenizer, resume=previous is not None,
                                                            vocabulary_sizes=(source_vocab_size, target_vocab_size))
    model = build_model(preset, source_tokenizer, target_tokenizer, strategy, seed, learning_rate, warmup_steps,
                        overrides, mixed_precision)
    batches, validation = make_datasets(corpus, pairs, source_tokenizer, target_tokenizer, validation_size,
                                        batch_size, max_length, seed)
    stopping = make_early_stopping(early_stopping, monitor, validation)
    seconds = fit(model, batches, validation, run, epochs, batch_size, save_every,
                  [*callbacks, *([stopping] if stopping else [])], verbose)
    translator = Translator(model, source_tokenizer, target_tokenizer, max_length=max_length,
                            max_source_length=max_length)
    record = dict(arguments=arguments, distribution=distribution, train_seconds=round(seconds, 1))
    if stopping:
        record["early_stopping"] = describe_early_stopping(stopping)
    finish_run(run, translator, distribute.is_chief(strategy), record)
    return translator


def _absolute(path):
    return path and os.path.abspath(path)


# --------------------------------------------------------------------------- #
# The steps
# --------------------------------------------------------------------------- #


def check_arguments(preset, tokenizer, overrides, mixed_precision=None, early_stopping=None, monitor="val_loss",
                    validation_size=500, corpus=None):
    """Refuses a preset that does not translate, an unknown tokenizer, a preset argument
    its builder does not take, an unknown precision and early stopping without validation
    pairs, before anything is written."""
    presets = models.presets.PRESETS
    translation = sorted(n for n, spec in presets.items() if spec["builder"] in TRANSLATION_FAMILIES)
    if preset not in translation:
        raise RunError(f"not a translation preset; expected one of {translation}.", "preset", preset)
    if tokenizer not in TOKENIZERS:
        raise RunError(f"expected one of {sorted(TOKENIZERS)}.", "tokenizer", tokenizer)
    builder = getattr(models, presets[preset]["builder"])
    accepted = set(inspect.signature(builder).parameters) - {"source_vocab_size", "target_vocab_size", "name"}
    unknown = sorted(set(overrides) - accepted)
    if unknown:
        raise RunError(f"{preset} ({presets[preset]['builder']}) takes no argument {', '.join(unknown)}; "
                       f"valid preset arguments: {', '.join(sorted(accepted))}.")
    if mixed_precision not in (None, *MIXED_PRECISION):
        raise RunError(f"expected one of {sorted(MIXED_PRECISION)} (or none for float32).", "mixed_precision",
                       mixed_precision)
    if early_stopping is not None:
        if monitor not in MONITORS:
            raise RunError(f"expected one of {list(MONITORS)}.", "monitor", monitor)
        if not validation_size or (corpus is not None and not corpus.has("validation")):
            raise RunError("early stopping watches the validation pairs, and this run has none (`validation_size` "
                           "is 0, or `validation_tsv` is missing beside `test_tsv`).", "early_stopping",
                           early_stopping)


def resolve_strategy(strategy, batch_size):
    """The `tf.distribute.Strategy` of `train(strategy=...)` and its record for run.json."""
    if isinstance(strategy, tf.distribute.Strategy):
        name = type(strategy).__name__
    elif strategy in (None, *distribute.STRATEGIES):
        name = strategy or "default"
        # Before any other TensorFlow work of the run: MultiWorkerMirroredStrategy
        # configures collective ops, which TensorFlow wants before it makes a tensor.
        strategy = distribute.make_strategy(name)
    else:
        raise RunError(f"expected one of {list(distribute.STRATEGIES)}.", "strategy", strategy)
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise RunError(f"not divisible by the {replicas} replicas of `strategy` {name!r} (each computes an equal "
                       f"share of the global batch); use a multiple of {replicas}.", "batch_size", batch_size)
    return strategy, {"strategy": name, "replicas": replicas, "per_replica_batch_size": batch_size // replicas}


def prepare_tokenizers(run, pairs, kind, resume, vocabulary_sizes=(None, None)):
    """The run's `(source, target)` tokenizers: those saved by the run being resumed, or
    new ones learned from `pairs` (at most `vocabulary_sizes` tokens each, `None`: the
    tokenizer's default) and saved before training."""
    saved = run.load_tokenizers() if resume else None
    if saved is not None:
        return saved
    source_size, target_size = vocabulary_sizes
    source = TOKENIZERS[kind].from_corpus(pairs.map(lambda s, t, *_: s),
                                          **({"vocabulary_size": source_size} if source_size else {}))
    target = TOKENIZERS[kind].from_corpus(pairs.map(lambda s, t, *_: t),
                                          **({"vocabulary_size": target_size} if target_size else {}))
    run.save_tokenizers(source, target)
    return source, target


def build_model(preset, source_tokenizer, target_tokenizer, strategy, seed, learning_rate=None, warmup_steps=None,
                overrides=None, mixed_precision=None):
    """The preset's model for the tokenizers' vocabularies, compiled by its training policy.

    Built and compiled in `strategy.scope()`; the policy decides XLA (never under a
    strategy: a mirrored step cannot reach variables on several devices). With
    `mixed_precision` the layers are made under that dtype policy (the global policy
    is restored afterwards: the run changes no other model).
    """
    keras.utils.set_random_seed(seed)
    previous_policy = keras.config.dtype_policy()
    try:
        if mixed_precision:
            keras.config.set_dtype_policy(MIXED_PRECISION[mixed_precision])
        with strategy.scope():
            model = models.from_preset(preset, source_tokenizer.vocabulary_size(), target_tokenizer.vocabulary_size(),
                                       **(overrides or {}))
            model.compile(**model.default_compile_kwargs(learning_rate=learning_rate, warmup_steps=warmup_steps))
    finally:
        keras.config.set_dtype_policy(previous_policy)
    return model


def make_datasets(corpus, pairs, source_tokenizer, target_tokenizer, validation_size, batch_size, max_length, seed):
    """Training batches of `pairs`, and batches of the corpus' validation pairs (or `None`).

    Both are counted once (their cache filled on the way), so that Keras knows the
    steps of an epoch: progress bars end at a number, and no epoch "runs out of data".
    """
    batches = data.with_known_cardinality(data.make_training_dataset(
        pairs, source_tokenizer, target_tokenizer, batch_size=batch_size, max_length=max_length, seed=seed))
    if batches.cardinality() == 0:
        raise RunError("the corpus gives no full training batch (batches hold sentences of similar length); lower "
                       "`batch_size` or add pairs.", "batch_size", batch_size)
    if not validation_size or not corpus.has("validation"):
        return distribute.shard_by_example(batches), None
    validation = data.with_known_cardinality(data.make_training_dataset(
        corpus.pairs("validation", validation_size), source_tokenizer, target_tokenizer,
        batch_size=batch_size, max_length=max_length, validation=True,
    ))
    if validation.cardinality() == 0:
        validation = None  # a small TSV corpus may hash no sentence into validation
    return distribute.shard_by_example(batches), validation and distribute.shard_by_example(validation)


def make_early_stopping(patience, monitor, validation):
    """Keras' `EarlyStopping` keeping the best weights, or `None` without `patience`."""
    if patience is None:
        return None
    if validation is None:
        raise RunError("early stopping watches the validation pairs, and the corpus gave none (a small TSV "
                       "file may hash no sentence into validation: name a `validation_tsv`).", "early_stopping",
                       patience)
    return keras.callbacks.EarlyStopping(monitor=monitor, patience=patience, restore_best_weights=True,
                                         mode="min" if monitor == "val_loss" else "max")


def describe_early_stopping(stopping):
    """What early stopping did, for run.json: the best epoch (1-based), its value, where it stopped."""
    return {"monitor": stopping.monitor, "best_epoch": stopping.best_epoch + 1, "best": float(stopping.best),
            "stopped_epoch": stopping.stopped_epoch + 1 if stopping.stopped_epoch else None}


def fit(model, batches, validation, run, epochs, batch_size, save_every=None, callbacks=(), verbose=1):
    """`model.fit` with the run's checkpoints, history and TensorBoard logs; returns the training seconds.

    The checkpoints stay when training ends, so that a finished run can be continued
    to more epochs (`RunDirectory.previous_run`).
    """
    all_callbacks = [
        ResilientBackupAndRestore(run.backup_dir, save_freq=save_every or "epoch", double_checkpoint=True,
                                  delete_checkpoint=False),
        keras.callbacks.CSVLogger(run.history_path, append=True),
        keras.callbacks.TensorBoard(run.logs_dir),
        *callbacks,
    ]
    start = time.perf_counter()
    try:
        model.fit(batches, validation_data=validation, epochs=epochs, callbacks=all_callbacks, verbose=verbose,
                  shuffle=False)
    except StopIteration as empty:
        # Under a strategy Keras draws a first batch to build the model; without one it escapes `fit`.
        raise RunError("the corpus gives no full training batch (batches hold sentences of similar length); "
                       "lower `batch_size` or raise `train_size`.", "batch_size", batch_size) from empty
    return time.perf_counter() - start


def finish_run(run, translator, chief, record):
    """Saves the translator and the training curves and marks the run finished (the chief);
    removes a non-chief worker's own copies, needed only to resume."""
    if not chief:
        tf.io.gfile.rmtree(run.path)
        return
    translator.save(run.translator_dir, overwrite=True)
    plot_history(run.history_path, run.curves_path, record["arguments"]["preset"])
    run.write_record({**record, "finished": True})


def plot_history(history_path, path, title):
    """Training curves of `history.csv` (the last row of each epoch wins after a resume)."""
    with open(history_path, encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    by_epoch = {int(row["epoch"]): row for row in rows}
    # CSVLogger writes "NA" for metrics an epoch did not produce.
    history = {key: [float(by_epoch[e][key]) for e in sorted(by_epoch)] for key in rows[0]
               if key != "epoch" and all(by_epoch[e][key] != "NA" for e in by_epoch)}
    viz.training_curves(history, path=path, title=title)
