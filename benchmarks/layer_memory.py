"""Peak memory of one forward+backward of our multi-head self-attention vs Keras'.

Section 5 ("memory") of results/performance.md: peak RSS growth of building the layer
and running one forward+backward, per sequence length. Each point runs in a fresh
process (the hidden `--memory-probe` option), since a process's peak RSS only grows.
Running this module measures only this section and merges it into the report.

    python -m benchmarks.layer_memory [--lengths 64 128] [--smoke]
"""

import subprocess

from benchmarks import common
from benchmarks.common import BATCH
from benchmarks.common import D_MODEL
from benchmarks.common import HEADS

NAME = "memory"
USES_LENGTHS = True

MEMORY_CONTESTANTS = ("ours MultiHeadSelfAttention", "keras MultiHeadAttention")


def measure_peak_memory(layer, length):
    """Peak RSS growth (MiB) of building and running one forward+backward (call in a fresh process).

    The baseline is taken after every library the contestants use is imported (the
    probe runs through performance.py, which imports them all), so only the layer's
    own weights, graph and activations count.
    """
    import keras_hub  # noqa: F401  (imported before the baseline, as the other contestants' code is)

    base = common.proc_status_mib("VmHWM")
    run = common.self_attention_contestants(length)[layer]
    run()
    return common.proc_status_mib("VmHWM") - base


def run_memory(lengths):
    rows = []
    for length in lengths:
        for layer in MEMORY_CONTESTANTS:
            output = subprocess.run(
                common.module_command("layer_memory", "--memory-probe", layer, length),
                check=True, capture_output=True, text=True, cwd=common.REPO_ROOT,
            ).stdout
            mib = float(output.strip().splitlines()[-1])
            rows.append({"layer": layer, "length": length, "peak RSS growth MiB": mib})
            print(layer, length, f"{mib:.0f} MiB", flush=True)
    return rows


def run(args):
    """This section's entries of the results dict (a list of rows, as stored since the first run)."""
    return {NAME: run_memory(args.lengths)}


def report_lines(results):
    rows = results[NAME]
    lengths = sorted({r["length"] for r in rows})
    mib = {(r["layer"], r["length"]): r["peak RSS growth MiB"] for r in rows}
    lines = [
        "## 5. Memory",
        "",
        f"Peak RSS growth of building the layer and running one forward+backward (batch {BATCH}, d_model "
        f"{D_MODEL}, {HEADS} heads), a fresh process per point. MiB.",
        "",
    ]
    lines += common.markdown_table(["layer"] + [f"T={n}" for n in lengths],
                                   [[layer] + [f"{mib[(layer, n)]:.0f}" for n in lengths]
                                    for layer in MEMORY_CONTESTANTS])
    return lines + [""]


def plot(axis, results):
    for layer in MEMORY_CONTESTANTS:
        points = [(r["length"], r["peak RSS growth MiB"]) for r in results[NAME] if r["layer"] == layer]
        axis.plot(*zip(*points), marker="o", label=layer)
    axis.set(xscale="log", yscale="log", xlabel="sequence length", ylabel="peak RSS growth, MiB",
             title="memory, forward+backward")
    axis.legend(fontsize=7)


def main(argv=None):
    from benchmarks import performance  # the report spans every section, so one writer owns it

    return performance.main(argv, sections=[NAME], description=__doc__)


if __name__ == "__main__":
    main()
