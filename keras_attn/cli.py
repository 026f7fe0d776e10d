"""The `keras-attn` command line: parses arguments and calls the library.

Every subcommand only parses its arguments and calls a public function
(`keras_attn.runs`, `keras_attn.experiments`, `keras_attn.export`,
`keras_attn.models`); user mistakes (wrong paths, bad arguments) print one line on
stderr and exit with status 2, without a traceback. This is the only module that
speaks in flags: the library's errors name Python arguments, which `FLAGS`
translates.
"""

import argparse
import json
import os
import re
import sys

from keras_attn.version import __version__

EXAMPLES = """examples:
  keras-attn quickstart
  keras-attn train --model tiny_bahdanau --data ko-en --epochs 5 --output-dir runs/ko_en
  keras-attn train --model tiny_transformer --tsv kor.txt --source-column 1 --target-column 0 --output-dir runs/tsv
  keras-attn train --model tiny_transformer --strategy mirrored --batch-size 128 --output-dir runs/gpus
  keras-attn evaluate runs/ko_en
  keras-attn translate runs/ko_en "나는 밥을 먹었다"
  echo "나는 밥을 먹었다" | keras-attn translate saved_models/ko_en/1
  keras-attn export runs/ko_en --name ko_en
  keras-attn plot runs/ko_en "나는 밥을 먹었다" --output ate_rice.png
  keras-attn experiment bottleneck
  keras-attn presets --parameter-counts
"""


# The library's argument names, as this command line spells them.
FLAGS = {
    "preset": "--model", "dataset": "--data", "tsv": "--tsv", "source_column": "--source-column",
    "target_column": "--target-column", "train_size": "--size", "size": "--size", "seed": "--seed",
    "epochs": "--epochs", "batch_size": "--batch-size", "learning_rate": "--learning-rate",
    "tokenizer": "--tokenizer", "max_length": "--max-length", "save_every": "--save-every",
    "output_dir": "--output-dir", "overwrite": "--overwrite", "strategy": "--strategy", "beam_size": "--beam-size",
    "overrides": "--set",
}


class _UserError(Exception):
    """Raised for user mistakes the CLI reports in one line."""


