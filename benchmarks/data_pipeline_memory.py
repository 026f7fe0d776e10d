"""Peak memory of the data pipeline for 10k vs 100k generated ko-en pairs.

Shows that `keras_attn.data.load` + `make_dataset` stream: the resident set size
(RSS) while iterating does not grow with the number of pairs. For contrast, the
"materialised" mode first builds the corpus as Python lists (`list(generate(...))`)
and feeds it through `tf.data.Dataset.from_tensor_slices`, which must hold it all.

Each measurement runs in a fresh subprocess so that earlier runs do not raise the
peak. RSS is sampled from /proc after every batch (Linux only).

Usage:

    python -m benchmarks.data_pipeline_memory [--sizes 10000 100000] [--modes streaming materialised]
"""

import argparse
import json
import os
import subprocess
import sys

from benchmarks import common


def _rss_mb():
    """Current resident set size in MiB (sampled after every batch, so the peak is caught)."""
    return common.proc_status_mib("VmRSS")


def _child(size, mode, batch_size):
    import tensorflow as tf

    from keras_attn import data

    # Tokenizers from a separate, small sample: building them is not what we measure.
    sample = data.load("ko-en", "validation", size=2000, seed=1)
    source = data.WordTokenizer.from_corpus(sample.map(lambda s, t: s))
    target = data.WordTokenizer.from_corpus(sample.map(lambda s, t: t))

    def pipeline(pairs):
        return data.make_dataset(pairs, source, target, batch_size=batch_size, shuffle=True, seed=0)

    # Warm up TensorFlow (graph tracing, thread pools) on a tiny run before the baseline.
    for _ in pipeline(data.load("ko-en", "train", size=256, seed=9)):
        pass

    baseline = peak = _rss_mb()
    with common.Stopwatch() as stopwatch:
        if mode == "streaming":
            pairs = data.load("ko-en", "train", size=size, seed=0)
        else:
            examples = list(data.generate("ko-en", "train", size=size, seed=0))
            sources = [example.source for example in examples]
            targets = [example.target for example in examples]
            pairs = tf.data.Dataset.from_tensor_slices((sources, targets))
            peak = max(peak, _rss_mb())
        seen = batches = 0
        for inputs, _ in pipeline(pairs):
            seen += int(inputs["source"].shape[0])
            batches += 1
            peak = max(peak, _rss_mb())
    seconds = stopwatch.wall
    print(
        json.dumps(
            {
                "mode": mode,
                "pairs": seen,
                "batches": batches,
                "seconds": round(seconds, 1),
                "baseline_mb": round(baseline, 1),
                "peak_mb": round(peak, 1),
            }
        )
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--modes", nargs="+", default=["streaming", "materialised"],
                        choices=["streaming", "materialised"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--child", nargs=2, metavar=("SIZE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(int(args.child[0]), args.child[1], args.batch_size)
        return

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    rows = []
    for mode in args.modes:
        for size in args.sizes:
            command = common.module_command("data_pipeline_memory", "--child", size, mode,
                                            "--batch-size", args.batch_size)
            result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=common.REPO_ROOT)
            if result.returncode != 0:
                sys.stderr.write(result.stderr)
                raise SystemExit(f"measurement {mode} {size} failed")
            rows.append(json.loads(result.stdout.strip().splitlines()[-1]))

    header = (
        f"{'mode':<13}{'pairs':>9}{'batches':>9}{'seconds':>9}"
        f"{'RSS before':>12}{'peak RSS':>10}{'growth':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        growth = row["peak_mb"] - row["baseline_mb"]
        print(
            f"{row['mode']:<13}{row['pairs']:>9}{row['batches']:>9}{row['seconds']:>9}"
            f"{row['baseline_mb']:>10.0f}MB{row['peak_mb']:>8.0f}MB{growth:>7.0f}MB"
        )
    print(f"\nMeasured on {common.describe_machine()}.")
    return rows


if __name__ == "__main__":
    main()
