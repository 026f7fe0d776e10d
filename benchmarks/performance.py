"""keras_attn against what a user would pick instead: speed, FLOP/s and memory.

Sections (each contestant runs in this process, interleaved with its peers, and
the median of the repeats is reported):

  layers    forward+backward time of our attention layers vs Keras' and keras-hub's
            at sequence lengths 64..1024
  flops     achieved GFLOP/s of scaled dot-product attention vs a plain matmul of
            the same size, and where the forward time goes
  training  target tokens/s of our Transformer vs a same-size model built from
            keras-hub's TransformerEncoder/Decoder; with and without XLA, float32
            and mixed_bfloat16
  decoding  greedy and beam search, with and without the KV cache
  memory    peak RSS of one forward+backward vs sequence length (a fresh process
            per point, since peak RSS only grows)

Writes benchmarks/results/performance.md and performance.png.

    python benchmarks/performance.py                       # everything (about 20 min on 2 cores)
    python benchmarks/performance.py --sections layers     # one section, merged into the results
    python benchmarks/performance.py --smoke               # seconds, to check the plumbing
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from keras_attn import decoding
from keras_attn import layers
from keras_attn import models
from kv_cache_decoding import never_ending  # benchmarks/ is on the path of its scripts

tf.get_logger().setLevel("ERROR")  # one tf.function per contestant: retracing warnings are expected

RESULTS_DIR = pathlib.Path(__file__).resolve().parent / "results"
RAW_RESULTS = RESULTS_DIR / "performance.json"
SECTIONS = ("layers", "flops", "training", "decoding", "memory")
LENGTHS = (64, 128, 256, 512, 1024)

# Multi-head shapes of the layer benchmarks: a base-size head layout on a small batch.
BATCH, D_MODEL, HEADS = 4, 256, 8
HEAD_DIM = D_MODEL // HEADS
# Additive/dot attention for RNN decoders (every query against every key), smaller
# because Bahdanau's score materialises a [B, Tq, Tk, units] tensor.
RNN_BATCH, RNN_DIM = 2, 32


# --------------------------------------------------------------------------- #
# Timing helpers
# --------------------------------------------------------------------------- #


def forward_backward(call, inputs, variables, jit_compile=False):
    """A zero-argument callable running `call(*inputs)` and its gradient.

    The loss is the sum of the outputs; gradients flow to the inputs and to
    `variables` (the layer's weights), as in a training step.
    """
    tensors = [tf.constant(x) for x in inputs]
    weights = [v.value if hasattr(v, "value") else v for v in variables]

    @tf.function(jit_compile=jit_compile)
    def step(*xs):
        with tf.GradientTape() as tape:
            tape.watch(xs)
            loss = tf.reduce_sum(tf.cast(call(*xs), "float32"))
        return loss, tape.gradient(loss, list(xs) + weights)

    return lambda: step(*tensors)[0].numpy()


def interleaved_medians(runners, repeats, warmup=2):
    """Median seconds per call of each runner, the runners taking turns.

    Interleaving spreads background load and CPU frequency drift over all
    contestants instead of penalising whichever ran during a busy spell.
    """
    for run in runners.values():
        for _ in range(warmup):
            run()
    times = {name: [] for name in runners}
    names = list(runners)
    for repeat in range(repeats):
        for name in names[repeat % len(names):] + names[:repeat % len(names)]:
            start = time.perf_counter()
            runners[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def _random(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# --------------------------------------------------------------------------- #
# 1. Layers
# --------------------------------------------------------------------------- #


def self_attention_contestants(length):
    """Ours, keras.layers.MultiHeadAttention and keras-hub's encoder attention, same weights."""
    import keras_hub

    x = _random(BATCH, length, D_MODEL)
    ours = layers.MultiHeadSelfAttention(num_heads=HEADS, key_dim=HEAD_DIM)
    peer = keras.layers.MultiHeadAttention(num_heads=HEADS, key_dim=HEAD_DIM)
    encoder = keras_hub.layers.TransformerEncoder(intermediate_dim=4 * D_MODEL, num_heads=HEADS)
    encoder(x[:, :2])
    hub = encoder._self_attention_layer  # the attention sublayer a keras-hub user trains
    ours(x[:, :2])
    peer(x[:, :2], x[:, :2])
    peer.set_weights(ours.get_weights())
    hub.set_weights(ours.get_weights())
    return {
        "ours MultiHeadSelfAttention": forward_backward(lambda q: ours(q), [x], ours.trainable_variables),
        "keras MultiHeadAttention": forward_backward(lambda q: peer(q, q), [x], peer.trainable_variables),
        "keras-hub TransformerEncoder attention": forward_backward(
            lambda q: hub(q, q), [x], hub.trainable_variables),
    }


def dot_product_contestants(length):
    """Ours on [B, H, T, d] (its layout) vs keras.ops.dot_product_attention on [B, T, H, d] (its layout)."""
    q, k, v = (_random(BATCH, HEADS, length, HEAD_DIM, seed=s) for s in range(3))
    ours = layers.ScaledDotProductAttention()
    bthd = [np.ascontiguousarray(t.transpose(0, 2, 1, 3)) for t in (q, k, v)]
    return {
        "ours ScaledDotProductAttention": forward_backward(lambda *t: ours(*t), [q, k, v], []),
        "keras.ops.dot_product_attention": forward_backward(
            lambda *t: keras.ops.dot_product_attention(*t), bthd, []),
    }


def rnn_attention_contestants(length):
    """Every query against every key: Bahdanau vs AdditiveAttention, Luong (dot) vs Attention."""
    query, value = _random(RNN_BATCH, length, RNN_DIM), _random(RNN_BATCH, length, RNN_DIM, seed=1)
    bahdanau = layers.BahdanauAttention(units=RNN_DIM)
    luong = layers.LuongAttention(score="dot")
    additive = keras.layers.AdditiveAttention()
    dot = keras.layers.Attention()
    for layer in (bahdanau, luong):
        layer(query[:, :2], value[:, :2])
    for layer in (additive, dot):
        layer([query[:, :2], value[:, :2]])
    return {
        "ours BahdanauAttention": forward_backward(lambda q, v: bahdanau(q, v), [query, value],
                                                   bahdanau.trainable_variables),
        "keras AdditiveAttention": forward_backward(lambda q, v: additive([q, v]), [query, value],
                                                    additive.trainable_variables),
        "ours LuongAttention (dot)": forward_backward(lambda q, v: luong(q, v), [query, value], []),
        "keras Attention": forward_backward(lambda q, v: dot([q, v]), [query, value], []),
    }


LAYER_GROUPS = {
    "multi-head self-attention": (self_attention_contestants, "keras MultiHeadAttention"),
    "scaled dot-product attention": (dot_product_contestants, "keras.ops.dot_product_attention"),
    "additive / dot attention (RNN decoders)": (rnn_attention_contestants, None),
}


def run_layers(lengths, repeats):
    rows = []
    for group, (contestants, _) in LAYER_GROUPS.items():
        for length in lengths:
            medians = interleaved_medians(contestants(length), repeats)
            for name, seconds in medians.items():
                rows.append({"group": group, "length": length, "layer": name, "ms": seconds * 1e3})
            print(group, length, {k: f"{v * 1e3:.2f} ms" for k, v in medians.items()}, flush=True)
    return rows


def layer_ratio_rows(rows):
    """Each of our layers' time divided by its peer's, per length."""
    peers = {"ours MultiHeadSelfAttention": ["keras MultiHeadAttention", "keras-hub TransformerEncoder attention"],
             "ours ScaledDotProductAttention": ["keras.ops.dot_product_attention"],
             "ours BahdanauAttention": ["keras AdditiveAttention"],
             "ours LuongAttention (dot)": ["keras Attention"]}
    times = {(r["layer"], r["length"]): r["ms"] for r in rows}
    out = []
    for ours, others in peers.items():
        for other in others:
            for length in sorted({r["length"] for r in rows}):
                if (ours, length) in times and (other, length) in times:
                    out.append((ours, other, length, times[(ours, length)] / times[(other, length)]))
    return out


# --------------------------------------------------------------------------- #
# 2. FLOP/s
# --------------------------------------------------------------------------- #


def attention_flops(batch, heads, length, depth):
    """FLOPs of one forward+backward of softmax(QKᵀ)V, matmuls only.

    Forward: QKᵀ and AV, 2·B·H·T²·d each. Backward: two matmuls per forward matmul.
    """
    return 3 * 2 * (2 * batch * heads * length * length * depth)


def run_flops(lengths, repeats):
    rows = []
    for length in lengths:
        q, k, v = (tf.constant(_random(BATCH, HEADS, length, HEAD_DIM, seed=s)) for s in range(3))
        ours = layers.ScaledDotProductAttention()
        runners = {"attention": forward_backward(lambda *t: ours(*t), [q, k, v], [])}
        # The same matmul as QKᵀ ([B·H, T, d] x [B·H, d, T]), alone.
        a = tf.reshape(q, (-1, length, HEAD_DIM))
        b = tf.reshape(k, (-1, length, HEAD_DIM))
        runners["matmul"] = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b, transpose_b=True))).__call__
        # Forward pieces, to show where the time goes.
        scores = tf.matmul(q, k, transpose_b=True)
        weights = tf.nn.softmax(scores)
        runners["forward QK^T"] = tf.function(lambda: tf.reduce_sum(tf.matmul(q, k, transpose_b=True)))
        runners["forward softmax"] = tf.function(lambda: tf.reduce_sum(tf.nn.softmax(scores)))
        runners["forward AV"] = tf.function(lambda: tf.reduce_sum(tf.matmul(weights, v)))
        medians = interleaved_medians(runners, repeats)
        flops = attention_flops(BATCH, HEADS, length, HEAD_DIM)
        matmul_flops = 2 * BATCH * HEADS * length * length * HEAD_DIM
        rows.append({
            "length": length,
            "attention GFLOP/s": flops / medians["attention"] / 1e9,
            "matmul GFLOP/s": matmul_flops / medians["matmul"] / 1e9,
            "forward QK^T ms": medians["forward QK^T"] * 1e3,
            "forward softmax ms": medians["forward softmax"] * 1e3,
            "forward AV ms": medians["forward AV"] * 1e3,
        })
        print(rows[-1], flush=True)
    square = tf.constant(_random(2048, 2048))
    peak = interleaved_medians({"square": tf.function(lambda: tf.reduce_sum(tf.matmul(square, square)))}, repeats)
    return {"rows": rows, "square matmul GFLOP/s": 2 * 2048 ** 3 / peak["square"] / 1e9}


