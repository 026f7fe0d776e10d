"""What every benchmark shares: timing, the machine record, markdown results.

Kept free of keras_attn imports at module level so that light benchmarks (those that
time a subprocess) can use it without loading TensorFlow first.
"""

import contextlib
import functools
import importlib.metadata
import importlib.util
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
RESULTS_DIR = PACKAGE_DIR / "results"


# --------------------------------------------------------------------------- #
# Timing
# --------------------------------------------------------------------------- #


def interleaved_medians(runners, repeats, warmup=2):
    """Median seconds per call of each zero-argument runner, the runners taking turns.

    Interleaving spreads background load and CPU frequency drift over all
    contestants instead of penalising whichever ran during a busy spell; the
    starting runner rotates so none is always first after the others' work.
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


def median_seconds(run, repeats, warmup=1):
    """Median seconds per call of one zero-argument `run`, after `warmup` untimed calls."""
    return interleaved_medians({"run": run}, repeats, warmup=warmup)["run"]


def call_latencies(call, inputs, warmup=3):
    """Seconds of each `call(x)` for x in `inputs`, after untimed calls on the first `warmup`.

    Every latency is kept (not only a median) for callers that report percentiles.
    """
    for x in inputs[:warmup]:
        call(x)
    latencies = []
    for x in inputs:
        start = time.perf_counter()
        call(x)
        latencies.append(time.perf_counter() - start)
    return np.array(latencies)


class Stopwatch:
    """Wall and process CPU seconds of a `with` block (CPU time counts every thread)."""

    wall = cpu = None

    def __enter__(self):
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
        return False


# --------------------------------------------------------------------------- #
# The machine record
# --------------------------------------------------------------------------- #

# (label, distribution, import name); the optional ones are listed only when installed.
_LIBRARIES = (("tensorflow", "tensorflow", "tensorflow"), ("keras", "keras", "keras"),
              ("keras-hub", "keras-hub", "keras_hub"))
_OPTIONAL_LIBRARIES = (("torch", "torch", "torch"), ("jax", "jax", "jax"))


def _cpu_model():
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in output.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    with contextlib.suppress(OSError):  # containers without lscpu still have /proc/cpuinfo
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _version(distribution, module):
    # An imported module's own __version__ wins: it is what actually ran. Otherwise read
    # the installed metadata, which costs no import (torch or jax would take seconds).
    if module in sys.modules:
        return getattr(sys.modules[module], "__version__", None)
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _device():
    """The accelerator TensorFlow would use, or "CPU"."""
    import tensorflow as tf

    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return ", ".join(names) if names else "CPU"


@functools.lru_cache(maxsize=None)
def _machine_record():
    versions = {"python": platform.python_version()}
    for label, distribution, module in _LIBRARIES:
        versions[label] = _version(distribution, module)
    for label, distribution, module in _OPTIONAL_LIBRARIES:
        if module in sys.modules or importlib.util.find_spec(module) is not None:
            versions[label] = _version(distribution, module)
    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "architecture": platform.machine(),
            "device": _device(), "versions": versions}


def machine_record():
    """What the figures were measured on: CPU model, cores, device and library versions.

    Computed once per process (lscpu and the device query are not free) and copied so
    callers may edit theirs.
    """
    record = _machine_record()
    return {**record, "versions": dict(record["versions"])}


_VERSION_NAMES = {"python": "Python", "tensorflow": "TensorFlow", "keras": "Keras", "keras-hub": "keras-hub",
                  "torch": "PyTorch", "jax": "JAX"}


def describe_machine(record=None):
    """The machine record as the one line a results file opens with."""
    record = record or machine_record()
    device = "no GPU" if record["device"] == "CPU" else record["device"]
    versions = ", ".join(f"{_VERSION_NAMES.get(name, name)} {version}"
                         for name, version in record["versions"].items() if version)
    return f"{record['cores']} CPU cores ({record['cpu']}, {record['architecture']}), {device}; {versions}"


def proc_status_mib(field):
    """A memory figure of this process from /proc/self/status, in MiB (Linux only).

    "VmRSS" is the current resident set, "VmHWM" its peak so far. These are per process:
    `ru_maxrss` of a child started by a big parent reports the parent's peak (Linux keeps
    it across fork and exec), so memory benchmarks read this in the measured process.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found in /proc/self/status (Linux only).")


def load_average():
    """The 1-minute load average: these benchmarks share their cores, and say so."""
    return os.getloadavg()[0]


# --------------------------------------------------------------------------- #
# Markdown results
# --------------------------------------------------------------------------- #


