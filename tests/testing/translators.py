"""Tiny translators and what the export, serving and CLI tests do with them.

- `untrained_translator(family)` / `trained_copy_translator()`: tiny translators, built
  once per test process; `save_untrained_run(folder)` saves one as a run folder (enough
  to evaluate, plot or export); `run_cli(capsys, *argv)` runs `keras-attn` in-process.
- `run_fresh_process` runs `FRESH_PROCESS_SCRIPT` in a new Python process that imports
  only `tensorflow` and then `tensorflow_text`, exactly what a serving binary links: it
  lists the ops of each exported SavedModel (graph and function library), classifies
  them as core TensorFlow, TensorFlow Text or unknown, loads each export with the TF1
  loader (`tf.compat.v1.saved_model.loader.load`) and runs `serving_default` through a
  session on the given batches.
- `hammer` calls a loaded `serving_default` from several threads on random batches of
  `LOAD_TEXTS` (tests/test_export.py briefly, benchmarks/serving_soak.py for long).
"""

import functools
import importlib
import json
import os
import random
import subprocess
import sys
import threading
import time

import numpy as np

FRESH_PROCESS_SCRIPT = r'''
import json, sys
spec = json.load(open(sys.argv[1]))

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow.python.framework import op_def_registry

xla = {}

def graph_ops(path):
    saved = saved_model_pb2.SavedModel()
    with open(path + "/saved_model.pb", "rb") as f:
        saved.ParseFromString(f.read())
    ops, compiled = set(), []
    for meta in saved.meta_graphs:
        nodes = list(meta.graph_def.node)
        for function in meta.graph_def.library.function:
            nodes += list(function.node_def)
            if function.attr["_XlaMustCompile"].b:
                compiled.append(function.signature.name)
        for node in nodes:
            ops.add(node.op)
            if node.attr["_XlaMustCompile"].b:
                compiled.append(node.name)
    xla[path] = compiled
    return ops

listed = spec["paths"] + spec.get("list_only", [])
all_ops = {path: graph_ops(path) for path in listed}
core = {op for ops in all_ops.values() for op in ops if op_def_registry.get(op) is not None}

import tensorflow_text  # registers the TF Text ops, as the model server links them
text_ops = {op for ops in all_ops.values() for op in ops if op not in core and op_def_registry.get(op) is not None}
result = {"ops": {}, "outputs": {}, "signature": {}}
for path, ops in all_ops.items():
    result["ops"][path] = {
        "core": sorted(ops & core),
        "text": sorted(ops & text_ops),
        "unknown": sorted(ops - core - text_ops),
        "xla": xla[path],
    }

def decode(value):
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value.decode("utf-8") if isinstance(value, bytes) else value

def jsonable(value):
    return {"shape": list(value.shape), "value": decode(value.tolist())}

for path in spec["paths"]:
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], path)
        signature = meta.signature_def["serving_default"]
        result["signature"][path] = {
            "method": signature.method_name,
            "inputs": {k: [v.dtype, [d.size for d in v.tensor_shape.dim]] for k, v in signature.inputs.items()},
            "outputs": {k: [v.dtype, [d.size for d in v.tensor_shape.dim]] for k, v in signature.outputs.items()},
        }
        fetches = {k: v.name for k, v in signature.outputs.items()}
        runs = []
        for batch in spec["batches"]:
            feed = [bytes.fromhex(item) for item in batch]
            values = sess.run(fetches, {signature.inputs["text"].name: feed})
            runs.append({k: jsonable(v) for k, v in values.items()})
        result["outputs"][path] = runs
json.dump(result, open(sys.argv[2], "w"))
'''


