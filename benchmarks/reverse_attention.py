"""Attention vs a fixed context vector on `reverse` (issue 4's acceptance run).

Trains GRU encoder-decoders with equal parameter budgets, without attention, with
Bahdanau and with Luong attention, on sources of 24 symbols, and prints held-out
greedy exact match as a markdown table.

    python benchmarks/reverse_attention.py [--length 24] [--epochs 3]
"""

import argparse

from keras_attn import experiments


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=20_000)
    parser.add_argument("--parameter-budget", type=int, default=60_000)
    args = parser.parse_args()
    rows = experiments.compare_on_task(
        "reverse", length=args.length, epochs=args.epochs, train_size=args.train_size,
        parameter_budget=args.parameter_budget, verbose=2,
    )
    print(f"\nreverse, source length {args.length}, {args.train_size} training pairs, {args.epochs} epochs\n")
    print("| model | size | parameters | train s | exact match | BLEU |\n| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['model']} | {r['size']} | {r['parameters']} | {r['train_seconds']} | {r['exact_match']:.3f} | {r['bleu']} |")


if __name__ == "__main__":
    main()
