"""Training throughput of our Transformer against a same-size keras-hub encoder-decoder.

Section 3 ("training") of results/performance.md: target tokens per second of
`train_on_batch`, float32 and mixed_bfloat16, with and without XLA, the two models
interleaved. Running this module measures only this section and merges it into the
report.

    python -m benchmarks.training_speed [--repeats 15] [--smoke]
"""

import keras
import numpy as np

from benchmarks import common
from keras_attn import models

NAME = "training"
USES_LENGTHS = False

TRAINING_SHAPE = dict(num_layers=2, d_model=256, num_heads=4, d_ff=1024, vocab_size=8000)
TRAINING_BATCH, TRAINING_LENGTH = 32, 64
# Small enough to build, compile and step all eight models in seconds.
SMOKE_SHAPE = dict(num_layers=1, d_model=32, num_heads=2, d_ff=64, vocab_size=100)
SMOKE_BATCH, SMOKE_LENGTH = 4, 8


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
                    # One optimizer and loss for both models: this measures the step, not a family's policy.
                    model.compile(optimizer=keras.optimizers.Adam(1e-4),
                                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                                  jit_compile=jit_compile)
                    sizes[name] = model.count_params()
                    runners[name] = lambda model=model: model.train_on_batch(inputs, labels)
                medians = common.interleaved_medians(runners, repeats)
            finally:
                keras.config.set_dtype_policy("float32")
            for name, seconds in medians.items():
                rows.append({"model": name, "policy": policy, "jit_compile": jit_compile, "parameters": sizes[name],
                             "ms / step": seconds * 1e3, "target tokens/s": batch * length / seconds})
            print(policy, jit_compile, {k: f"{batch * length / v:.0f} tok/s" for k, v in medians.items()}, flush=True)
    return {"rows": rows, "shape": {**shape, "vocab_size": vocab_size}, "batch": batch, "length": length}


def run(args):
    """This section's entries of the results dict."""
    if args.smoke:
        return {NAME: run_training(args.repeats, shape=SMOKE_SHAPE, batch=SMOKE_BATCH, length=SMOKE_LENGTH)}
    return {NAME: run_training(args.repeats)}


def report_lines(results):
    section = results[NAME]
    lines = [
        "## 3. Training throughput",
        "",
        f"Encoder-decoder, {section['shape']}, batch {section['batch']} × {section['length']} source and target "
        "tokens, `train_on_batch` with Adam; target tokens per second (higher is better).",
        "",
    ]
    keyed = {(r["model"], r["policy"], r["jit_compile"]): r for r in section["rows"]}
    table = []
    for policy in ("float32", "mixed_bfloat16"):
        for jit_compile in (False, True):
            ours, peer = keyed[("ours", policy, jit_compile)], keyed[("keras-hub", policy, jit_compile)]
            table.append([policy, jit_compile, f"{ours['target tokens/s']:.0f}", f"{peer['target tokens/s']:.0f}",
                          f"{ours['target tokens/s'] / peer['target tokens/s']:.2f}"])
    lines += common.markdown_table(
        ["policy", "jit_compile", "ours tokens/s", "keras-hub tokens/s", "ours / keras-hub"], table)
    return lines + ["", f"Parameters: ours {keyed[('ours', 'float32', False)]['parameters']:,}, keras-hub "
                        f"{keyed[('keras-hub', 'float32', False)]['parameters']:,} (learned positions add "
                        "max_length × d_model per embedding).", ""]


def plot(axis, results):
    rows = results[NAME]["rows"]
    settings = list(dict.fromkeys((r["policy"], r["jit_compile"]) for r in rows))
    positions = np.arange(len(settings))
    for offset, model in ((-0.2, "ours"), (0.2, "keras-hub")):
        values = [next(r["target tokens/s"] for r in rows if (r["policy"], r["jit_compile"]) == s
                       and r["model"] == model) for s in settings]
        axis.bar(positions + offset, values, width=0.4, label=model)
    axis.set_xticks(positions, [f"{p}\n{'XLA' if j else 'no XLA'}" for p, j in settings], fontsize=7)
    axis.set(ylabel="target tokens/s", title="Transformer training")
    axis.legend(fontsize=7)


def main(argv=None):
    from benchmarks import performance  # the report spans every section, so one writer owns it

    return performance.main(argv, sections=[NAME], description=__doc__)


if __name__ == "__main__":
    main()
