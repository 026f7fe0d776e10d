"""Serving soak: many threads calling one loaded SavedModel for a long time, in-process.

The long form of tests/reliability/test_serving_load.py (same request loop and checks):
for each tiny translator family (untrained, seeded: the soak checks robustness, not
quality) it exports a SavedModel, loads it with `tf.saved_model.load`, records the
single-threaded answers, then runs `--threads` threads for `--seconds` each sending
random batches (1-4) of odd inputs, and reports requests served, errors, answers that
differ from the single-threaded ones, and RSS before / after / peak.

    python benchmarks/serving_soak.py [--threads 8] [--seconds 30] \
        [--output benchmarks/results/serving_soak.md]
"""

import argparse
import os
import platform
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo root, for tests/

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_attn import export  # noqa: E402
from tests import export_helpers  # noqa: E402
from tests.reliability.test_serving_load import TEXTS  # noqa: E402
from tests.reliability.test_serving_load import answers  # noqa: E402
from tests.reliability.test_serving_load import hammer  # noqa: E402
from tests.reliability.test_serving_load import rss_bytes  # noqa: E402

FAMILIES = {"fixed_context": "LSTM, no attention, greedy", "bahdanau": "BiGRU + Bahdanau, beam 3",
            "luong": "GRU + Luong, beam 2", "transformer": "Transformer (1 layer), beam 2"}


def soak(family, base, threads, seconds):
    path = export.export(export_helpers.untrained_translator(family), base, family)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    expected = {text: answers(serve(text=tf.constant([text]))) for text in TEXTS}
    hammer(serve, expected, threads=2, seconds=2)  # warm-up
    before = peak = rss_bytes()
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.wait(0.5):
            peak = max(peak, rss_bytes())

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.monotonic()
    figures = hammer(serve, expected, threads, seconds)
    elapsed = time.monotonic() - start
    done.set()
    sampler.join()
    after = rss_bytes()
    return {"family": family, "requests": figures["requests"], "errors": len(figures["errors"]),
            "mismatches": len(figures["mismatches"]), "seconds": elapsed, "rss_before": before,
            "rss_after": after, "rss_peak": max(peak, after), "first_error": (figures["errors"] or [""])[0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--families", nargs="+", default=export_helpers.available_families())
    parser.add_argument("--output", default="benchmarks/results/serving_soak.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as base:
        rows = []
        for family in args.families:
            row = soak(family, base, args.threads, args.seconds)
            print(row, flush=True)
            rows.append(row)
    mib = lambda b: f"{b / 2**20:.0f}"
    lines = [
        "# Serving soak (benchmarks/serving_soak.py)",
        "",
        f"{args.threads} threads × {args.seconds:.0f} s per model, in one process, all calling one loaded "
        "SavedModel's `serving_default` with random batches (1–4) of odd inputs (empty, whitespace, unknown "
        "words, emoji, full-width letters, a 36-word repetition). Every answer is compared with the "
        "single-threaded answer for the same text (translation and score). Tiny untrained, seeded "
        "translators (tests/export_helpers.py). Measured on "
        f"{os.cpu_count()} CPU cores ({platform.machine()}), TensorFlow {tf.__version__}, Keras "
        f"{keras.__version__}, load average {os.getloadavg()[0]:.1f} at the end (shared with other jobs).",
        "",
        "| model | requests | requests/s | errors | mismatches | RSS before MiB | RSS after MiB | RSS peak MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(f"| {FAMILIES.get(row['family'], row['family'])} | {row['requests']} | "
                     f"{row['requests'] / row['seconds']:.0f} | {row['errors']} | {row['mismatches']} | "
                     f"{mib(row['rss_before'])} | {mib(row['rss_after'])} | {mib(row['rss_peak'])} |")
    lines += ["", f"Total: {sum(r['requests'] for r in rows)} requests, "
              f"{sum(r['errors'] for r in rows)} errors, {sum(r['mismatches'] for r in rows)} mismatches.", ""]
    if any(r["first_error"] for r in rows):
        lines += ["First error: " + next(r["first_error"] for r in rows if r["first_error"]), ""]
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as file:
        file.write("\n".join(lines))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