# --------------------------------------------------------------------------- #
# 3. Training throughput
# --------------------------------------------------------------------------- #

TRAINING_SHAPE = dict(num_layers=2, d_model=256, num_heads=4, d_ff=1024, vocab_size=8000)
TRAINING_BATCH, TRAINING_LENGTH = 32, 64


def keras_hub_transformer(vocab_size, num_layers, d_model, num_heads, d_ff, max_length=512):
    """The same-size encoder-decoder a keras-hub user would assemble."""
    import keras_hub

    source = keras.Input((None,), dtype="int32", name="source")
    target = keras.Input((None,), dtype="int32", name="target_in")
    embed = lambda: keras_hub.layers.TokenAndPositionEmbedding(vocab_size, max_length, d_model, mask_zero=True)
    memory = embed()(source)
    for _ in range(num_layers):
        memory = keras_hub.layers.TransformerEncoder(d_ff, num_heads, dropout=0.1)(memory)
    hidden = embed()(target)
    for _ in range(num_layers):
        hidden = keras_hub.layers.TransformerDecoder(d_ff, num_heads, dropout=0.1)(hidden, memory)
    logits = keras.layers.Dense(vocab_size, dtype="float32")(hidden)
    return keras.Model({"source": source, "target_in": target}, logits, name="keras_hub_transformer")