def run_fresh_process(paths, batches, workdir, list_only=(), timeout=300):
    """Runs `FRESH_PROCESS_SCRIPT` on SavedModel `paths` with input `batches`.

    Args:
        paths: SavedModel folders.
        batches: lists of str (sent as UTF-8) or bytes (sent as they are, e.g.
            invalid UTF-8).
        workdir: a folder for the script's input and output files.
        list_only: SavedModels whose ops are listed but which are not run.

    Returns:
        The script's JSON result: {"ops": {path: {"core", "text", "unknown",
        "xla" (nodes/functions marked for XLA)}},
        "signature": {path: ...}, "outputs": {path: [per-batch outputs]}}.
    """
    os.makedirs(workdir, exist_ok=True)
    workdir = os.path.abspath(workdir)
    script = os.path.join(workdir, "fresh_process.py")
    spec_path = os.path.join(workdir, "spec.json")
    out_path = os.path.join(workdir, "result.json")
    with open(script, "w") as f:
        f.write(FRESH_PROCESS_SCRIPT)
    with open(spec_path, "w") as f:
        # Hex on the way in, so any bytes (invalid UTF-8 included) survive JSON.
        hexed = [[(item.encode("utf-8") if isinstance(item, str) else item).hex() for item in batch] for batch in batches]
        json.dump({"paths": [os.path.abspath(p) for p in paths], "batches": hexed,
                   "list_only": [os.path.abspath(p) for p in list_only]}, f)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    completed = subprocess.run(
        [sys.executable, script, spec_path, out_path], capture_output=True, text=True, timeout=timeout, env=env,
        cwd=workdir,
    )
    if completed.returncode != 0:
        raise AssertionError(f"fresh-process check failed ({completed.returncode}):\n{completed.stderr[-5000:]}")
    with open(out_path) as f:
        result = json.load(f)
    # Keys were absolute paths; map them back to the caller's.
    mapping = {os.path.abspath(p): p for p in [*paths, *list_only]}
    return {section: {mapping[k]: v for k, v in values.items()} for section, values in result.items()}


# Concurrent requests to a loaded SavedModel ------------------------------------------

# Odd inputs on purpose: empty, whitespace, unknown words, mixed scripts, long, emoji.
LOAD_TEXTS = ["나는 밥을 먹었다", "", "   ", "그는 학교에 갔다", "xyzzy plugh", "나는 나는 나는 " * 12, "🙂 안녕!",
              "Ünïcödé ＦＵＬＬＷＩＤＴＨ", "그녀는 책을 읽었다 그리고 나는 밥을 먹었다"]


def rss_bytes():
    """Resident set size of this process, from /proc (Linux)."""
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def answers(outputs):
    return {key: value.numpy() for key, value in outputs.items()}


def hammer(serving, expected, threads, seconds, seed=0):
    """Calls `serving` from `threads` threads for `seconds`; returns the figures.

    Each request is a random batch (1-4) of LOAD_TEXTS; its outputs are compared row by
    row with the single-threaded answers in `expected` (text → outputs for a batch of one).
    """
    import tensorflow as tf

    stop = time.monotonic() + seconds
    counts, errors, mismatches = [0] * threads, [], []

    def worker(index):
        rng = random.Random(seed + index)
        while time.monotonic() < stop:
            batch = [rng.choice(LOAD_TEXTS) for _ in range(rng.randint(1, 4))]
            try:
                got = answers(serving(text=tf.constant(batch)))
            except Exception as error:  # noqa: BLE001 - any failure is a finding
                errors.append(repr(error))
                continue
            counts[index] += 1
            for row, text in enumerate(batch):
                want = expected[text]
                # Only translation/scores are batch-independent in content; token and
                # attention outputs are padded to the batch's longest row.
                if got["translation"][row] != want["translation"][0] or not np.allclose(
                        got["scores"][row], want["scores"][0], atol=1e-4):
                    mismatches.append((text, got["translation"][row], want["translation"][0]))

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return {"requests": sum(counts), "errors": errors, "mismatches": mismatches}


# Tiny translators, built once per test process --------------------------------------

