"""Times `keras-attn quickstart` end to end, as a new user runs it (issue 7: < 300 s on 2 cores).

Runs the console script in a fresh process (imports included) with temporary output
folders, then appends a row to benchmarks/results/quickstart_time.md. With
`--baseline REV`, the quickstart of commit REV (a temporary git worktree) runs first,
then this tree's, one after the other on the same machine, and the pair goes to
benchmarks/results/quickstart_speedup.md with the CPU model (issue 18: at least 2×
faster than 03b5a62, ≤ 300 s on the slowest machine).

    python -m benchmarks.quickstart_time [--baseline 03b5a62]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

from benchmarks import common

RESULTS = common.RESULTS_DIR / "quickstart_time.md"
HEADER = ["seconds", "CPUs", "load average before", "scores"]
PREAMBLE = ["# `keras-attn quickstart` wall time (benchmarks/quickstart_time.py)", ""]
SPEEDUP = common.RESULTS_DIR / "quickstart_speedup.md"
SPEEDUP_HEADER = ["baseline", "baseline s", "this tree s", "speed-up", "CPU", "scores (this tree)"]
SPEEDUP_PREAMBLE = ["# `keras-attn quickstart` against an earlier commit, one after the other on one machine "
                    "(benchmarks/quickstart_time.py --baseline)", ""]


def run_quickstart(tree):
    """`(seconds, stdout)` of the quickstart of the source tree `tree`, in a fresh process."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "keras_attn.cli", "quickstart", "--output-dir", os.path.join(folder, "runs"),
                   "--saved-models", os.path.join(folder, "saved_models")]
        env = {**os.environ, "PYTHONPATH": str(tree), "MPLBACKEND": "Agg"}
        with common.Stopwatch() as stopwatch:
            done = subprocess.run(command, capture_output=True, text=True, cwd=tree, env=env)
    print(done.stdout)
    if done.returncode != 0:
        sys.exit(f"quickstart of {tree} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return stopwatch.wall, done.stdout


def scores_of(stdout):
    return [line.strip() for line in stdout.splitlines() if "bleu" in line]


def compare_with(baseline):
    """The baseline commit's quickstart, then this tree's; appends the pair to SPEEDUP."""
    with tempfile.TemporaryDirectory() as folder:
        tree = os.path.join(folder, "baseline")
        subprocess.run(["git", "worktree", "add", "--detach", tree, baseline], check=True, cwd=common.REPO_ROOT,
                       capture_output=True)
        try:
            before, _ = run_quickstart(tree)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=common.REPO_ROOT, capture_output=True)
    time.sleep(5)  # let the machine settle between the two
    after, stdout = run_quickstart(common.REPO_ROOT)
    machine = common.machine_record()
    common.append_table_row(SPEEDUP, [baseline, f"{before:.0f}", f"{after:.0f}", f"{before / after:.2f}×",
                                      f"{machine['cpu']}, {machine['cores']} cores", "; ".join(scores_of(stdout))],
                            SPEEDUP_HEADER, SPEEDUP_PREAMBLE)
    print(f"{baseline}: {before:.0f} s; this tree: {after:.0f} s ({before / after:.2f}× faster)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="a commit whose quickstart runs first, for a same-machine speed-up")
    arguments = parser.parse_args(argv)
    if arguments.baseline:
        compare_with(arguments.baseline)
        return
    # Taken before the run, as the column says; the quickstart then has the cores to itself.
    load = common.load_average()
    seconds, stdout = run_quickstart(common.REPO_ROOT)
    scores = scores_of(stdout)
    # After the run: the machine record imports TensorFlow, which the timed child must not share.
    machine = common.machine_record()
    common.append_table_row(RESULTS, [f"{seconds:.0f}", f"{machine['cores']} ({machine['architecture']})",
                                      f"{load:.1f}", "; ".join(scores)], HEADER, PREAMBLE)
    print(f"quickstart took {seconds:.0f} s")


if __name__ == "__main__":
    main()
