"""Greedy and beam search time per sentence, with and without the KV cache.

Section 4 ("decoding") of results/performance.md: the untrained `tiny_transformer`
decodes a batch to exactly T tokens (end token masked) in a `tf.function`, the four
(search, cache) settings interleaved. Running this module measures only this section
and merges it into the report. kv_cache_decoding.py is the greedy-only run with a
check that both paths emit the same tokens.

    python -m benchmarks.decoding_speed [--repeats 15] [--smoke]
"""

import keras
import numpy as np
import tensorflow as tf

from benchmarks import common
from keras_attn import decoding
from keras_attn import models

tf.get_logger().setLevel("ERROR")  # one tf.function per setting: retracing warnings are expected

NAME = "decoding"
USES_LENGTHS = False

LENGTHS = (32, 64, 128)
SMOKE_LENGTHS = (8, 16)


def run_decoding(lengths, repeats, batch=8, source_length=24, vocab_size=1000, beam_size=4):
    keras.utils.set_random_seed(0)
    model = models.from_preset("tiny_transformer", vocab_size, vocab_size)
    rng = np.random.default_rng(0)
    source = tf.constant(rng.integers(4, vocab_size, size=(batch, source_length)).astype("int32"))

    def decoder(length, use_cache, search):
        @tf.function
        def run():
            state = model.initial_state(source, max_length=length, use_cache=use_cache)
            if search == "greedy":
                return decoding.greedy_search(common.never_ending(model.step), state, batch, length)["tokens"]
            return decoding.beam_search(common.never_ending(model.step), state, batch, length,
                                        beam_size=beam_size)["tokens"]

        return lambda: run().numpy()

    rows = []
    for length in lengths:
        runners = {(search, cache): decoder(length, cache, search)
                   for search in ("greedy", "beam") for cache in (True, False)}
        medians = common.interleaved_medians(runners, repeats, warmup=1)
        for (search, cache), seconds in medians.items():
            rows.append({"search": search, "kv cache": cache, "length": length, "ms / sentence": seconds * 1e3 / batch})
        print(length, {f"{s} cache={c}": f"{v * 1e3 / batch:.1f} ms" for (s, c), v in medians.items()}, flush=True)
    return {"rows": rows, "batch": batch, "source_length": source_length, "beam_size": beam_size,
            "parameters": model.count_params()}


def run(args):
    """This section's entries of the results dict."""
    return {NAME: run_decoding(list(SMOKE_LENGTHS if args.smoke else LENGTHS), args.repeats)}


def report_lines(results):
    section = results[NAME]
    lengths = sorted({r["length"] for r in section["rows"]})
    times = {(r["search"], r["kv cache"], r["length"]): r["ms / sentence"] for r in section["rows"]}
    lines = [
        "## 4. Decoding",
        "",
        f"`tiny_transformer` ({section['parameters']:,} parameters, untrained), batch {section['batch']}, "
        f"sources of {section['source_length']} tokens, beam size {section['beam_size']}; the end token is "
        "masked so every sentence decodes exactly T tokens. Milliseconds per sentence.",
        "",
    ]
    table = []
    for search in ("greedy", "beam"):
        for cache in (True, False):
            table.append([search, "cached" if cache else "uncached"]
                         + [f"{times[(search, cache, n)]:.1f}" for n in lengths])
        table.append([search, "speed-up"] + [f"{times[(search, False, n)] / times[(search, True, n)]:.2f}x"
                                              for n in lengths])
    lines += common.markdown_table(["search", "KV cache"] + [f"T={n}" for n in lengths], table)
    return lines + ["", "SavedModel serving latency: [serving_latency.md](serving_latency.md).", ""]


def main(argv=None):
    from benchmarks import performance  # the report spans every section, so one writer owns it

    return performance.main(argv, sections=[NAME], description=__doc__)


if __name__ == "__main__":
    main()
