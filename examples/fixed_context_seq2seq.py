"""The fixed context vector of Sutskever et al. 2014, and its bottleneck.

An LSTM/GRU encoder squeezes the whole source into its last state; the decoder
sees nothing else. On `reverse`, that is enough for short sources and fails as
they grow, while the same-size model with Bahdanau attention keeps up.

    python examples/fixed_context_seq2seq.py            # ~2.5 min on 2 CPU cores
    python examples/fixed_context_seq2seq.py --smoke    # seconds
"""

import argparse

from keras_attn import experiments


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--smoke", action="store_true", help="tiny data, one epoch")
    args = parser.parse_args(argv)
    settings = dict(train_size=200, test_size=20, epochs=1, parameter_budget=20_000) if args.smoke else dict(
        train_size=10_000, test_size=200, epochs=3)
    lengths = args.lengths[:1] if args.smoke else args.lengths
    print("| source length | model | parameters | exact match | BLEU |\n| --- | --- | --- | --- | --- |")
    results = []
    for length in lengths:
        for row in experiments.compare_on_task("reverse", length=length, arms=("fixed_context", "bahdanau"),
                                               verbose=0, **settings):
            results.append({**row, "length": length})
            print(f"| {length} | {row['model']} | {row['parameters']:,} | {row['exact_match']:.3f} | {row['bleu']:.1f} |",
                  flush=True)
    return results


if __name__ == "__main__":
    main()
