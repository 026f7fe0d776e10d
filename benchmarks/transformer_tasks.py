"""The Transformer on `reverse` (length-24 sources) and on `ko-en` (issue 5's acceptance runs).

Trains the CPU-sized `tiny_transformer` preset (2 layers, d_model 128, 4 heads)
with Adam(0.9, 0.98, 1e-9), the warm-up schedule and label smoothing 0.1, then
reports greedy held-out exact match and corpus BLEU (SacreBLEU) from KV-cached
decoding, and writes benchmarks/results/transformer_tasks.md.

    python -m benchmarks.transformer_tasks            # full settings
    python -m benchmarks.transformer_tasks --smoke    # seconds, no results file
"""

import argparse

import keras

from benchmarks import common
from keras_attn import data
from keras_attn import evaluation
from keras_attn import models

RESULTS = common.RESULTS_DIR / "transformer_tasks.md"

TASKS = {
    # name: data options, training pairs, epochs
    "reverse": dict(options=dict(min_length=24, max_length=24), train_size=20_000, epochs=4),
    "ko-en": dict(options=dict(), train_size=20_000, epochs=6),
}


def run_task(task, train_size, epochs, test_size=500, batch_size=64, warmup_steps=400, scale=0.5, seed=0,
             preset="tiny_transformer", verbose=2, **options):
    """Trains `preset` on `task` and returns a row of held-out greedy scores."""
    train = data.load(task, "train", size=train_size, seed=seed, **options)
    test = data.load(task, "test", size=test_size, seed=seed, **options)
    source_tokenizer = data.WordTokenizer.from_corpus(train.map(lambda s, t: s))
    target_tokenizer = data.WordTokenizer.from_corpus(train.map(lambda s, t: t))
    # Batches padded to a few bucket lengths: XLA compiles once per shape.
    batches = data.make_dataset(
        train, source_tokenizer, target_tokenizer, batch_size=batch_size, shuffle=True, seed=seed, cache=True,
        bucket_boundaries=(16, 32, 64), pad_to_bucket_boundary=True, max_source_length=63, max_target_length=63,
    )
    keras.utils.set_random_seed(seed)
    model = models.from_preset(preset, source_tokenizer.vocabulary_size(), target_tokenizer.vocabulary_size())
    # The family's policy with this benchmark's schedule, and XLA as when the results were measured.
    policy = model.default_compile_kwargs(warmup_steps=warmup_steps, schedule_scale=scale)
    model.compile(**{**policy, "jit_compile": True})
    with common.Stopwatch() as training:
        model.fit(batches, epochs=epochs, verbose=verbose, shuffle=False)  # the pipeline shuffles
    with common.Stopwatch() as decoding:
        # max_length stays within the default KV cache (source length + 50).
        scores = evaluation.score_model(model, test, source_tokenizer, target_tokenizer, max_length=50)
    return {
        "task": task,
        "options": options,
        "train_size": train_size,
        "test_size": test_size,
        "epochs": epochs,
        "parameters": model.count_params(),
        "train_seconds": round(training.wall, 1),
        "train_cpu_seconds": round(training.cpu, 1),
        "decode_seconds": round(decoding.wall, 1),
        "exact_match": scores["exact_match"],
        "bleu": round(scores["bleu"], 2),
        "examples": scores["examples"],
    }


def write_results(rows, path=RESULTS):
    lines = [
        "# The Transformer on reverse-24 and ko-en (benchmarks/transformer_tasks.py)",
        "",
        f"Measured on {common.describe_machine()}, shared with other jobs. Model: the `tiny_transformer` preset "
        "(2+2 layers, d_model 128, 4 heads, d_ff 256, post-norm, dropout 0.1), Adam(0.9, 0.98, 1e-9) with the "
        "warm-up schedule (warmup 400 steps, scale 0.5), label smoothing 0.1, batch 64, jit_compile=True. "
        "Scores: greedy KV-cached decoding on held-out pairs (the test split), exact match and "
        "corpus BLEU from `keras_attn.metrics` (SacreBLEU, tokenize='none').",
        f"Load average when the results were written: {common.load_average():.1f}. Train CPU s is the process's "
        "CPU time (all threads) during `fit`: the \"CPU minutes\" of the acceptance, whatever else ran.",
        "",
    ]
    lines += common.markdown_table(
        ["task", "data options", "train pairs", "epochs", "parameters", "train s (wall)", "train CPU s", "decode s",
         "test pairs", "exact match", "BLEU"],
        [[r["task"], r["options"] or "-", r["train_size"], r["epochs"], r["parameters"], r["train_seconds"],
          r["train_cpu_seconds"], r["decode_seconds"], r["test_size"], f"{r['exact_match']:.3f}", r["bleu"]]
         for r in rows])
    lines += ["", "Examples (hypothesis / reference):", ""]
    for r in rows:
        for hypothesis, reference in r["examples"][:2]:
            lines.append(f"- {r['task']}: `{hypothesis}` / `{reference}`")
    common.write_markdown(path, lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--smoke", action="store_true", help="a few hundred pairs, one epoch, no results file")
    args = parser.parse_args(argv)
    rows = []
    for task in args.tasks:
        settings = TASKS[task]
        train_size, epochs, test_size = settings["train_size"], settings["epochs"], 500
        if args.smoke:
            train_size, epochs, test_size = 512, 1, 32
        rows.append(run_task(task, train_size, epochs, test_size=test_size, **settings["options"]))
        print({k: v for k, v in rows[-1].items() if k != "examples"}, flush=True)
    if not args.smoke:
        write_results(rows)
        print(RESULTS.read_text(encoding="utf-8"))
    return rows


if __name__ == "__main__":
    main()
