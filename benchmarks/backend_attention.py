"""MultiHeadAttention on every Keras backend, against keras' own layer (issue 18).

For one backend (the process' KERAS_BACKEND) and whatever device it runs on, ours
and `keras.layers.MultiHeadAttention` with copied weights are timed forward and
forward + backward, in float32 and bfloat16, causal and not, taking turns (medians of
the repeats). Each row also times the bare kernel `keras.ops.dot_product_attention` on
the same heads, and says our FLOP/s against the device's matmul rate. jax runs
`jax.jit` of the layers' stateless calls, tensorflow a `tf.function`, torch eagerly (as
Keras' torch backend runs).

    python -m benchmarks.backend_attention --all          # every backend, in turn
    KERAS_BACKEND=jax python -m benchmarks.backend_attention --lengths 512 --repeats 5

`--all` runs each backend in its own process and writes
results/backend_attention.md with the machine (lscpu model name, device, versions).
"""

import argparse
import json
import os
import subprocess
import sys

import keras
import numpy as np

from benchmarks import common

RESULTS = common.RESULTS_DIR / "backend_attention.md"
BACKENDS = ("tensorflow", "jax", "torch")
D_MODEL, HEADS, BATCH = 1024, 16, 1
HEADER = ["backend", "device", "dtype", "T", "causal", "pass", "ours ms", "keras ms", "ours / keras",
          "kernel ms", "ours / kernel", "ours TFLOP/s", "matmul TFLOP/s"]