def our_transformer(vocab_size, **shape):
    return models.transformer(vocab_size, vocab_size, dropout=0.1, **shape)


def training_batch(vocab_size, batch, length, seed=0):
    rng = np.random.default_rng(seed)
    ids = lambda: rng.integers(4, vocab_size, size=(batch, length)).astype("int32")
    return {"source": ids(), "target_in": ids()}, ids()


def run_training(repeats, shape=TRAINING_SHAPE, batch=TRAINING_BATCH, length=TRAINING_LENGTH):
    shape = dict(shape)
    vocab_size = shape.pop("vocab_size")
    inputs, labels = training_batch(vocab_size, batch, length)
    rows = []
    for policy in ("float32", "mixed_bfloat16"):
        for jit_compile in (False, True):
            keras.config.set_dtype_policy(policy)
            try:
                runners, sizes = {}, {}
                for name, build in (("ours", our_transformer), ("keras-hub", keras_hub_transformer)):
                    keras.utils.set_random_seed(0)
                    model = build(vocab_size, **shape)
                    model.compile(optimizer=keras.optimizers.Adam(1e-4),
                                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                                  jit_compile=jit_compile)
                    sizes[name] = model.count_params()
                    runners[name] = lambda model=model: model.train_on_batch(inputs, labels)
                medians = interleaved_medians(runners, repeats)
            finally:
                keras.config.set_dtype_policy("float32")
            for name, seconds in medians.items():
                rows.append({"model": name, "policy": policy, "jit_compile": jit_compile, "parameters": sizes[name],
                             "ms / step": seconds * 1e3, "target tokens/s": batch * length / seconds})
            print(policy, jit_compile, {k: f"{batch * length / v:.0f} tok/s" for k, v in medians.items()}, flush=True)
    return {"rows": rows, "shape": {**shape, "vocab_size": vocab_size}, "batch": batch, "length": length}