# (family, model options, tokenizer class name, translator settings). Tokenizer
# kinds vary so that every in-graph tokenizer path is exported once.
FAMILIES = {
    "fixed_context": (
        "seq2seq", dict(cell="lstm", attention=None), "WordTokenizer",
        dict(strategy="greedy", max_length=10, max_source_length=12),
    ),
    "bahdanau": (
        "seq2seq", dict(cell="gru", attention="bahdanau", bidirectional=True), "SubwordTokenizer",
        dict(strategy="beam", beam_size=3, length_penalty=0.6, max_length=10, max_source_length=12),
    ),
    "luong": (
        "seq2seq", dict(cell="gru", attention="luong"), "CharacterTokenizer",
        dict(strategy="beam", beam_size=2, length_penalty=0.0, max_length=10, max_source_length=16),
    ),
    "transformer": (
        "transformer", dict(num_layers=1, d_model=16, num_heads=2, d_ff=32, dropout=0.0), "WordTokenizer",
        dict(strategy="beam", beam_size=2, max_length=10, max_source_length=12),
    ),
}


def transformer_builder():
    """The Transformer builder if the family exists in this checkout, else None."""
    try:
        return importlib.import_module("keras_attn.models.transformer").transformer
    except (ImportError, AttributeError):
        return None


def available_families():
    return [name for name, spec in FAMILIES.items() if spec[0] != "transformer" or transformer_builder()]


@functools.lru_cache(maxsize=None)
def ko_en_pairs(size=300):
    from keras_attn import data

    return tuple(data.to_pairs(data.load("ko-en", "train", size=size, seed=0)))


@functools.lru_cache(maxsize=None)
def tokenizers(kind):
    """(source, target) tokenizers of `kind` over the small ko-en corpus."""
    import warnings

    from keras_attn import data

    pairs = ko_en_pairs()
    cls = getattr(data, kind)
    options = {"vocabulary_size": 200} if kind == "SubwordTokenizer" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a small subword vocabulary drops rare characters
        source = cls.from_corpus([p[0] for p in pairs], **options)
    target = data.WordTokenizer.from_corpus([p[1] for p in pairs])
    return source, target


@functools.lru_cache(maxsize=None)
def untrained_translator(family):
    """An untrained (seeded) tiny translator of `family`; equality tests need no training."""
    import keras

    from keras_attn import models
    from keras_attn.translator import Translator

    builder_name, options, kind, settings = FAMILIES[family]
    source, target = tokenizers(kind)
    keras.utils.set_random_seed(0)
    builder = transformer_builder() if builder_name == "transformer" else models.seq2seq
    if builder_name == "seq2seq":
        options = dict(options, embedding_dim=16, units=16)
    model = builder(source.vocabulary_size(), target.vocabulary_size(), name=family, **options)
    return Translator(model, source, target, **settings)


@functools.lru_cache(maxsize=None)
def trained_copy_translator():
    """A GRU + Bahdanau translator trained (a few seconds) to copy 2–5 digit sequences."""
    import warnings

    import keras

    from keras_attn import data
    from keras_attn import models
    from keras_attn.translator import Translator

    pairs = data.to_pairs(data.load("copy", "train", size=2000, seed=0, min_length=2, max_length=5))
    source = data.WordTokenizer.from_corpus([p[0] for p in pairs])
    target = data.WordTokenizer.from_corpus([p[1] for p in pairs])
    keras.utils.set_random_seed(0)
    model = models.seq2seq(source.vocabulary_size(), target.vocabulary_size(), cell="gru",
                           attention="bahdanau", embedding_dim=16, units=32)
    model.compile(**model.default_compile_kwargs(learning_rate=1e-2))
    batches = data.make_dataset(pairs, source, target, batch_size=64, shuffle=True, seed=0, bucket_boundaries=None,
                                cache=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "ran out of data" at each epoch end of a finite dataset
        model.fit(batches, epochs=5, verbose=0, shuffle=False)
    return Translator(model, source, target, strategy="greedy", max_length=8, max_source_length=8)


def save_untrained_run(folder, family="fixed_context"):
    """`folder/run`, a run folder holding an (untrained) saved translator: enough to
    evaluate, plot or export it. Returns its path (str)."""
    path = os.path.join(str(folder), "run")
    untrained_translator(family).save(os.path.join(path, "translator"))
    return path


def run_cli(capsys, *argv):
    """`keras-attn *argv` in this process: (exit code, stdout, stderr)."""
    from keras_attn import cli

    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