def attention_flops(length, causal, backward):
    """Multiply-adds × 2 of one call: four projections and the two attention products
    (halved when causal, as a kernel may skip the masked half); backward ≈ 2× forward."""
    projections = 4 * 2 * BATCH * length * D_MODEL * D_MODEL
    attention = 2 * 2 * BATCH * HEADS * length * length * (D_MODEL // HEADS) * (0.5 if causal else 1.0)
    return (projections + attention) * (3 if backward else 1)


class Backend:
    """Compiles a function of (weights, inputs) → loss/output the way this backend runs it."""

    def __init__(self):
        self.name = keras.backend.backend()

    def device(self):
        if self.name == "jax":
            import jax

            return ", ".join(sorted({d.device_kind for d in jax.devices()}))
        if self.name == "torch":
            import torch

            return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU"
        return common.machine_record()["device"]

    def runner(self, layer_call, layer, inputs, backward):
        """A zero-argument callable running one forward (and backward) pass to completion."""
        if self.name == "jax":
            return self._jax_runner(layer_call, layer, inputs, backward)
        if self.name == "torch":
            return self._torch_runner(layer_call, layer, inputs, backward)
        return self._tensorflow_runner(layer_call, layer, inputs, backward)

    @staticmethod
    def _jax_runner(layer_call, layer, inputs, backward):
        import jax

        weights = [v.value for v in layer.trainable_variables]

        def loss(weights, inputs):
            output = layer_call(weights, inputs)
            return keras.ops.sum(keras.ops.square(keras.ops.cast(output, "float32")))

        function = jax.jit(jax.grad(loss, argnums=(0, 1)) if backward else layer_call)
        return lambda: jax.block_until_ready(function(weights, inputs))

    @staticmethod
    def _torch_runner(layer_call, layer, inputs, backward):
        import torch

        weights = [v.value for v in layer.trainable_variables]
        if not backward:
            def forward():
                with torch.no_grad():
                    layer_call(weights, inputs)
            return forward
        leaves = [x.detach().requires_grad_(True) for x in inputs]

        def forward_backward():
            output = layer_call(weights, leaves)
            keras.ops.sum(keras.ops.square(keras.ops.cast(output, "float32"))).backward()
        return forward_backward

    @staticmethod
    def _tensorflow_runner(layer_call, layer, inputs, backward):
        import tensorflow as tf

        weights = layer.trainable_variables

        @tf.function
        def run(inputs):
            if not backward:
                return layer_call(weights, inputs)
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                output = layer_call(weights, inputs)
                loss = tf.reduce_sum(tf.square(tf.cast(output, tf.float32)))
            return tape.gradient(loss, [*weights, *inputs])
        return lambda: [np.asarray(t) for t in tf.nest.flatten(run(inputs))]


def layer_call(layer, causal):
    """`(weights, inputs) → output` of a layer: stateless on jax (what `jit` traces)."""
    if keras.backend.backend() == "jax":
        constants = [v.value for v in layer.non_trainable_variables]
        return lambda weights, inputs: layer.stateless_call(weights, constants, *inputs, use_causal_mask=causal)[0]
    return lambda weights, inputs: layer(*inputs, use_causal_mask=causal)


def kernel_call(causal):
    """The bare kernel on the heads of the same size, `[B, T, H, d]`, after no projection."""
    return lambda weights, inputs: keras.ops.dot_product_attention(*inputs, is_causal=causal)


class _NoWeights:
    trainable_variables = ()


def measure(length, dtype, causal, backward, repeats, backend):
    """One row: ours, keras' layer and the bare kernel, interleaved."""
    from keras_attn import layers

    x = keras.ops.convert_to_tensor(common.random_array(BATCH, length, D_MODEL), dtype=dtype)
    theirs = keras.layers.MultiHeadAttention(HEADS, D_MODEL // HEADS, dtype=dtype)
    ours = layers.MultiHeadAttention(HEADS, D_MODEL // HEADS, dtype=dtype)
    theirs(x, x)
    ours(x, x)
    ours.set_weights(theirs.get_weights())
    heads = [keras.ops.convert_to_tensor(common.random_array(BATCH, length, HEADS, D_MODEL // HEADS, seed=s),
                                         dtype=dtype) for s in range(3)]
    runners = {
        "ours": backend.runner(layer_call(ours, causal), ours, [x, x], backward),
        "keras": backend.runner(layer_call(theirs, causal), theirs, [x, x], backward),
        "kernel": backend.runner(kernel_call(causal), _NoWeights(), heads, backward),
    }
    seconds = common.interleaved_medians(runners, repeats)
    return {"backend": backend.name, "dtype": dtype, "length": length, "causal": causal,
            "pass": "forward + backward" if backward else "forward",
            **{name: value for name, value in seconds.items()},
            "ours_tflops": attention_flops(length, causal, backward) / seconds["ours"] / 1e12}


def matmul_tflops(dtype, repeats=5):
    """The device's rate on a [2048, 1024] × [1024, 1024] matmul (the projections' shape)."""
    a = keras.ops.convert_to_tensor(common.random_array(2048, D_MODEL), dtype=dtype)
    b = keras.ops.convert_to_tensor(common.random_array(D_MODEL, D_MODEL, seed=1), dtype=dtype)
    run = lambda: keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
    return 2 * 2048 * D_MODEL * D_MODEL / common.median_seconds(run, repeats) / 1e12


def run_backend(lengths, dtypes, repeats):
    """Every row of this process' backend, as dicts (printed as JSON lines for `--all`)."""
    backend = Backend()
    rows = []
    for dtype in dtypes:
        rate = matmul_tflops(dtype)
        for length in lengths:
            for causal in (False, True):
                for backward in (False, True):
                    row = measure(length, dtype, causal, backward, repeats, backend)
                    row.update(device=backend.device(), matmul_tflops=rate)
                    print(json.dumps(row), flush=True)
                    rows.append(row)
    return rows


def table_row(row):
    return [row["backend"], row["device"], row["dtype"], row["length"], "yes" if row["causal"] else "no",
            row["pass"], f"{row['ours'] * 1e3:.1f}", f"{row['keras'] * 1e3:.1f}", f"{row['ours'] / row['keras']:.2f}",
            f"{row['kernel'] * 1e3:.1f}", f"{row['ours'] / row['kernel']:.2f}", f"{row['ours_tflops']:.3f}",
            f"{row['matmul_tflops']:.3f}"]


def run_all(arguments):
    """Each backend in its own process (a process has one Keras backend); writes the report."""
    rows = []
    for backend in BACKENDS:
        command = common.module_command("backend_attention", "--repeats", arguments.repeats, "--lengths",
                                        *arguments.lengths, "--dtypes", *arguments.dtypes)
        done = subprocess.run(command, capture_output=True, text=True, cwd=common.REPO_ROOT,
                              env={**os.environ, "KERAS_BACKEND": backend})
        if done.returncode:
            sys.exit(f"{backend} failed:\n{done.stderr[-2000:]}")
        rows += [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    preamble = ["# MultiHeadAttention on each backend against keras' layer (benchmarks/backend_attention.py)", "",
                f"d_model {D_MODEL}, {HEADS} heads, batch {BATCH}; medians of interleaved repeats. "
                "ours / keras < 1 means ours is faster. The kernel column is `keras.ops.dot_product_attention` "
                "alone on heads of the same size (no projections): the floor of the attention part. "
                "One section per machine kind."]
    lines = [f"{arguments.repeats} repeats.", "", *common.markdown_table(HEADER, map(table_row, rows))]
    print("\n".join(lines))
    if not arguments.smoke:
        common.write_machine_section(RESULTS, preamble, lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="every backend, each in a process; writes the report")
    parser.add_argument("--lengths", type=int, nargs="+", default=[512, 2048])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny lengths, one repeat, nothing written")
    arguments = parser.parse_args(argv)
    if arguments.smoke:
        arguments.lengths, arguments.repeats = [16], 1
    if arguments.all:
        run_all(arguments)
    else:
        run_backend(arguments.lengths, arguments.dtypes, arguments.repeats)


if __name__ == "__main__":
    main()
