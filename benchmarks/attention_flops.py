"""Achieved GFLOP/s of scaled dot-product attention against a plain matmul of the same size.

Section 2 ("flops") of results/performance.md: forward+backward attention counted as
its six T×T×d matmuls, the same-shape batched QKᵀ alone, a square 2048² matmul as the
machine's ceiling, and where the forward time goes (QKᵀ, softmax, AV). Running this
module measures only this section and merges it into the report.

    python -m benchmarks.attention_flops [--lengths 64 128] [--repeats 15] [--smoke]
"""

import tensorflow as tf

from benchmarks import common
from benchmarks.common import BATCH
from benchmarks.common import HEAD_DIM
from benchmarks.common import HEADS
from keras_attn import layers

tf.get_logger().setLevel("ERROR")  # one tf.function per contestant: retracing warnings are expected

NAME = "flops"
USES_LENGTHS = True

FLOPS_ANALYSIS = (
    "What limits it: the two attention matmuls have an inner dimension of only d = {head_dim} (QKᵀ) or a "
    "T×T operand that is written, read by the softmax and read again (AV), so they do few FLOPs per byte "
    "moved and run well below the square-matmul rate; the softmax does no matmul FLOPs at all yet its "
    "share of the forward time is shown above, and the backward pass adds the softmax gradient, another "
    "pass over T² values per head. The T×T score tensor ({mib_1024:.0f} MiB per forward at T=1024) no "
    "longer fits in cache, so attention is memory-bound on this CPU; a fused kernel that never "
    "materialises the scores (flash attention) is what would close the gap, and TensorFlow has none on CPU."
)


def attention_flops(batch, heads, length, depth):
    """FLOPs of one forward+backward of softmax(QKᵀ)V, matmuls only.

    Forward: QKᵀ and AV, 2·B·H·T²·d each. Backward: two matmuls per forward matmul.
    """
    return 3 * 2 * (2 * batch * heads * length * length * depth)


def run_flops(lengths, repeats):
    rows = []
    for length in lengths:
        q, k, v = (tf.constant(common.random_array(BATCH, HEADS, length, HEAD_DIM, seed=s)) for s in range(3))
        ours = layers.ScaledDotProductAttention()
        runners = {"attention": common.forward_backward(lambda *t: ours(*t), [q, k, v], [])}
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
        medians = common.interleaved_medians(runners, repeats)
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
    square = tf.constant(common.random_array(2048, 2048))
    peak = common.interleaved_medians(
        {"square": tf.function(lambda: tf.reduce_sum(tf.matmul(square, square)))}, repeats)
    return {"rows": rows, "square matmul GFLOP/s": 2 * 2048 ** 3 / peak["square"] / 1e9}


def run(args):
    """This section's entries of the results dict (the analysis text is stored beside the figures)."""
    return {NAME: run_flops(args.lengths, args.repeats),
            "flops_analysis": FLOPS_ANALYSIS.format(head_dim=HEAD_DIM,
                                                    mib_1024=BATCH * HEADS * 1024 * 1024 * 4 / 2 ** 20)}


def report_lines(results):
    section = results[NAME]
    lines = [
        "## 2. Achieved GFLOP/s of attention vs matmul",
        "",
        f"Scaled dot-product attention forward+backward ({BATCH}×{HEADS} heads of {HEAD_DIM}), counting the six "
        "T×T×d matmuls (2·T²·d FLOPs each, per head); the matmul column is the same-shape batched QKᵀ alone. "
        f"A square 2048² float32 matmul reaches {section['square matmul GFLOP/s']:.0f} GFLOP/s on this machine.",
        "",
    ]
    lines += common.markdown_table(
        ["T", "attention GFLOP/s", "QKᵀ matmul GFLOP/s", "attention / matmul", "forward QKᵀ ms",
         "forward softmax ms", "forward AV ms"],
        [[r["length"], f"{r['attention GFLOP/s']:.1f}", f"{r['matmul GFLOP/s']:.1f}",
          f"{r['attention GFLOP/s'] / r['matmul GFLOP/s']:.2f}", f"{r['forward QK^T ms']:.2f}",
          f"{r['forward softmax ms']:.2f}", f"{r['forward AV ms']:.2f}"] for r in section["rows"]])
    return lines + ["", results.get("flops_analysis", ""), ""]


def plot(axis, results):
    section = results[NAME]
    rows = section["rows"]
    axis.plot([r["length"] for r in rows], [r["attention GFLOP/s"] for r in rows], marker="o", label="attention")
    axis.plot([r["length"] for r in rows], [r["matmul GFLOP/s"] for r in rows], marker="o", label="QKᵀ matmul")
    axis.axhline(section["square matmul GFLOP/s"], color="gray", linestyle=":", label="2048² matmul")
    axis.set(xscale="log", xlabel="sequence length", ylabel="GFLOP/s", title="achieved FLOP rate")
    axis.legend(fontsize=7)


def main(argv=None):
    from benchmarks import performance  # the report spans every section, so one writer owns it

    return performance.main(argv, sections=[NAME], description=__doc__)


if __name__ == "__main__":
    main()