# --------------------------------------------------------------------------- #
# 4. Decoding
# --------------------------------------------------------------------------- #


def run_decoding(lengths, repeats, batch=8, source_length=24, vocab_size=1000, beam_size=4):
    keras.utils.set_random_seed(0)
    model = models.from_preset("tiny_transformer", vocab_size, vocab_size)
    rng = np.random.default_rng(0)
    source = tf.constant(rng.integers(4, vocab_size, size=(batch, source_length)).astype("int32"))

    def decoder(length, use_cache, search):
        @tf.function
        def run():
            state = model.initial_state(source, max_length=length, use_cache=use_cache)
            if search == "greedy":
                return decoding.greedy_search(never_ending(model.step), state, batch, length)["tokens"]
            return decoding.beam_search(never_ending(model.step), state, batch, length,
                                        beam_size=beam_size)["tokens"]

        return lambda: run().numpy()

    rows = []
    for length in lengths:
        runners = {(search, cache): decoder(length, cache, search)
                   for search in ("greedy", "beam") for cache in (True, False)}
        medians = interleaved_medians(runners, repeats, warmup=1)
        for (search, cache), seconds in medians.items():
            rows.append({"search": search, "kv cache": cache, "length": length, "ms / sentence": seconds * 1e3 / batch})
        print(length, {f"{s} cache={c}": f"{v * 1e3 / batch:.1f} ms" for (s, c), v in medians.items()}, flush=True)
    return {"rows": rows, "batch": batch, "source_length": source_length, "beam_size": beam_size,
            "parameters": model.count_params()}


# --------------------------------------------------------------------------- #
# 5. Memory
# --------------------------------------------------------------------------- #

MEMORY_CONTESTANTS = ("ours MultiHeadSelfAttention", "keras MultiHeadAttention")


def _peak_rss_mib():
    # VmHWM belongs to this process's memory map; `ru_maxrss` of a child started by
    # a big parent reports the parent's peak (Linux keeps it across fork and exec).
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def measure_peak_memory(layer, length):
    """Peak RSS growth (MiB) of building and running one forward+backward (call in a fresh process)."""
    import keras_hub  # noqa: F401  (imported before the baseline, as the other contestants' code is)

    base = _peak_rss_mib()
    run = self_attention_contestants(length)[layer]
    run()
    return _peak_rss_mib() - base


