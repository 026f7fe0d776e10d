"""Times `keras-attn --help` in a fresh process, as a user's shell runs it (issue 17: < 1 s).

The CLI imports Keras and TensorFlow only when a command needs them, so `--help` and
argument errors answer at once. Appends a row to benchmarks/results/cli_startup.md.

    python -m benchmarks.cli_startup [--repeats 5]
"""

import argparse
import statistics
import subprocess
import sys
import time

from benchmarks import common

RESULTS = common.RESULTS_DIR / "cli_startup.md"
HEADER = ["median s", "max s", "repeats", "TensorFlow output", "machine"]
PREAMBLE = ["# `keras-attn --help` wall time (benchmarks/cli_startup.py)", ""]


def time_help(repeats):
    """Seconds of each `python -m keras_attn.cli --help`, and whether any printed TensorFlow's log lines."""
    seconds, noisy = [], False
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "keras_attn.cli", "--help"], capture_output=True, text=True,
                              check=True, cwd=common.REPO_ROOT)
        seconds.append(time.perf_counter() - start)
        noisy = noisy or "tensorflow" in done.stderr.lower() or "cuda" in done.stderr.lower()
    return seconds, noisy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    seconds, noisy = time_help(args.repeats)
    median = statistics.median(seconds)
    common.append_table_row(RESULTS, [f"{median:.2f}", f"{max(seconds):.2f}", args.repeats, "yes" if noisy else "no",
                                      common.describe_machine()], HEADER, PREAMBLE)
    print(f"keras-attn --help: median {median:.2f} s over {args.repeats} runs")


if __name__ == "__main__":
    main()
