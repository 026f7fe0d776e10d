"""Attention vs a fixed context vector on `reverse` (issue 4's acceptance run).

Trains GRU encoder-decoders with equal parameter budgets, without attention, with
Bahdanau and with Luong attention, on sources of 24 symbols, and prints held-out
greedy exact match as a markdown table (results/reverse_attention.md records a run,
with notes).

    python -m benchmarks.reverse_attention [--length 24] [--epochs 3]
"""

import argparse

from benchmarks import common
from keras_attn import experiments


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=20_000)
    parser.add_argument("--parameter-budget", type=int, default=60_000)
    args = parser.parse_args(argv)
    rows = experiments.compare_on_task(
        "reverse", length=args.length, epochs=args.epochs, train_size=args.train_size,
        parameter_budget=args.parameter_budget, verbose=2,
    )
    print(f"\nreverse, source length {args.length}, {args.train_size} training pairs, {args.epochs} epochs")
    print(f"Measured on {common.describe_machine()}.\n")
    print("\n".join(common.markdown_table(
        ["model", "size", "parameters", "train s", "exact match", "BLEU"],
        [[r["model"], r["size"], r["parameters"], r["train_seconds"], f"{r['exact_match']:.3f}", r["bleu"]]
         for r in rows])))
    return rows


if __name__ == "__main__":
    main()
