"""Times `keras-attn quickstart` end to end, as a new user runs it (issue 7: < 300 s on 2 cores).

Runs the console script in a fresh process (imports included) with temporary output
folders, then appends a row to benchmarks/results/quickstart_time.md.

    python -m benchmarks.quickstart_time
"""

import argparse
import os
import subprocess
import sys
import tempfile

from benchmarks import common

RESULTS = common.RESULTS_DIR / "quickstart_time.md"
HEADER = ["seconds", "CPUs", "load average before", "scores"]
PREAMBLE = ["# `keras-attn quickstart` wall time (benchmarks/quickstart_time.py)", ""]


def main(argv=None):
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    # Taken before the run, as the column says; the quickstart then has the cores to itself.
    load = common.load_average()
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "keras_attn.cli", "quickstart", "--output-dir", os.path.join(folder, "runs"),
                   "--saved-models", os.path.join(folder, "saved_models")]
        with common.Stopwatch() as stopwatch:
            done = subprocess.run(command, capture_output=True, text=True)
    seconds = stopwatch.wall
    print(done.stdout)
    if done.returncode != 0:
        sys.exit(f"quickstart failed ({done.returncode}):\n{done.stderr[-3000:]}")
    scores = [line.strip() for line in done.stdout.splitlines() if "bleu" in line]
    # After the run: the machine record imports TensorFlow, which the timed child must not share.
    machine = common.machine_record()
    common.append_table_row(RESULTS, [f"{seconds:.0f}", f"{machine['cores']} ({machine['architecture']})",
                                      f"{load:.1f}", "; ".join(scores)], HEADER, PREAMBLE)
    print(f"quickstart took {seconds:.0f} s")


if __name__ == "__main__":
    main()
