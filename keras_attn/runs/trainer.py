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
from keras_attn.runs.corpus import check_not_empty
from keras_attn.runs.corpus import load_corpus
from keras_attn.runs.errors import RunError
from keras_attn.runs.run_directory import RunDirectory
from keras_attn.translator import Translator

TOKENIZERS = {"word": tokenizers.WordTokenizer, "subword": tokenizers.SubwordTokenizer,
              "character": tokenizers.CharacterTokenizer}
TRANSLATION_FAMILIES = ("seq2seq", "transformer")


def train(
    output_dir,
    preset="tiny_bahdanau",
    dataset="ko-en",
    tsv=None,
    source_column=0,
    target_column=1,
    train_size=20_000,
    validation_size=500,
    epochs=5,
    batch_size=64,
    learning_rate=None,
    warmup_steps=None,
    tokenizer="word",
    max_length=64,
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
            `target_column`.
        train_size: training pairs (built-in data: generated; TSV: the first
            lines, `None` for all).
        validation_size: pairs of the built-in data set's validation split scored
            after every epoch (`val_loss`, `val_masked_accuracy`); 0 for none.
        epochs, batch_size: as in `fit`.
        learning_rate, warmup_steps: replace the model's training policy's
            (`None`: the family's, see `keras_attn.models.TrainingPolicy`).
        tokenizer: "word", "subword" or "character".
        max_length: longest source and target in tokens (longer ones are cut).
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
    arguments = dict(
        preset=preset, dataset=dataset, tsv=tsv and os.path.abspath(tsv), source_column=source_column,
        target_column=target_column, train_size=train_size, validation_size=validation_size, epochs=epochs,
        batch_size=batch_size, learning_rate=learning_rate, warmup_steps=warmup_steps, tokenizer=tokenizer,
        max_length=max_length, seed=seed, overrides=overrides,
    )
    check_arguments(preset, tokenizer, overrides)
    strategy, distribution = resolve_strategy(strategy, batch_size)
    run = RunDirectory(distribute.worker_directory(output_dir, strategy))
    run.check_writable()
    previous = run.previous_run(arguments, overwrite)
    pairs = load_corpus(dataset, "train", train_size, seed, tsv, source_column, target_column)
    check_not_empty(pairs, tsv, source_column, target_column)
    run.write_record({"arguments": arguments, "finished": False, "distribution": distribution})
    source_tokenizer, target_tokenizer = prepare_tokenizers(run, pairs, tokenizer, resume=previous is not None)
    model = build_model(preset, source_tokenizer, target_tokenizer, strategy, seed, learning_rate, warmup_steps,
                        overrides)
    batches, validation = make_datasets(pairs, source_tokenizer, target_tokenizer, dataset, tsv, validation_size,
                                        batch_size, max_length, seed)
    seconds = fit(model, batches, validation, run, epochs, batch_size, save_every, callbacks, verbose)
    translator = Translator(model, source_tokenizer, target_tokenizer, max_length=max_length,
                            max_source_length=max_length)
    finish_run(run, translator, distribute.is_chief(strategy), dict(arguments=arguments, distribution=distribution,
                                                                     train_seconds=round(seconds, 1)))
    return translator


# --------------------------------------------------------------------------- #
# The steps
# --------------------------------------------------------------------------- #


def check_arguments(preset, tokenizer, overrides):
    """Refuses a preset that does not translate, an unknown tokenizer or a preset
    argument its builder does not take, before anything is written."""
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


def prepare_tokenizers(run, pairs, kind, resume):
    """The run's `(source, target)` tokenizers: those saved by the run being resumed, or
    new ones learned from `pairs` and saved before training."""
    saved = run.load_tokenizers() if resume else None
    if saved is not None:
        return saved
    source = TOKENIZERS[kind].from_corpus(pairs.map(lambda s, t, *_: s))
    target = TOKENIZERS[kind].from_corpus(pairs.map(lambda s, t, *_: t))
    run.save_tokenizers(source, target)
    return source, target


def build_model(preset, source_tokenizer, target_tokenizer, strategy, seed, learning_rate=None, warmup_steps=None,
                overrides=None):
    """The preset's model for the tokenizers' vocabularies, compiled by its training policy.

    Built and compiled in `strategy.scope()`; the policy decides XLA (never under a
    strategy: a mirrored step cannot reach variables on several devices).
    """
    keras.utils.set_random_seed(seed)
    with strategy.scope():
        model = models.from_preset(preset, source_tokenizer.vocabulary_size(), target_tokenizer.vocabulary_size(),
                                   **(overrides or {}))
        model.compile(**model.default_compile_kwargs(learning_rate=learning_rate, warmup_steps=warmup_steps))
    return model


def make_datasets(pairs, source_tokenizer, target_tokenizer, dataset, tsv, validation_size, batch_size, max_length,
                  seed):
    """Training batches, and validation batches from a built-in data set's validation split (or `None`)."""
    batches = distribute.shard_by_example(data.make_training_dataset(
        pairs, source_tokenizer, target_tokenizer, batch_size=batch_size, max_length=max_length, seed=seed))
    if tsv is not None or not validation_size:
        return batches, None
    validation = distribute.shard_by_example(data.make_training_dataset(
        load_corpus(dataset, "validation", validation_size, seed), source_tokenizer, target_tokenizer,
        batch_size=batch_size, max_length=max_length, validation=True,
    ))
    return batches, validation


def fit(model, batches, validation, run, epochs, batch_size, save_every=None, callbacks=(), verbose=1):
    """`model.fit` with the run's checkpoints and history; returns the training seconds."""
    all_callbacks = [
        ResilientBackupAndRestore(run.backup_dir, save_freq=save_every or "epoch", double_checkpoint=True),
        keras.callbacks.CSVLogger(run.history_path, append=True),
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