def run_memory(lengths):
    rows = []
    for length in lengths:
        for layer in MEMORY_CONTESTANTS:
            output = subprocess.run(
                [sys.executable, __file__, "--memory-probe", layer, str(length)],
                check=True, capture_output=True, text=True,
            ).stdout
            mib = float(output.strip().splitlines()[-1])
            rows.append({"layer": layer, "length": length, "peak RSS growth MiB": mib})
            print(layer, length, f"{mib:.0f} MiB", flush=True)
    return rows


# --------------------------------------------------------------------------- #
# Report
# --------------------------------------------------------------------------- #


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def write_report(results, markdown_path, png_path):
    machine = results["machine"]
    lines = [
        "# Performance: keras_attn vs Keras and keras-hub (benchmarks/performance.py)",
        "",
        f"{machine}. Every contestant runs in one process, interleaved with its peers; medians of the "
        "repeats after a warm-up. Times are `tf.function` graphs without XLA unless a column says otherwise.",
        "",
    ]
    if "layers" in results:
        section = results["layers"]
        lengths = sorted({r["length"] for r in section["rows"]})
        lines += [
            "## 1. Layers, forward + backward",
            "",
            f"Self-attention and dot-product attention: batch {BATCH}, d_model {D_MODEL}, {HEADS} heads of "
            f"{HEAD_DIM}; same weights in every multi-head layer. Additive/dot: batch {RNN_BATCH}, "
            f"{RNN_DIM} features, every query against every key. Milliseconds, median of {section['repeats']}.",
            "",
        ]
        names = list(dict.fromkeys(r["layer"] for r in section["rows"]))
        times = {(r["layer"], r["length"]): r["ms"] for r in section["rows"]}
        lines += _table(["layer"] + [f"T={n}" for n in lengths],
                        [[name] + [f"{times[(name, n)]:.2f}" if (name, n) in times else "" for n in lengths]
                         for name in names])
        lines += ["", "Time ratios (ours / peer; below 1.0 means ours is faster):", ""]
        ratios = layer_ratio_rows(section["rows"])
        pairs = list(dict.fromkeys((o, p) for o, p, _, _ in ratios))
        ratio = {(o, p, n): r for o, p, n, r in ratios}
        lines += _table(["ours", "peer"] + [f"T={n}" for n in lengths],
                        [[o, p] + [f"{ratio[(o, p, n)]:.2f}" if (o, p, n) in ratio else "" for n in lengths]
                         for o, p in pairs])
        lines += [""]
    if "flops" in results:
        section = results["flops"]
        lines += [
            "## 2. Achieved GFLOP/s of attention vs matmul",
            "",
            f"Scaled dot-product attention forward+backward ({BATCH}×{HEADS} heads of {HEAD_DIM}), counting the six "
            "T×T×d matmuls (2·T²·d FLOPs each, per head); the matmul column is the same-shape batched QKᵀ alone. "
            f"A square 2048² float32 matmul reaches {section['square matmul GFLOP/s']:.0f} GFLOP/s on this machine.",
            "",
        ]
        lines += _table(
            ["T", "attention GFLOP/s", "QKᵀ matmul GFLOP/s", "attention / matmul", "forward QKᵀ ms",
             "forward softmax ms", "forward AV ms"],
            [[r["length"], f"{r['attention GFLOP/s']:.1f}", f"{r['matmul GFLOP/s']:.1f}",
              f"{r['attention GFLOP/s'] / r['matmul GFLOP/s']:.2f}", f"{r['forward QK^T ms']:.2f}",
              f"{r['forward softmax ms']:.2f}", f"{r['forward AV ms']:.2f}"] for r in section["rows"]])
        lines += ["", results.get("flops_analysis", ""), ""]
    if "training" in results:
        section = results["training"]
        lines += [
            "## 3. Training throughput",
            "",
            f"Encoder-decoder, {section['shape']}, batch {section['batch']} × {section['length']} source and target "
            "tokens, `train_on_batch` with Adam; target tokens per second (higher is better).",
            "",
        ]
        rows = section["rows"]
        keyed = {(r["model"], r["policy"], r["jit_compile"]): r for r in rows}
        table = []
        for policy in ("float32", "mixed_bfloat16"):
            for jit_compile in (False, True):
                ours, peer = keyed[("ours", policy, jit_compile)], keyed[("keras-hub", policy, jit_compile)]
                table.append([policy, jit_compile, f"{ours['target tokens/s']:.0f}", f"{peer['target tokens/s']:.0f}",
                              f"{ours['target tokens/s'] / peer['target tokens/s']:.2f}"])
        lines += _table(["policy", "jit_compile", "ours tokens/s", "keras-hub tokens/s", "ours / keras-hub"], table)
        lines += ["", f"Parameters: ours {keyed[('ours', 'float32', False)]['parameters']:,}, keras-hub "
                      f"{keyed[('keras-hub', 'float32', False)]['parameters']:,} (learned positions add "
                      "max_length × d_model per embedding).", ""]
    if "decoding" in results:
        section = results["decoding"]
        lengths = sorted({r["length"] for r in section["rows"]})
        times = {(r["search"], r["kv cache"], r["length"]): r["ms / sentence"] for r in section["rows"]}
        lines += [
            "## 4. Decoding",
            "",
            f"`tiny_transformer` ({section['parameters']:,} parameters, untrained), batch {section['batch']}, "
            f"sources of {section['source_length']} tokens, beam size {section['beam_size']}; the end token is "
            "masked so every sentence decodes exactly T tokens. Milliseconds per sentence.",
            "",
        ]
        table = []
        for search in ("greedy", "beam"):
            for cache in (True, False):
                table.append([search, "cached" if cache else "uncached"]
                             + [f"{times[(search, cache, n)]:.1f}" for n in lengths])
            table.append([search, "speed-up"] + [f"{times[(search, False, n)] / times[(search, True, n)]:.2f}x"
                                                  for n in lengths])
        lines += _table(["search", "KV cache"] + [f"T={n}" for n in lengths], table)
        lines += ["", "SavedModel serving latency: [serving_latency.md](serving_latency.md).", ""]
    if "memory" in results:
        rows = results["memory"]
        lengths = sorted({r["length"] for r in rows})
        mib = {(r["layer"], r["length"]): r["peak RSS growth MiB"] for r in rows}
        lines += [
            "## 5. Memory",
            "",
            f"Peak RSS growth of building the layer and running one forward+backward (batch {BATCH}, d_model "
            f"{D_MODEL}, {HEADS} heads), a fresh process per point. MiB.",
            "",
        ]
        lines += _table(["layer"] + [f"T={n}" for n in lengths],
                        [[layer] + [f"{mib[(layer, n)]:.0f}" for n in lengths] for layer in MEMORY_CONTESTANTS])
        lines += [""]
    markdown_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plot(results, png_path)


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [name for name in ("layers", "flops", "training", "memory") if name in results]
    if not panels:
        return
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for axis, name in zip(axes[0], panels):
        if name == "layers":
            for layer in dict.fromkeys(r["layer"] for r in results["layers"]["rows"]):
                points = [(r["length"], r["ms"]) for r in results["layers"]["rows"] if r["layer"] == layer]
                axis.plot(*zip(*points), marker="o", label=layer, linestyle="-" if layer.startswith("ours") else "--")
            axis.set(xscale="log", yscale="log", xlabel="sequence length", ylabel="ms, forward+backward",
                     title="attention layers")
            axis.legend(fontsize=6)
        elif name == "flops":
            rows = results["flops"]["rows"]
            axis.plot([r["length"] for r in rows], [r["attention GFLOP/s"] for r in rows], marker="o", label="attention")
            axis.plot([r["length"] for r in rows], [r["matmul GFLOP/s"] for r in rows], marker="o", label="QKᵀ matmul")
            axis.axhline(results["flops"]["square matmul GFLOP/s"], color="gray", linestyle=":",
                         label="2048² matmul")
            axis.set(xscale="log", xlabel="sequence length", ylabel="GFLOP/s", title="achieved FLOP rate")
            axis.legend(fontsize=7)
        elif name == "training":
            rows = results["training"]["rows"]
            settings = list(dict.fromkeys((r["policy"], r["jit_compile"]) for r in rows))
            positions = np.arange(len(settings))
            for offset, model in ((-0.2, "ours"), (0.2, "keras-hub")):
                values = [next(r["target tokens/s"] for r in rows if (r["policy"], r["jit_compile"]) == s
                               and r["model"] == model) for s in settings]
                axis.bar(positions + offset, values, width=0.4, label=model)
            axis.set_xticks(positions, [f"{p}\n{'XLA' if j else 'no XLA'}" for p, j in settings], fontsize=7)
            axis.set(ylabel="target tokens/s", title="Transformer training")
            axis.legend(fontsize=7)
        elif name == "memory":
            for layer in MEMORY_CONTESTANTS:
                points = [(r["length"], r["peak RSS growth MiB"]) for r in results["memory"] if r["layer"] == layer]
                axis.plot(*zip(*points), marker="o", label=layer)
            axis.set(xscale="log", yscale="log", xlabel="sequence length", ylabel="peak RSS growth, MiB",
                     title="memory, forward+backward")
            axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


