"""Forward+backward time of our attention layers against Keras' and keras-hub's.

Section 1 ("layers") of results/performance.md: multi-head self-attention, scaled
dot-product attention and the additive / dot attention of RNN decoders, at sequence
lengths 64..1024, each contestant interleaved with its peers (medians of the repeats).
Running this module measures only this section and merges it into the report.

    python -m benchmarks.layer_speed [--lengths 64 128] [--repeats 15] [--smoke]
"""

import keras
import numpy as np
import tensorflow as tf

from benchmarks import common
from benchmarks.common import BATCH
from benchmarks.common import D_MODEL
from benchmarks.common import HEAD_DIM
from benchmarks.common import HEADS
from keras_attn import layers

tf.get_logger().setLevel("ERROR")  # one tf.function per contestant: retracing warnings are expected

NAME = "layers"
USES_LENGTHS = True

# Additive/dot attention for RNN decoders (every query against every key), smaller
# because Bahdanau's score materialises a [B, Tq, Tk, units] tensor.
RNN_BATCH, RNN_DIM = 2, 32

self_attention_contestants = common.self_attention_contestants


def dot_product_contestants(length):
    """Ours on [B, H, T, d] (its layout) vs keras.ops.dot_product_attention on [B, T, H, d] (its layout)."""
    q, k, v = (common.random_array(BATCH, HEADS, length, HEAD_DIM, seed=s) for s in range(3))
    ours = layers.ScaledDotProductAttention()
    bthd = [np.ascontiguousarray(t.transpose(0, 2, 1, 3)) for t in (q, k, v)]
    return {
        "ours ScaledDotProductAttention": common.forward_backward(lambda *t: ours(*t), [q, k, v], []),
        "keras.ops.dot_product_attention": common.forward_backward(
            lambda *t: keras.ops.dot_product_attention(*t), bthd, []),
    }


def rnn_attention_contestants(length):
    """Every query against every key: Bahdanau vs AdditiveAttention, Luong (dot) vs Attention."""
    query = common.random_array(RNN_BATCH, length, RNN_DIM)
    value = common.random_array(RNN_BATCH, length, RNN_DIM, seed=1)
    bahdanau = layers.BahdanauAttention(units=RNN_DIM)
    luong = layers.LuongAttention(score="dot")
    additive = keras.layers.AdditiveAttention()
    dot = keras.layers.Attention()
    for layer in (bahdanau, luong):
        layer(query[:, :2], value[:, :2])
    for layer in (additive, dot):
        layer([query[:, :2], value[:, :2]])
    return {
        "ours BahdanauAttention": common.forward_backward(lambda q, v: bahdanau(q, v), [query, value],
                                                          bahdanau.trainable_variables),
        "keras AdditiveAttention": common.forward_backward(lambda q, v: additive([q, v]), [query, value],
                                                           additive.trainable_variables),
        "ours LuongAttention (dot)": common.forward_backward(lambda q, v: luong(q, v), [query, value], []),
        "keras Attention": common.forward_backward(lambda q, v: dot([q, v]), [query, value], []),
    }


LAYER_GROUPS = {
    "multi-head self-attention": (self_attention_contestants, "keras MultiHeadAttention"),
    "scaled dot-product attention": (dot_product_contestants, "keras.ops.dot_product_attention"),
    "additive / dot attention (RNN decoders)": (rnn_attention_contestants, None),
}

# Which peer each of our layers is divided by in the ratio table.
PEERS = {"ours MultiHeadSelfAttention": ["keras MultiHeadAttention", "keras-hub TransformerEncoder attention"],
         "ours ScaledDotProductAttention": ["keras.ops.dot_product_attention"],
         "ours BahdanauAttention": ["keras AdditiveAttention"],
         "ours LuongAttention (dot)": ["keras Attention"]}


def run_layers(lengths, repeats):
    rows = []
    for group, (contestants, _) in LAYER_GROUPS.items():
        for length in lengths:
            medians = common.interleaved_medians(contestants(length), repeats)
            for name, seconds in medians.items():
                rows.append({"group": group, "length": length, "layer": name, "ms": seconds * 1e3})
            print(group, length, {k: f"{v * 1e3:.2f} ms" for k, v in medians.items()}, flush=True)
    return rows


def run(args):
    """This section's entries of the results dict."""
    return {NAME: {"rows": run_layers(args.lengths, args.repeats), "repeats": args.repeats}}


def layer_ratio_rows(rows):
    """Each of our layers' time divided by its peer's, per length."""
    times = {(r["layer"], r["length"]): r["ms"] for r in rows}
    out = []
    for ours, others in PEERS.items():
        for other in others:
            for length in sorted({r["length"] for r in rows}):
                if (ours, length) in times and (other, length) in times:
                    out.append((ours, other, length, times[(ours, length)] / times[(other, length)]))
    return out


def report_lines(results):
    section = results[NAME]
    lengths = sorted({r["length"] for r in section["rows"]})
    lines = [
        "## 1. Layers, forward + backward",
        "",
        f"Self-attention and dot-product attention: batch {BATCH}, d_model {D_MODEL}, {HEADS} heads of "
        f"{HEAD_DIM}; same weights in every multi-head layer. Additive/dot: batch {RNN_BATCH}, "
        f"{RNN_DIM} features, every query against every key. Milliseconds, median of {section['repeats']}.",
        "",
    ]
    names = list(dict.fromkeys(r["layer"] for r in section["rows"]))
    times = {(r["layer"], r["length"]): r["ms"] for r in section["rows"]}
    lines += common.markdown_table(
        ["layer"] + [f"T={n}" for n in lengths],
        [[name] + [f"{times[(name, n)]:.2f}" if (name, n) in times else "" for n in lengths] for name in names])
    lines += ["", "Time ratios (ours / peer; below 1.0 means ours is faster):", ""]
    ratios = layer_ratio_rows(section["rows"])
    pairs = list(dict.fromkeys((o, p) for o, p, _, _ in ratios))
    ratio = {(o, p, n): r for o, p, n, r in ratios}
    lines += common.markdown_table(
        ["ours", "peer"] + [f"T={n}" for n in lengths],
        [[o, p] + [f"{ratio[(o, p, n)]:.2f}" if (o, p, n) in ratio else "" for n in lengths] for o, p in pairs])
    return lines + [""]


def plot(axis, results):
    rows = results[NAME]["rows"]
    for layer in dict.fromkeys(r["layer"] for r in rows):
        points = [(r["length"], r["ms"]) for r in rows if r["layer"] == layer]
        axis.plot(*zip(*points), marker="o", label=layer, linestyle="-" if layer.startswith("ours") else "--")
    axis.set(xscale="log", yscale="log", xlabel="sequence length", ylabel="ms, forward+backward",
             title="attention layers")
    axis.legend(fontsize=6)


def main(argv=None):
    from benchmarks import performance  # the report spans every section, so one writer owns it

    return performance.main(argv, sections=[NAME], description=__doc__)


if __name__ == "__main__":
    main()