def in_flags(error):
    """The message of a library error, its Python argument names said as flags.

    The argument at fault (`error.argument`) leads as `--flag value`; names in
    backticks (`` `batch_size` ``, `` `overwrite=True` ``) become their flags.
    """
    message = getattr(error, "message", None) or str(error)
    message = re.sub(r"`(\w+)(=True)?`", lambda m: FLAGS.get(m.group(1), m.group(0)), message)
    argument = getattr(error, "argument", None)
    if argument is None:
        return message
    return f"{FLAGS.get(argument, argument)} {error.value!r}: {message}"


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _add_corpus_arguments(parser, default_size):
    parser.add_argument("--data", default="ko-en", help="a built-in data set (default: ko-en)")
    parser.add_argument("--tsv", help="a tab-separated parallel corpus instead of --data")
    parser.add_argument("--source-column", type=int, default=0, help="0-based TSV column of the source")
    parser.add_argument("--target-column", type=int, default=1, help="0-based TSV column of the target")
    parser.add_argument("--size", type=_positive_int, default=default_size, help="sentence pairs to use")
    parser.add_argument("--seed", type=int, default=0)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-attn",
        description="Attention mechanisms and the models built on them, for Keras 3: train, evaluate, "
                    "translate, plot and export translation models.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"keras-attn {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    quick = commands.add_parser(
        "quickstart", help="train, evaluate, plot and export a Bahdanau seq2seq and a Transformer on ko-en",
        description="Trains a Bahdanau seq2seq and a Transformer on the built-in Korean→English corpus, prints "
                    "BLEU and sample translations, writes attention heatmaps and exports SavedModels.",
    )
    quick.add_argument("--output-dir", default="runs/quickstart", help="where runs and heatmaps go")
    quick.add_argument("--saved-models", default="saved_models", help="base folder of the SavedModels")
    quick.add_argument("--smoke", action="store_true", help="a toy training budget, to check the set-up quickly")

    train = commands.add_parser("train", help="train a preset on a built-in data set or a TSV corpus",
                                description="Trains a model; rerun the same command to resume an interrupted run.")
    train.add_argument("--model", default="tiny_bahdanau", help="a translation preset (see `keras-attn presets`)")
    _add_corpus_arguments(train, 20_000)
    train.add_argument("--epochs", type=_positive_int, default=5)
    train.add_argument("--batch-size", type=_positive_int, default=64)
    train.add_argument("--learning-rate", type=float, help="Adam's learning rate (default: per model family)")
    train.add_argument("--tokenizer", default="word", choices=("word", "subword", "character"))
    train.add_argument("--max-length", type=_positive_int, default=64, help="longest sentence in tokens")
    train.add_argument("--save-every", type=_positive_int, help="checkpoint every N steps (default: each epoch)")
    train.add_argument("--output-dir", required=True, help="the run directory")
    train.add_argument("--overwrite", action="store_true", help="retrain a finished run")
    # keras_attn.distribute.STRATEGIES, not imported here: it loads TensorFlow.
    train.add_argument("--strategy", default="default", choices=("default", "mirrored", "multi_worker"),
                       help="default: one device; mirrored: every GPU of this machine (its logical CPU devices "
                            "without one); multi_worker: the machines of the TF_CONFIG cluster (docs/distributed.md). "
                            "--batch-size stays the global batch, split evenly between the replicas")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a preset argument, e.g. --set units=64 (JSON values)")

    evaluate = commands.add_parser("evaluate", help="BLEU, exact match (and AER on ko-en) of a trained run")
    evaluate.add_argument("run", help="a run directory (from `train`)")
    _add_corpus_arguments(evaluate, 500)
    evaluate.add_argument("--beam-size", type=_positive_int)

    translate = commands.add_parser("translate", help="translate sentences (arguments or stdin, one per line)")
    translate.add_argument("model", help="a run directory or a SavedModel version directory")
    translate.add_argument("sentences", nargs="*", help="sentences; read from stdin when omitted")
    translate.add_argument("--beam-size", type=_positive_int)

    export = commands.add_parser("export", help="export a trained run as a TF Serving SavedModel")
    export.add_argument("run", help="a run directory (from `train`)")
    export.add_argument("--name", required=True, help="the model name TF Serving serves it under")
    export.add_argument("--base-dir", default="saved_models")
    export.add_argument("--version", type=_positive_int, help="default: the next free version")
    export.add_argument("--beam-size", type=_positive_int, help="beam search with this many beams (default greedy)")

    plot = commands.add_parser("plot", help="write the attention heatmap (PNG) of a sentence's translation")
    plot.add_argument("run", help="a run directory (from `train`)")
    plot.add_argument("sentence")
    plot.add_argument("--output", default="attention.png")

    experiment = commands.add_parser("experiment", help="run one of the library's experiments")
    experiment.add_argument("name", choices=("bottleneck", "alignment"),
                            help="bottleneck: accuracy vs length per model; alignment: ko-en Bahdanau attention/AER")
    experiment.add_argument("--output-dir", default="docs/experiments")
    experiment.add_argument("--epochs", type=_positive_int)
    experiment.add_argument("--processes", type=_positive_int, default=2,
                            help="bottleneck: trainings run side by side, one thread each on 2 cores (default 2)")

    presets = commands.add_parser("presets", help="list the model presets")
    presets.add_argument("--parameter-counts", action="store_true",
                         help="build each at its paper's vocabulary size and count parameters (slow, GBs of memory)")
    return parser


def _overrides(pairs):
    overrides = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.isidentifier():
            raise _UserError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set units=64")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    return overrides


def _sentences(arguments):
    if arguments:
        return arguments
    if sys.stdin.isatty():
        raise _UserError("translate: give sentences as arguments or pipe them in, one per line")
    return [line.rstrip("\n") for line in sys.stdin]


def _require_dir(path, what):
    if not os.path.isdir(path):
        raise _UserError(f"{path}: no such directory ({what})")


def _run(args):
    # Imported here so that `--help` and argument errors answer without loading TensorFlow.
    from keras_attn import runs

    if args.command == "quickstart":
        runs.quickstart(args.output_dir, args.saved_models, smoke=args.smoke)
    elif args.command == "train":
        runs.train(
            args.output_dir, preset=args.model, dataset=args.data, tsv=args.tsv, source_column=args.source_column,
            target_column=args.target_column, train_size=args.size, epochs=args.epochs, batch_size=args.batch_size,
            learning_rate=args.learning_rate, tokenizer=args.tokenizer, max_length=args.max_length,
            seed=args.seed, save_every=args.save_every, overwrite=args.overwrite, strategy=args.strategy,
            **_overrides(args.set),
        )
        saved = runs.RunDirectory(args.output_dir).translator_dir
        # In a multi-worker run only the chief saves the translator.
        print(f"trained; translator saved in {saved}" if args.strategy != "multi_worker" else
              f"trained; the chief saves the translator in {saved}")
    elif args.command == "evaluate":
        _require_dir(args.run, "a run directory")
        scores = runs.evaluate(args.run, dataset=args.data, tsv=args.tsv, source_column=args.source_column,
                                 target_column=args.target_column, size=args.size, seed=args.seed,
                                 beam_size=args.beam_size)
        for key, value in scores.items():
            print(f"{key}: {value}")
    elif args.command == "translate":
        _require_dir(args.model, "a run directory or a SavedModel")
        for translation in runs.translate(args.model, _sentences(args.sentences), beam_size=args.beam_size):
            print(translation)
    elif args.command == "export":
        from keras_attn import export

        _require_dir(args.run, "a run directory")
        settings = {"strategy": "beam", "beam_size": args.beam_size} if args.beam_size else {}
        translator = runs.load_translator(args.run, **settings)
        path = export.export(translator, args.base_dir, args.name, version=args.version)
        print(f"exported {path}\nserve it with:\n  {runs.serving_command(os.path.dirname(path), args.name)}")
    elif args.command == "plot":
        _require_dir(args.run, "a run directory")
        attention = runs.plot_attention(args.run, args.sentence, args.output)
        print(f"{args.sentence} → {attention.translation}\nwrote {args.output}")
    elif args.command == "experiment":
        from keras_attn import experiments

        if args.name == "bottleneck":
            settings = {"epochs": args.epochs} if args.epochs else {}
            rows = experiments.bottleneck_experiment(verbose=2, processes=args.processes, **settings)
            for path in experiments.write_bottleneck_report(rows, args.output_dir, settings=settings):
                print(f"wrote {path}")
        else:
            study = experiments.ko_en_alignment_study(verbose=2, **({"epochs": args.epochs} if args.epochs else {}))
            print(f"나는 밥을 먹었다 → {study['translation']}; BLEU {study['bleu']:.1f}, AER {study['aer']:.3f}")
    elif args.command == "presets":
        from keras_attn import models

        models.list_presets(with_parameter_counts=args.parameter_counts, print_table=True)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        _run(args)
    except (_UserError, ValueError, OSError) as error:
        # The library's ValueErrors name the argument and what was expected; OSErrors
        # name the path. KERAS_ATTN_DEBUG=1 shows the traceback.
        if os.environ.get("KERAS_ATTN_DEBUG"):
            raise
        print(f"keras-attn {args.command}: error: {in_flags(error)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