def markdown_row(cells):
    """One markdown table line; cells are written with str()."""
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def markdown_table(header, rows):
    """Lines of a markdown table: header, separator, one line per row."""
    return [markdown_row(header), "|" + " --- |" * len(header), *(markdown_row(row) for row in rows)]


def write_markdown(path, lines):
    """Writes `lines` (one string each) to `path`, ending in a newline; returns the path."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_machine_section(path, preamble, lines, record=None):
    """Writes `lines` under a `## <machine>` heading of `path`, keeping other machines' sections.

    For results that differ by machine kind (a goal must hold on the slowest kind): a
    rerun on the same kind replaces its own section. The heading is the machine (cores,
    CPU model, device); the library versions open the section.
    """
    path = pathlib.Path(path)
    machine, _, versions = describe_machine(record).partition("; ")
    sections = {}
    if path.exists():
        for block in path.read_text(encoding="utf-8").split("\n## ")[1:]:
            heading, _, body = block.partition("\n")
            sections[heading] = body.strip("\n").splitlines()
    sections[machine] = [f"Versions: {versions}", "", *lines]
    out = list(preamble)
    for heading, body in sections.items():
        out += ["", f"## {heading}", "", *body]
    return write_markdown(path, out)


def append_table_row(path, row, header, preamble=()):
    """Appends one row to the table in `path`, creating the file (preamble, header) first.

    For results that accumulate over runs, such as a wall time re-measured after changes.
    """
    path = pathlib.Path(path)
    if not path.exists():
        write_markdown(path, [*preamble, *markdown_table(header, [])])
    with path.open("a", encoding="utf-8") as file:
        file.write(markdown_row(row) + "\n")
    return path


def module_command(module, *args):
    """argv running `benchmarks.<module>` in a fresh interpreter (run it with cwd=REPO_ROOT)."""
    return [sys.executable, "-m", f"benchmarks.{module}", *map(str, args)]


# --------------------------------------------------------------------------- #
# Workloads shared by several benchmarks
# --------------------------------------------------------------------------- #

# Multi-head shapes of the layer benchmarks (speed, FLOP/s, memory): a base-size head
# layout on a small batch.
BATCH, D_MODEL, HEADS = 4, 256, 8
HEAD_DIM = D_MODEL // HEADS


def random_array(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def forward_backward(call, inputs, variables, jit_compile=False):
    """A zero-argument callable running `call(*inputs)` and its gradient.

    The loss is the sum of the outputs; gradients flow to the inputs and to
    `variables` (the layer's weights), as in a training step.
    """
    import tensorflow as tf

    tensors = [tf.constant(x) for x in inputs]
    weights = [v.value if hasattr(v, "value") else v for v in variables]

    @tf.function(jit_compile=jit_compile)
    def step(*xs):
        with tf.GradientTape() as tape:
            tape.watch(xs)
            loss = tf.reduce_sum(tf.cast(call(*xs), "float32"))
        return loss, tape.gradient(loss, list(xs) + weights)

    return lambda: step(*tensors)[0].numpy()


def self_attention_contestants(length):
    """Forward+backward runners of ours, keras.layers.MultiHeadAttention and keras-hub's
    encoder attention on one [BATCH, length, D_MODEL] input, all with the same weights.

    Shared because the speed and the memory benchmarks must measure the same layers.
    """
    import keras
    import keras_hub

    from keras_attn import layers

    x = random_array(BATCH, length, D_MODEL)
    ours = layers.MultiHeadSelfAttention(num_heads=HEADS, key_dim=HEAD_DIM)
    peer = keras.layers.MultiHeadAttention(num_heads=HEADS, key_dim=HEAD_DIM)
    # The attention sublayer of keras_hub.layers.TransformerEncoder, as a keras-hub user trains it.
    hub = keras_hub.layers.CachedMultiHeadAttention(num_heads=HEADS, key_dim=HEAD_DIM)
    hub(x[:, :2], x[:, :2])
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


def never_ending(step):
    """A decoder `step` with the end token masked, so decoding always runs to `max_length`.

    Decoding benchmarks compare time per generated token; an untrained model would
    otherwise stop at random lengths.
    """
    import tensorflow as tf

    from keras_attn import decoding

    def wrapped(token_ids, state, index):
        logits, state, attention = step(token_ids, state, index)
        logits = tf.where(tf.range(tf.shape(logits)[-1]) == decoding.END_ID, -1e9, logits)
        return logits, state, attention

    return wrapped
