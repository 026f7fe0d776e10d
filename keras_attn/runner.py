"""End-to-end runs: corpus → tokenizers → preset model → `fit` → a saved `Translator`.

What `keras-attn train`, `evaluate`, `translate` and `quickstart` do, callable from
Python. A run directory holds everything needed to resume, evaluate or export:

    run.json            the arguments of the run, and whether it finished
    tokenizers/         source/ and target/ (written before training, so a resumed
                        run uses the same vocabularies)
    backup/             BackupAndRestore's checkpoint (the last two, so a corrupted
                        one falls back to the previous); removed when training ends
    history.csv         one row per epoch (appended across resumptions)
    training_curves.png loss and masked accuracy per epoch
    translator/         the trained `Translator` (`Translator.load`)

In a multi-worker run only the chief writes there; every other worker keeps its own
run.json, tokenizers/, backup/ and history.csv in `workertemp_<task id>/` (to
resume from), removed when training ends.
"""

import csv
import json
import os
import sys
import time
import warnings

import keras
import tensorflow as tf

from keras_attn import data
from keras_attn import distribute
from keras_attn import experiments
from keras_attn import metrics
from keras_attn import models
from keras_attn.translator import Translator

RUN_FILE = "run.json"
TRANSLATOR_DIR = "translator"
TOKENIZERS = {"word": data.WordTokenizer, "subword": data.SubwordTokenizer, "character": data.CharacterTokenizer}


class RunError(ValueError):
    """A user mistake in a run's arguments or files: the CLI prints it without a traceback."""


# What h5py and json raise on a damaged file (which one depends on where the damage is).
_UNREADABLE = (OSError, ValueError, KeyError, RuntimeError)


