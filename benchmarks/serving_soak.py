"""Serving soak: many threads calling one loaded SavedModel for a long time, in-process.

The long form of tests/test_export.py's concurrent-requests test (same request loop and checks):
for each tiny translator family (untrained, seeded: the soak checks robustness, not
quality) it exports a SavedModel, loads it with `tf.saved_model.load`, records the
single-threaded answers, then runs `--threads` threads for `--seconds` each sending
random batches (1-4) of odd inputs, and reports requests served, errors, answers that
differ from the single-threaded ones, and RSS before / after / peak.

    python -m benchmarks.serving_soak [--threads 8] [--seconds 30] \
        [--output benchmarks/results/serving_soak.md]
"""

import argparse
import tempfile
import threading

import tensorflow as tf

from benchmarks import common
from keras_attn import export
# The test's request loop and checks, so that the soak and the test cannot drift apart
# (`python -m` from the repository root puts tests/ on the path).
from tests.testing import answers
from tests.testing import available_families
from tests.testing import hammer
from tests.testing import LOAD_TEXTS
from tests.testing import rss_bytes
from tests.testing import untrained_translator

FAMILIES = {"fixed_context": "LSTM, no attention, greedy", "bahdanau": "BiGRU + Bahdanau, beam 3",
            "luong": "GRU + Luong, beam 2", "transformer": "Transformer (1 layer), beam 2"}


def soak(family, base, threads, seconds):
    path = export.export(untrained_translator(family), base, family)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    expected = {text: answers(serve(text=tf.constant([text]))) for text in LOAD_TEXTS}
    hammer(serve, expected, threads=2, seconds=2)  # warm-up
    before = peak = rss_bytes()
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.wait(0.5):
            peak = max(peak, rss_bytes())

    sampler = threading.Thread(target=sample)
    sampler.start()
    with common.Stopwatch() as stopwatch:
        figures = hammer(serve, expected, threads, seconds)
    elapsed = stopwatch.wall
    done.set()
    sampler.join()
    after = rss_bytes()
    return {"family": family, "requests": figures["requests"], "errors": len(figures["errors"]),
            "mismatches": len(figures["mismatches"]), "seconds": elapsed, "rss_before": before,
            "rss_after": after, "rss_peak": max(peak, after), "first_error": (figures["errors"] or [""])[0]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--families", nargs="+", default=available_families())
    parser.add_argument("--output", default=str(common.RESULTS_DIR / "serving_soak.md"))
    args = parser.parse_args(argv)
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
        "translators (tests/testing/translators.py). Measured on "
        f"{common.describe_machine()}, load average {common.load_average():.1f} at the end (shared with other "
        "jobs).",
        "",
    ]
    lines += common.markdown_table(
        ["model", "requests", "requests/s", "errors", "mismatches", "RSS before MiB", "RSS after MiB",
         "RSS peak MiB"],
        [[FAMILIES.get(row["family"], row["family"]), row["requests"], f"{row['requests'] / row['seconds']:.0f}",
          row["errors"], row["mismatches"], mib(row["rss_before"]), mib(row["rss_after"]), mib(row["rss_peak"])]
         for row in rows])
    lines += ["", f"Total: {sum(r['requests'] for r in rows)} requests, "
              f"{sum(r['errors'] for r in rows)} errors, {sum(r['mismatches'] for r in rows)} mismatches."]
    if any(r["first_error"] for r in rows):
        lines += ["", "First error: " + next(r["first_error"] for r in rows if r["first_error"])]
    common.write_markdown(args.output, lines)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
