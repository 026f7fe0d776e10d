"""Greedy decoding time per sentence with and without the Transformer's key/value cache.

With the cache, step t projects one new position and attends over the cached
keys/values; without it (`initial_state(..., use_cache=False)`), step t re-runs the
whole decoder on the t-token prefix (the encoder still runs once). The end token is
masked so that every sentence decodes exactly `length` tokens. Writes
benchmarks/results/kv_cache_decoding.md.

    python -m benchmarks.kv_cache_decoding            # full settings
    python -m benchmarks.kv_cache_decoding --smoke    # seconds, no results file
"""

import argparse

import keras
import numpy as np
import tensorflow as tf

from benchmarks import common
from keras_attn import decoding
from keras_attn import models

RESULTS = common.RESULTS_DIR / "kv_cache_decoding.md"


def time_decoding(model, source_ids, length, use_cache, repeats):
    """Median seconds per sentence of greedy decoding of `length` tokens (after a warm-up), and the tokens."""

    @tf.function
    def run(source_ids):
        state = model.initial_state(source_ids, max_length=length, use_cache=use_cache)
        return decoding.greedy_search(common.never_ending(model.step), state, tf.shape(source_ids)[0], length)

    tokens = run(source_ids)["tokens"].numpy()  # traces: the warm-up
    seconds = common.median_seconds(lambda: run(source_ids)["tokens"].numpy(), repeats, warmup=0)
    return seconds / source_ids.shape[0], tokens


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--source-length", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--preset", default="tiny_transformer")
    parser.add_argument("--vocab-size", type=int, default=1000)
    parser.add_argument("--smoke", action="store_true", help="short lengths, one repeat, no results file")
    args = parser.parse_args(argv)
    if args.smoke:
        args.lengths, args.repeats, args.batch_size = [8, 16], 1, 2

    keras.utils.set_random_seed(0)
    model = models.from_preset(args.preset, args.vocab_size, args.vocab_size)
    rng = np.random.default_rng(0)
    source = rng.integers(4, args.vocab_size, size=(args.batch_size, args.source_length)).astype("int32")
    source[:, -1] = decoding.END_ID
    source_ids = tf.constant(source)

    rows = []
    for length in args.lengths:
        cached, cached_tokens = time_decoding(model, source_ids, length, True, args.repeats)
        uncached, uncached_tokens = time_decoding(model, source_ids, length, False, args.repeats)
        same = bool(np.array_equal(cached_tokens, uncached_tokens))
        rows.append((length, cached * 1e3, uncached * 1e3, uncached / cached, same))
        print(f"length {length}: cached {cached * 1e3:.1f} ms, uncached {uncached * 1e3:.1f} ms per sentence, "
              f"speed-up {uncached / cached:.2f}x, same tokens: {same}", flush=True)

    if args.smoke:
        return rows
    lines = [
        "# KV-cached vs uncached Transformer decoding (benchmarks/kv_cache_decoding.py)",
        "",
        f"Measured on {common.describe_machine()}, shared with other jobs. Model: the `{args.preset}` preset "
        f"({model.count_params()} parameters, vocabulary {args.vocab_size}), untrained; greedy decoding in a "
        f"`tf.function` (no XLA) of a batch of {args.batch_size} sources of {args.source_length} tokens, the end "
        f"token masked so every sentence decodes exactly the given number of tokens; median of {args.repeats} runs "
        "after a warm-up, divided by the batch size. Uncached = `initial_state(..., use_cache=False)`: every step "
        "re-runs the decoder on the whole prefix (the encoder runs once).",
        f"Load average when the results were written: {common.load_average():.1f} (other jobs share the cores, so "
        "absolute times are noisy).",
        "",
    ]
    lines += common.markdown_table(
        ["output tokens", "cached ms / sentence", "uncached ms / sentence", "speed-up", "same tokens"],
        [[n, f"{c:.1f}", f"{u:.1f}", f"{s:.2f}x", same] for n, c, u, s, same in rows])
    common.write_markdown(RESULTS, lines)
    print(RESULTS.read_text(encoding="utf-8"))
    return rows


if __name__ == "__main__":
    main()