class _BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` that survives any damaged checkpoint, and says so.

    Keras falls back to the previous checkpoint only on an `OSError` (a truncated or
    empty weights file), silently; a weights file damaged inside (h5py raises
    `ValueError` or `RuntimeError`) or a truncated `training_metadata.json` (a kill
    while writing it) stopped the run.
    Here any unreadable checkpoint is reported on stderr and the previous one is used;
    if that is unreadable too, the run stops with a `RunError` naming the folder.
    """

    def on_train_begin(self, logs=None):
        try:
            self._load_model()
            return
        except _UNREADABLE as error:
            damaged = error
        reason = (str(damaged).strip().splitlines() or [type(damaged).__name__])[0]
        if not os.path.exists(self._prev_weights_path):
            raise RunError(f"{self.backup_dir}: the checkpoint is unreadable ({reason}) and there is no previous "
                           "one; remove that folder to restart the run from scratch.") from damaged
        print(f"keras-attn: the checkpoint in {self.backup_dir} is unreadable ({reason}); resuming from the "
              "previous checkpoint.", file=sys.stderr)
        for previous, latest in ((self._prev_weights_path, self._weights_path),
                                 (self._prev_training_metadata_path, self._training_metadata_path)):
            if os.path.exists(previous):
                tf.io.gfile.copy(previous, latest, overwrite=True)
            elif os.path.exists(latest):
                os.remove(latest)
        try:
            self._load_model()
        except _UNREADABLE as error:
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise RunError(f"{self.backup_dir}: both checkpoints are unreadable ({reason}); remove that folder to "
                           "restart the run from scratch.") from error


# --------------------------------------------------------------------------- #
# Corpora
# --------------------------------------------------------------------------- #


def load_corpus(dataset="ko-en", split="train", size=None, seed=0, tsv=None, source_column=0, target_column=1,
                **options):
    """`(source, target)` string pairs from a built-in data set or a TSV file.

    A TSV corpus has no splits of its own: its first `size` lines (default: all) are
    read for every split; hold out a test set in a separate file.
    """
    if tsv is not None:
        if not os.path.isfile(tsv):
            raise RunError(f"--tsv {tsv}: no such file.")
        pairs = data.read_parallel_tsv(tsv, source_column=source_column, target_column=target_column)
        return pairs.take(size) if size else pairs
    if dataset not in data.available():
        raise RunError(f"--data {dataset!r}: unknown data set; expected one of {sorted(data.available())} "
                       "or --tsv PATH.")
    return data.load(dataset, split, size=size, seed=seed, **options)


def _check_not_empty(pairs, tsv, source_column, target_column):
    """Refuses a corpus without one usable pair, before anything is written.

    Otherwise `fit` runs no step and a useless translator is saved (an empty TSV, a
    UTF-16 or Latin-1 file, or wrong columns: the reader skips every line).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", data.MalformedLinesWarning)
        empty = not any(True for _ in pairs.take(1))
    if empty:
        skipped = [str(w.message) for w in caught if issubclass(w.category, data.MalformedLinesWarning)]
        where = f"--tsv {tsv}" if tsv else "the corpus"
        detail = f" ({skipped[0]})" if skipped else ""
        hint = (f"; expected UTF-8 text with the source in column {source_column} and the target in column "
                f"{target_column} (0-based, tab-separated)") if tsv else ""
        raise RunError(f"{where}: no usable sentence pair{detail}{hint}.")


# --------------------------------------------------------------------------- #
# Training
# --------------------------------------------------------------------------- #


def _family(preset):
    return models.presets.PRESETS[preset]["builder"]


def xla_wins(preset):
    """Whether `train` compiles `preset`'s training step with XLA.

    Measured on a 2-core CPU (docs/performance.md): XLA speeds a recurrent model's
    step up 1.42× (tiny_bahdanau: its time loop's many small ops fuse), and slows a
    Transformer's down (tiny_transformer 0.93×; 2 layers of d_model 256: 0.94×, and
    0.74× in mixed_bfloat16), whose step is a few large matmuls already.
    """
    return _family(preset) == "seq2seq"


def _compile(model, preset, learning_rate, warmup_steps, jit_compile=True):
    if _family(preset) == "transformer":
        if learning_rate:
            models.compile_for_translation(
                model, optimizer=keras.optimizers.Adam(learning_rate, beta_2=0.98, epsilon=1e-9),
                label_smoothing=0.1, jit_compile=jit_compile,
            )
        else:
            models.compile_transformer(model, warmup_steps=warmup_steps, jit_compile=jit_compile)
    else:
        models.compile_for_translation(model, optimizer=keras.optimizers.Adam(learning_rate or 3e-3),
                                       jit_compile=jit_compile)


def _strategy(strategy, batch_size):
    """The `tf.distribute.Strategy` of `train(strategy=...)` and its record for run.json."""
    if isinstance(strategy, tf.distribute.Strategy):
        name = type(strategy).__name__
    elif strategy in (None, *distribute.STRATEGIES):
        name = strategy or "default"
        # Before any other TensorFlow work of the run: MultiWorkerMirroredStrategy
        # configures collective ops, which TensorFlow wants before it makes a tensor.
        strategy = distribute.make_strategy(name)
    else:
        raise RunError(f"--strategy {strategy!r}: expected one of {list(distribute.STRATEGIES)}.")
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise RunError(f"--batch-size {batch_size}: not divisible by the {replicas} replicas of --strategy {name} "
                       f"(each computes an equal share of the global batch); use a multiple of {replicas}.")
    return strategy, {"strategy": name, "replicas": replicas, "per_replica_batch_size": batch_size // replicas}


def _read_run(output_dir):
    path = os.path.join(output_dir, RUN_FILE)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, json.JSONDecodeError) as error:
        raise RunError(f"{path}: unreadable run record ({error}); remove the directory or pick another.") from error


def _write_json(path, record):
    """Writes `record` atomically: a crash leaves the old file or the new one."""
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(record, file, indent=2, ensure_ascii=False)
        file.write("\n")
    os.replace(temporary, path)


def _check_writable(output_dir):
    try:
        os.makedirs(output_dir, exist_ok=True)
        probe = os.path.join(output_dir, ".write_test")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as error:
        raise RunError(f"--output-dir {output_dir}: cannot write there ({error.strerror}).") from error


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
    warmup_steps=1000,
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
        output_dir: the run directory (see the module docstring).
        preset: an encoder-decoder preset of `keras_attn.models.list_presets()`.
        dataset: a built-in data set (`keras_attn.data.available()`), or
        tsv: a tab-separated corpus, with its 0-based `source_column` and
            `target_column`.
        train_size: training pairs (built-in data: generated; TSV: the first
            lines, `None` for all).
        validation_size: pairs of the built-in data set's validation split scored
            after every epoch (`val_loss`, `val_masked_accuracy`); 0 for none.
        epochs, batch_size: as in `fit`.
        learning_rate: Adam's learning rate (default 3e-3 for RNNs; the warm-up
            schedule of Vaswani et al. with `warmup_steps` for Transformers).
        tokenizer: "word", "subword" or "character".
        max_length: longest source and target in tokens (longer ones are cut).
        seed: seeds the data, the shuffle and the initial weights.
        save_every: checkpoint every this many steps (default: every epoch).
        verbose: Keras progress bars (1), a line per epoch (2) or silence (0).
        strategy: "default" (or `None`: one device), "mirrored" (the GPUs, or
            the logical CPU devices, of this machine), "multi_worker" (the
            cluster of the `TF_CONFIG` environment variable), or a
            `tf.distribute.Strategy` (e.g. a `MirroredStrategy` on chosen
            devices); see docs/distributed.md. `batch_size` stays the global
            batch: each of N replicas computes `batch_size / N` examples. Not one
            of the arguments compared on resume: a run may resume under another.
        callbacks: more Keras callbacks for `fit` (e.g. to log every step).
        overrides: replace preset arguments (e.g. `units=64`).

    Returns:
        The trained `Translator`.
    """
    arguments = dict(
        preset=preset, dataset=dataset, tsv=tsv and os.path.abspath(tsv), source_column=source_column,
        target_column=target_column, train_size=train_size, validation_size=validation_size, epochs=epochs,
        batch_size=batch_size, learning_rate=learning_rate, warmup_steps=warmup_steps, tokenizer=tokenizer, max_length=max_length,
        seed=seed, overrides=overrides,
    )
    if preset not in models.presets.PRESETS or _family(preset) not in ("seq2seq", "transformer"):
        translation = sorted(n for n in models.presets.PRESETS if _family(n) in ("seq2seq", "transformer"))
        raise RunError(f"--model {preset!r}: not a translation preset; expected one of {translation}.")
    if tokenizer not in TOKENIZERS:
        raise RunError(f"--tokenizer {tokenizer!r}: expected one of {sorted(TOKENIZERS)}.")
    strategy, distribution = _strategy(strategy, batch_size)
    chief = distribute.is_chief(strategy)
    run_dir = distribute.worker_directory(output_dir, strategy)
    _check_writable(run_dir)
    previous = _read_run(run_dir)
    if previous is not None:
        if previous.get("finished") and not overwrite:
            raise RunError(f"{run_dir} holds a finished run; pass --overwrite to train again, or pick "
                           "another --output-dir.")
        if previous["arguments"] != arguments and not overwrite:
            changed = sorted(k for k in arguments if previous["arguments"].get(k) != arguments[k])
            raise RunError(f"{run_dir} holds an unfinished run with other arguments ({', '.join(changed)}); "
                           "rerun with the same arguments to resume, or pass --overwrite.")
    if overwrite or previous is None:
        for stale in ("backup", "history.csv", TRANSLATOR_DIR):
            path = os.path.join(run_dir, stale)
            if os.path.isdir(path):
                tf.io.gfile.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)
        previous = None
    pairs = load_corpus(dataset, "train", train_size, seed, tsv, source_column, target_column)
    _check_not_empty(pairs, tsv, source_column, target_column)
    _write_json(os.path.join(run_dir, RUN_FILE),
                {"arguments": arguments, "finished": False, "distribution": distribution})

    source_dir, target_dir = (os.path.join(run_dir, "tokenizers", side) for side in ("source", "target"))
    if previous is not None and os.path.exists(os.path.join(target_dir, "tokenizer.json")):
        source_tokenizer, target_tokenizer = data.Tokenizer.load(source_dir), data.Tokenizer.load(target_dir)
    else:
        tokenizer_class = TOKENIZERS[tokenizer]
        source_tokenizer = tokenizer_class.from_corpus(pairs.map(lambda s, t, *_: s))
        target_tokenizer = tokenizer_class.from_corpus(pairs.map(lambda s, t, *_: t))
        source_tokenizer.save(source_dir)
        target_tokenizer.save(target_dir)

    keras.utils.set_random_seed(seed)
    with strategy.scope():
        distributed = tf.distribute.has_strategy()  # False for the default strategy
        model = models.from_preset(preset, source_tokenizer.vocabulary_size(), target_tokenizer.vocabulary_size(),
                                   **overrides)
        # No XLA under a strategy: a mirrored step fails (its replicas' variables live
        # on several devices: "Trying to access resource ... located in device"), and
        # a multi-worker one too (XLA_CPU_JIT has no kernel for CollectiveGatherV2,
        # which gathers the embeddings' sparse gradients).
        _compile(model, preset, learning_rate, warmup_steps, jit_compile=not distributed and xla_wins(preset))
    batches = distribute.shard_by_example(data.make_training_dataset(
        pairs, source_tokenizer, target_tokenizer, batch_size=batch_size, max_length=max_length, seed=seed))
    validation = None
    if tsv is None and validation_size:
        validation = distribute.shard_by_example(data.make_training_dataset(
            load_corpus(dataset, "validation", validation_size, seed), source_tokenizer, target_tokenizer,
            batch_size=batch_size, max_length=max_length, validation=True,
        ))
    history_path = os.path.join(run_dir, "history.csv")
    all_callbacks = [
        _BackupAndRestore(os.path.join(run_dir, "backup"), save_freq=save_every or "epoch",
                          double_checkpoint=True),
        keras.callbacks.CSVLogger(history_path, append=True),
        *callbacks,
    ]
    start = time.perf_counter()
    try:
        model.fit(batches, validation_data=validation, epochs=epochs, callbacks=all_callbacks, verbose=verbose,
                  shuffle=False)
    except StopIteration as empty:
        # Under a strategy Keras draws a first batch to build the model; without one it escapes `fit`.
        raise RunError(f"--batch-size {batch_size}: the corpus gives no full training batch (batches hold "
                       "sentences of similar length); lower --batch-size or raise --size.") from empty
    seconds = time.perf_counter() - start

    translator = Translator(model, source_tokenizer, target_tokenizer, max_length=max_length,
                            max_source_length=max_length)
    if not chief:
        tf.io.gfile.rmtree(run_dir)  # its checkpoints are only needed to resume
        return translator
    translator.save(os.path.join(run_dir, TRANSLATOR_DIR), overwrite=True)
    _plot_history(history_path, os.path.join(run_dir, "training_curves.png"), preset)
    _write_json(os.path.join(run_dir, RUN_FILE), {"arguments": arguments, "finished": True,
                                                  "distribution": distribution, "train_seconds": round(seconds, 1)})
    return translator


def _plot_history(history_path, path, title):
    from keras_attn import viz

    with open(history_path, encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    # A resumed run may repeat an epoch: the last row of each epoch wins.
    by_epoch = {int(row["epoch"]): row for row in rows}
    # CSVLogger writes "NA" for metrics an epoch did not produce.
    history = {key: [float(by_epoch[e][key]) for e in sorted(by_epoch)] for key in rows[0]
               if key != "epoch" and all(by_epoch[e][key] != "NA" for e in by_epoch)}
    viz.training_curves(history, path=path, title=title)


# --------------------------------------------------------------------------- #
# Using a trained run
# --------------------------------------------------------------------------- #


def load_translator(path, **settings):
    """A `Translator` from a run directory or a `Translator.save` directory."""
    for candidate in (os.path.join(path, TRANSLATOR_DIR), path):
        if os.path.isdir(candidate) and os.path.exists(os.path.join(candidate, "translator.json")):
            return Translator.load(candidate, compile=False, **settings)
    raise RunError(f"{path}: no trained translator there (expected a run directory from `keras-attn train` "
                   "or a folder written by Translator.save).")


def is_saved_model(path):
    return os.path.isfile(os.path.join(path, "saved_model.pb"))


def translate(path, sentences, beam_size=None):
    """Translations of `sentences` by a run directory, a saved translator or a SavedModel."""
    if is_saved_model(path):
        serving = tf.saved_model.load(path).signatures["serving_default"]
        outputs = serving(text=tf.constant(list(sentences), tf.string))
        return [t.decode("utf-8") for t in outputs["translation"].numpy()]
    return load_translator(path).translate(list(sentences), beam_size=beam_size)


def evaluate(path, dataset="ko-en", tsv=None, source_column=0, target_column=1, size=500, seed=0,
             beam_size=None):
    """BLEU and exact match of a trained translator on held-out pairs (+ AER on ko-en).

    Built-in data sets are scored on their `test` split; a TSV file on its first
    `size` lines.
    """
    translator = load_translator(path)
    if tsv is None and dataset == "ko-en":
        examples = list(data.generate("ko-en", "test", size=size, seed=seed))
        pairs = [(e.source, e.target) for e in examples]
    else:
        examples = None
        pairs = [(s.decode("utf-8"), t.decode("utf-8")) for s, t, *_ in
                 load_corpus(dataset, "test", size, seed, tsv, source_column, target_column).as_numpy_iterator()]
    if not pairs:
        raise RunError("evaluate: the evaluation corpus is empty.")
    hypotheses = translator.translate([s for s, _ in pairs], beam_size=beam_size)
    references = [data.normalize(t) for _, t in pairs]
    scores = {
        "sentences": len(pairs),
        "bleu": round(metrics.corpus_bleu(hypotheses, references), 2),
        "exact_match": round(metrics.exact_match(hypotheses, references), 4),
    }
    has_attention = getattr(translator.model, "attention", "attention") is not None
    if examples is not None and has_attention and isinstance(translator.source_tokenizer, data.WordTokenizer):
        scores["aer"] = round(experiments.attention_alignment_error_rate(
            translator.model, examples, translator.source_tokenizer, translator.target_tokenizer), 4)
    return scores


def plot_attention(path, sentence, output, beam_size=None):
    """Writes the attention heatmap of `sentence`'s translation to `output` (PNG)."""
    from keras_attn import viz

    translator = load_translator(path)
    attention = translator.attention(sentence, beam_size=beam_size)
    viz.attention_heatmap(attention.weights, attention.source_tokens, attention.target_tokens,
                          title=f"{sentence} → {attention.translation}", path=output)
    return attention


# --------------------------------------------------------------------------- #
# Quickstart
# --------------------------------------------------------------------------- #

QUICKSTART_MODELS = {
    # name: (preset, train() arguments). Sized to finish together in < 5 min on 2 cores.
    "ko_en_bahdanau": ("tiny_bahdanau", dict(train_size=12_000, epochs=4, units=128, embedding_dim=64)),
    "ko_en_transformer": ("tiny_transformer", dict(train_size=12_000, epochs=6, learning_rate=1e-3, dropout=0.0)),
}
# `quickstart(smoke=True)`: the same steps on a toy budget, to check the plumbing.
QUICKSTART_SMOKE = dict(train_size=300, validation_size=50, epochs=1)
QUICKSTART_SAMPLES = ("나는 밥을 먹었다", "그녀는 말을 탔어", "소년이 편지를 읽었고 공항에 빨리 걸어간다")


def quickstart(output_dir="runs/quickstart", saved_models_dir="saved_models", models_to_train=None, smoke=False,
               verbose=1, print_fn=print):
    """Trains a Bahdanau seq2seq and a Transformer on ko-en, reports, plots and exports them.

    For each model: trains it (`train`), prints its BLEU / exact match / AER on
    500 held-out sentences and sample translations, writes the attention heatmap
    of "나는 밥을 먹었다", and exports a SavedModel to `saved_models_dir/<name>/<version>`.
    `smoke=True` trains on `QUICKSTART_SMOKE`'s toy budget (for tests).

    Returns:
        `{name: {"run_dir", "saved_model", "heatmap", "scores", "samples"}}`.
    """
    from keras_attn import export

    results = {}
    for name in models_to_train or QUICKSTART_MODELS:
        preset, arguments = QUICKSTART_MODELS[name]
        if smoke:
            arguments = {**arguments, **QUICKSTART_SMOKE}
        run_dir = os.path.join(output_dir, name)
        print_fn(f"\n== {name}: training {preset} on ko-en ==")
        start = time.perf_counter()
        translator = train(run_dir, preset=preset, verbose=verbose, overwrite=True, **arguments)
        scores = evaluate(run_dir, size=50 if smoke else 500)
        samples = dict(zip(QUICKSTART_SAMPLES, translator.translate(list(QUICKSTART_SAMPLES))))
        heatmap = os.path.join(run_dir, "attention_나는_밥을_먹었다.png")
        plot_attention(run_dir, QUICKSTART_SAMPLES[0], heatmap)
        saved_model = export.export(translator, saved_models_dir, name)
        results[name] = dict(run_dir=run_dir, saved_model=saved_model, heatmap=heatmap, scores=scores,
                             samples=samples, seconds=round(time.perf_counter() - start, 1))
        print_fn(f"{name}: " + ", ".join(f"{k} {v}" for k, v in scores.items()) + f" ({results[name]['seconds']} s)")
        for source, translation in samples.items():
            print_fn(f"  {source}  →  {translation}")
    print_fn("\nWritten:")
    for name, result in results.items():
        print_fn(f"  {name}: run {result['run_dir']}, heatmap {result['heatmap']}, SavedModel {result['saved_model']}")
    print_fn("\nServe them with TensorFlow Serving (see docs/serving.md):")
    for name, result in results.items():
        print_fn("  " + serving_command(os.path.dirname(result["saved_model"]), name))
    return results


def serving_command(model_base_path, name):
    """The `docker run tensorflow/serving` command that serves `model_base_path` as `name`."""
    return (f"docker run --rm -p 8501:8501 -p 8500:8500 --mount type=bind,source={os.path.abspath(model_base_path)},"
            f"target=/models/{name} -e MODEL_NAME={name} tensorflow/serving:latest")