FLOPS_ANALYSIS = (
    "What limits it: the two attention matmuls have an inner dimension of only d = {head_dim} (QKᵀ) or a "
    "T×T operand that is written, read by the softmax and read again (AV), so they do few FLOPs per byte "
    "moved and run well below the square-matmul rate; the softmax does no matmul FLOPs at all yet its "
    "share of the forward time is shown above, and the backward pass adds the softmax gradient, another "
    "pass over T² values per head. The T×T score tensor ({mib_1024:.0f} MiB per forward at T=1024) no "
    "longer fits in cache, so attention is memory-bound on this CPU; a fused kernel that never "
    "materialises the scores (flash attention) is what would close the gap, and TensorFlow has none on CPU."
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", nargs="+", default=list(SECTIONS), choices=SECTIONS)
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--smoke", action="store_true", help="tiny settings, nothing written")
    parser.add_argument("--memory-probe", nargs=2, metavar=("LAYER", "LENGTH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_probe:
        print(measure_peak_memory(args.memory_probe[0], int(args.memory_probe[1])))
        return None
    if args.smoke:
        args.lengths, args.repeats = [16, 32], 2

    results = json.loads(RAW_RESULTS.read_text()) if RAW_RESULTS.exists() and not args.smoke else {}
    results["machine"] = (f"{os.cpu_count()} CPU cores ({platform.machine()}), Python {platform.python_version()}, "
                          f"TensorFlow {tf.__version__}, Keras {keras.__version__}")
    if "layers" in args.sections:
        results["layers"] = {"rows": run_layers(args.lengths, args.repeats), "repeats": args.repeats}
    if "flops" in args.sections:
        results["flops"] = run_flops(args.lengths, args.repeats)
        results["flops_analysis"] = FLOPS_ANALYSIS.format(
            head_dim=HEAD_DIM, mib_1024=BATCH * HEADS * 1024 * 1024 * 4 / 2 ** 20)
    if "training" in args.sections:
        if args.smoke:
            shape = dict(num_layers=1, d_model=32, num_heads=2, d_ff=64, vocab_size=100)
            results["training"] = run_training(args.repeats, shape=shape, batch=4, length=8)
        else:
            results["training"] = run_training(args.repeats)
    if "decoding" in args.sections:
        results["decoding"] = run_decoding([8, 16] if args.smoke else [32, 64, 128], args.repeats)
    if "memory" in args.sections:
        results["memory"] = run_memory(args.lengths)
    if args.smoke:
        return results
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RAW_RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    write_report(results, RESULTS_DIR / "performance.md", RESULTS_DIR / "performance.png")
    print((RESULTS_DIR / "performance.md").read_text())
    return results


if __name__ == "__main__":
    main()
