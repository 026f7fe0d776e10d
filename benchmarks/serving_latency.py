"""Serving latency: the exported SavedModel vs the in-process Translator.

Trains a small GRU + Bahdanau ko-en translator, exports it twice (greedy and beam
search with 4 beams), reloads each SavedModel in this process
(`tf.saved_model.load(...).signatures["serving_default"]`, the graph TF Serving
runs, minus the RPC) and times batches of 1, 8 and 32 held-out sentences, beside
`Translator.translate` on the same batches. Writes a markdown table with p50 / p90
/ p99 latency per call and throughput in sentences per second.

    python -m benchmarks.serving_latency [--epochs 6] [--calls 40] \
        [--output benchmarks/results/serving_latency.md]
"""

import argparse
import tempfile

import keras
import numpy as np
import tensorflow as tf

import keras_attn
from benchmarks import common
from keras_attn import data
from keras_attn import metrics
from keras_attn import models
from keras_attn.export import export

BATCH_SIZES = (1, 8, 32)


def train(train_size, epochs, units):
    pairs = data.load("ko-en", "train", size=train_size, seed=0)
    source = data.WordTokenizer.from_corpus(pairs.map(lambda s, t: s))
    target = data.WordTokenizer.from_corpus(pairs.map(lambda s, t: t))
    batches = data.make_dataset(pairs, source, target, batch_size=64, shuffle=True, seed=0, cache=True)
    keras.utils.set_random_seed(0)
    model = models.seq2seq(source.vocabulary_size(), target.vocabulary_size(), cell="gru", attention="bahdanau",
                           embedding_dim=32, units=units)
    model.compile()  # the family's training defaults
    with common.Stopwatch() as stopwatch:
        model.fit(batches, epochs=epochs, verbose=2, shuffle=False)
    return model, source, target, stopwatch.wall


def summarise(latencies, batch_size):
    """p50 / p90 / p99 ms and sentences per second: the latency columns of one table row."""
    p50, p90, p99 = np.percentile(latencies, [50, 90, 99]) * 1000
    throughput = batch_size * len(latencies) / latencies.sum()
    return [f"{p50:.1f}", f"{p90:.1f}", f"{p99:.1f}", f"{throughput:.0f}"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--units", type=int, default=96)
    parser.add_argument("--calls", type=int, default=40, help="timed calls per batch size and path")
    parser.add_argument("--output", default=str(common.RESULTS_DIR / "serving_latency.md"))
    args = parser.parse_args(argv)

    model, source, target, train_seconds = train(args.train_size, args.epochs, args.units)
    test = data.to_pairs(data.load("ko-en", "test", size=max(BATCH_SIZES) * args.calls, seed=0))
    sentences = [pair[0] for pair in test]
    references = [pair[1] for pair in test]
    settings = dict(max_length=40, max_source_length=32)
    translators = {
        "greedy": keras_attn.Translator(model, source, target, strategy="greedy", **settings),
        "beam 4": keras_attn.Translator(model, source, target, strategy="beam", beam_size=4, **settings),
    }
    quality = {}
    rows = []
    with tempfile.TemporaryDirectory() as base_dir:
        for label, translator in translators.items():
            hypotheses = translator.translate(sentences[:500])
            quality[label] = (metrics.exact_match(hypotheses, references[:500]),
                              metrics.corpus_bleu(hypotheses, references[:500]))
            path = export(translator, base_dir, label.replace(" ", "_"))
            signature = tf.saved_model.load(path).signatures["serving_default"]

            def saved_model_call(batch, signature=signature):
                return signature(text=tf.constant(batch))["translation"].numpy()

            for batch_size in BATCH_SIZES:
                batches = [sentences[i * batch_size:(i + 1) * batch_size] for i in range(args.calls)]
                # Same batches, same answers: the two paths run the same graph.
                assert [t.decode() for t in saved_model_call(batches[0])] == translator.translate(batches[0])
                for path_label, call in (("SavedModel (loaded)", saved_model_call),
                                         ("Translator.translate", translator.translate)):
                    latencies = common.call_latencies(call, batches)
                    rows.append([label, path_label, batch_size, *summarise(latencies, batch_size)])
                    print(common.markdown_row(rows[-1]), flush=True)

    lines = [
        "# Serving latency (benchmarks/serving_latency.py)",
        "",
        f"Measured on {common.describe_machine()}, shared with other jobs. GRU + Bahdanau ko-en translator, "
        f"{args.units} units, {model.count_params()} parameters, trained {args.epochs} epochs on "
        f"{args.train_size} pairs ({train_seconds:.0f} s). Sources ≤ 32 tokens, at most 40 generated tokens. "
        f"{args.calls} timed calls per row after 3 warmup calls; batches are consecutive held-out sentences.",
        "",
        "Held-out quality on 500 test sentences: "
        + ", ".join(f"{k}: exact match {em:.3f}, BLEU {bleu:.1f}" for k, (em, bleu) in quality.items()) + ".",
        "",
        *common.markdown_table(["decoding", "path", "batch", "p50 ms", "p90 ms", "p99 ms", "sentences/s"], rows),
        "",
        "`SavedModel (loaded)` is the exported graph reloaded with `tf.saved_model.load` and called through its "
        "`serving_default` signature (what TF Serving executes, without the network hop); "
        "`Translator.translate` is the in-process path (the same graph traced in a `tf.function`, plus "
        "Python-side batching and UTF-8 decoding).",
    ]
    common.write_markdown(args.output, lines)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
