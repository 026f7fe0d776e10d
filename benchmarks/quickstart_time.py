"""Times `keras-attn quickstart` end to end, as a new user runs it (issue 7: < 300 s on 2 cores).

Runs the console script in a fresh process (imports included) with temporary output
folders, then appends a row to benchmarks/results/quickstart_time.md.

    python benchmarks/quickstart_time.py
"""

import os
import platform
import subprocess
import sys
import tempfile
import time

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "quickstart_time.md")


def main():
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "keras_attn.cli", "quickstart", "--output-dir", os.path.join(folder, "runs"),
                   "--saved-models", os.path.join(folder, "saved_models")]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    print(done.stdout)
    if done.returncode != 0:
        sys.exit(f"quickstart failed ({done.returncode}):\n{done.stderr[-3000:]}")
    scores = [line.strip() for line in done.stdout.splitlines() if "bleu" in line]
    if not os.path.exists(RESULTS):
        with open(RESULTS, "w", encoding="utf-8") as file:
            file.write("# `keras-attn quickstart` wall time (benchmarks/quickstart_time.py)\n\n"
                       "| seconds | CPUs | load average before | scores |\n| --- | --- | --- | --- |\n")
    with open(RESULTS, "a", encoding="utf-8") as file:
        file.write(f"| {seconds:.0f} | {os.cpu_count()} ({platform.machine()}) | {os.getloadavg()[0]:.1f} | "
                   f"{'; '.join(scores)} |\n")
    print(f"quickstart took {seconds:.0f} s")


if __name__ == "__main__":
    main()
