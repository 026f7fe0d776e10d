"""The bottleneck experiment: exact match and BLEU against source length.

A fixed-context GRU encoder-decoder, the same with Bahdanau and with Luong attention,
and a Transformer (equal parameter budgets per task) are trained once per task on
sources of mixed length, then scored on held-out sentences grouped by length:
`reverse` at lengths 10, 20, ..., 60 and `ko-en` in bins of 5 Korean words up to 30.
The tables and the plots (the shape of Bahdanau et al. 2015, Fig. 2) go to
`docs/experiments/`; the discussion below the notes marker of an existing
`bottleneck.md` is kept.

    python examples/bottleneck_experiment.py            # the full run (under 30 min on 2 cores)
    python examples/bottleneck_experiment.py --smoke    # a one-minute check of the plumbing
"""

import argparse
import inspect
import os
import time

from keras_attn import experiments

SMOKE = dict(reverse_lengths=(6, 10), ko_en_length_bins=((1, 4), (5, 8)), parameter_budget=30_000,
             train_size=300, test_size=10, epochs=1, batch_size=32)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default="docs/experiments", help="where the tables and plots go")
    parser.add_argument("--arms", nargs="+", default=list(experiments.ARMS), choices=list(experiments.ARMS))
    parser.add_argument("--tasks", nargs="+", default=["reverse", "ko-en"], choices=["reverse", "ko-en"])
    parser.add_argument("--epochs", type=int, help=f"training epochs per model (default {experiments.EPOCHS})")
    parser.add_argument("--processes", type=int, default=2,
                        help="trainings run side by side, one thread each on 2 cores (default 2)")
    parser.add_argument("--smoke", action="store_true", help="tiny settings, for CI")
    args = parser.parse_args(argv)
    settings = dict(SMOKE) if args.smoke else {}
    if args.epochs:
        settings["epochs"] = args.epochs
    start = time.perf_counter()
    rows = experiments.bottleneck_experiment(tasks=args.tasks, arms=args.arms, processes=args.processes,
                                             verbose=0 if args.smoke else 2, **settings)
    minutes = (time.perf_counter() - start) / 60
    defaults = {name: p.default for name, p in inspect.signature(experiments.bottleneck_experiment).parameters.items()
                if name not in ("tasks", "arms", "verbose", "processes")}
    recorded = {**defaults, "parameter_budget": experiments.PARAMETER_BUDGETS, "epochs": experiments.EPOCHS,
                **settings, "arms": " ".join(args.arms), "processes": args.processes,
                "wall clock": f"{minutes:.1f} min on {os.cpu_count()} CPUs"}
    paths = experiments.write_bottleneck_report(rows, args.output_dir, settings=recorded)
    print(f"finished in {minutes:.1f} min; wrote", *paths, sep="\n  ")
    return rows


if __name__ == "__main__":
    main()
