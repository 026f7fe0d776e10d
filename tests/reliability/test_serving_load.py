"""Concurrent serving: many threads calling one loaded SavedModel, in-process.

A tiny translator of each decoding kind (greedy fixed-context, beam-search Transformer)
is exported once; the test loads the SavedModel, records single-threaded answers for a
set of inputs, then lets several threads call `serving_default` on random batches of
those inputs for a bounded time. Every concurrent answer must equal the single-threaded
one, no call may fail, and RSS may not keep growing (a leak per request would show
after thousands of calls). benchmarks/serving_soak.py runs the same loop longer.
"""

import os
import random
import threading
import time

import numpy as np
import pytest
import tensorflow as tf

from keras_attn import export
from tests import export_helpers

THREADS = 4
SECONDS = float(os.environ.get("KERAS_ATTN_LOAD_SECONDS", 5))
# Odd inputs on purpose: empty, whitespace, unknown words, mixed scripts, long, emoji.
TEXTS = ["나는 밥을 먹었다", "", "   ", "그는 학교에 갔다", "xyzzy plugh", "나는 나는 나는 " * 12, "🙂 안녕!",
         "Ünïcödé ＦＵＬＬＷＩＤＴＨ", "그녀는 책을 읽었다 그리고 나는 밥을 먹었다"]


def rss_bytes():
    """Resident set size of this process, from /proc (Linux)."""
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def answers(outputs):
    return {key: value.numpy() for key, value in outputs.items()}


def same(first, second):
    return all(np.array_equal(first[key], second[key]) for key in first)


def hammer(serving, expected, threads, seconds, seed=0):
    """Calls `serving` from `threads` threads for `seconds`; returns the figures.

    Each request is a random batch (1-4) of TEXTS; its outputs are compared row by row
    with the single-threaded answers in `expected` (text → outputs for a batch of one).
    """
    stop = time.monotonic() + seconds
    counts, errors, mismatches = [0] * threads, [], []

    def worker(index):
        rng = random.Random(seed + index)
        while time.monotonic() < stop:
            batch = [rng.choice(TEXTS) for _ in range(rng.randint(1, 4))]
            try:
                got = answers(serving(text=tf.constant(batch)))
            except Exception as error:  # noqa: BLE001 - any failure is a finding
                errors.append(repr(error))
                continue
            counts[index] += 1
            for row, text in enumerate(batch):
                want = expected[text]
                # Only translation/scores are batch-independent in content; token and
                # attention outputs are padded to the batch's longest row.
                if got["translation"][row] != want["translation"][0] or not np.allclose(
                        got["scores"][row], want["scores"][0], atol=1e-4):
                    mismatches.append((text, got["translation"][row], want["translation"][0]))

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return {"requests": sum(counts), "errors": errors, "mismatches": mismatches}


@pytest.fixture(scope="module", params=["fixed_context", "transformer"])
def serving(request, tmp_path_factory):
    family = request.param
    if family not in export_helpers.available_families():
        pytest.skip(f"{family} is not in this checkout")
    base = str(tmp_path_factory.mktemp("load"))
    path = export.export(export_helpers.untrained_translator(family), base, family)
    return family, tf.saved_model.load(path).signatures["serving_default"]


def test_concurrent_requests_match_single_threaded_answers_without_errors_or_leaks(serving):
    family, serve = serving
    expected = {text: answers(serve(text=tf.constant([text]))) for text in TEXTS}
    # The batched single-threaded answer agrees with the batch-of-one answers: the
    # row-by-row comparison under load is then a fair one.
    together = answers(serve(text=tf.constant(TEXTS)))
    assert list(together["translation"]) == [expected[t]["translation"][0] for t in TEXTS]
    hammer(serve, expected, threads=2, seconds=1)  # warm-up: graphs traced, pools grown
    before = rss_bytes()
    figures = hammer(serve, expected, THREADS, SECONDS)
    after = rss_bytes()
    print(f"\n{family}: {figures['requests']} requests from {THREADS} threads in {SECONDS:.0f} s, "
          f"{len(figures['errors'])} errors, {len(figures['mismatches'])} mismatches, "
          f"RSS {before / 2**20:.0f} → {after / 2**20:.0f} MiB")
    assert figures["errors"] == [] and figures["mismatches"] == []
    assert figures["requests"] >= THREADS * 5, figures["requests"]
    # A leak of even 1 KiB per request would pass unnoticed at this scale, but a
    # per-request tensor or graph leak (≥ 100 KiB each) would exceed 64 MiB.
    assert after - before < 64 * 2**20, (before, after)
