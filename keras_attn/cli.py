"""The `keras-attn` command line: parses arguments and calls the library.

Every subcommand only parses its arguments and calls a public function
(`keras_attn.runs`, `keras_attn.experiments`, `keras_attn.export`,
`keras_attn.models`); user mistakes (wrong paths, bad arguments) print one line on
stderr and exit with status 2, without a traceback. This is the only module that
speaks in flags: the library's errors name Python arguments, which `FLAGS`
translates.
"""

import argparse
import contextlib
import json
import os
import re
import sys

import yaml

from keras_attn import files
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
  keras-attn explore runs/ko_en "나는 밥을 먹었다" "그녀는 말을 탔어" --output explorer.html
  keras-attn experiment bottleneck
  keras-attn presets --parameter-counts
"""


# The library's argument names, as this command line spells them.
FLAGS = {
    "preset": "--model", "dataset": "--data", "tsv": "--tsv", "source_column": "--source-column",
    "target_column": "--target-column", "train_size": "--train-size", "size": "--size", "seed": "--seed",
    "validation_tsv": "--valid-tsv", "test_tsv": "--test-tsv", "split": "--split",
    "epochs": "--epochs", "batch_size": "--batch-size", "learning_rate": "--learning-rate",
    "tokenizer": "--tokenizer", "max_length": "--max-length", "save_every": "--save-every",
    "output_dir": "--output-dir", "overwrite": "--overwrite", "strategy": "--strategy", "beam_size": "--beam-size",
    "overrides": "--set", "warmup_steps": "--warmup-steps", "validation_size": "--valid-size",
    "source_vocab_size": "--source-vocab-size", "target_vocab_size": "--target-vocab-size",
    "mixed_precision": "--mixed-precision", "early_stopping": "--early-stopping", "monitor": "--monitor",
    "path": "RUN", "trust_saved_model": "--trust-saved-model", "allow_unfinished": "--allow-unfinished",
}
# `train`'s options whose parser name differs from the library's argument (for --config files,
# which may use either: run.json's "arguments" replay a run).
TRAIN_DESTS = {"preset": "model", "dataset": "data", "validation_tsv": "valid_tsv", "overrides": "set"}


class UsageError(Exception):
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


def _add_trust_arguments(parser, saved_models=True):
    parser.add_argument("--allow-unfinished", action="store_true",
                        help="use the translator of a run whose training did not finish (refused by default)")
    if saved_models:
        parser.add_argument("--trust-saved-model", action="store_true",
                            help="run a SavedModel that keras_attn did not export (a SavedModel is a program "
                                 "TensorFlow runs with your permissions; refused by default)")


def _add_corpus_arguments(parser, from_run=False):
    """The corpus flags; with `from_run` (evaluate), those not given are read from the run's run.json."""

    def default(value, help_text):
        if from_run:
            return {"default": None, "help": help_text + " (default: the run's)"}
        return {"default": value, "help": help_text + " (default: %(default)s)"}

    parser.add_argument("--data", **default("ko-en", "a built-in data set"))
    parser.add_argument("--tsv", help="a tab-separated parallel corpus instead of --data" +
                        ("; a file other than the run's is scored whole" if from_run else ""))
    parser.add_argument("--source-column", type=int, **default(0, "0-based TSV column of the source"))
    parser.add_argument("--target-column", type=int, **default(1, "0-based TSV column of the target"))
    parser.add_argument("--seed", type=int, **default(0, "seed of generated data"))


def _add_train_command(commands, defaults=None):
    """`train` and its options; `defaults` replace the options' defaults (from `--config`)."""
    train = commands.add_parser("train", help="train a preset on a built-in data set or a TSV corpus",
                                description="Trains a model; rerun the same command to resume an interrupted run.")
    train.add_argument("--model", default="tiny_bahdanau",
                       help="a translation preset (see `keras-attn presets`; default: %(default)s)")
    _add_corpus_arguments(train)
    train.add_argument("--valid-tsv", help="held-out validation pairs (then all of --tsv trains; default: a 10 %% "
                                           "hash split of --tsv by source sentence)")
    train.add_argument("--test-tsv", help="held-out test pairs for `evaluate` (then all of --tsv trains; default: "
                                          "a 10 %% hash split of --tsv by source sentence)")
    train.add_argument("--train-size", "--size", type=_positive_int, dest="train_size",
                       help="cap the training pairs (default: every pair of --tsv; 20000 generated for --data)")
    train.add_argument("--valid-size", type=_positive_int, default=500, dest="validation_size",
                       help="validation pairs scored after each epoch (default: %(default)s)")
    train.add_argument("--epochs", type=_positive_int, default=5,
                       help="epochs to train (default: %(default)s); on a finished run, a larger number continues it")
    train.add_argument("--batch-size", type=_positive_int, default=64, help="the global batch (default: %(default)s)")
    train.add_argument("--learning-rate", type=float, help="Adam's learning rate (default: per model family)")
    train.add_argument("--warmup-steps", type=_positive_int,
                       help="warm-up steps of the Transformer schedule (default: per preset)")
    train.add_argument("--tokenizer", default="word", choices=("word", "subword", "character"),
                       help="default: %(default)s")
    train.add_argument("--source-vocab-size", type=_positive_int,
                       help="the most source tokens (default: every word or character seen; subword: 1000)")
    train.add_argument("--target-vocab-size", type=_positive_int,
                       help="the most target tokens (default: every word or character seen; subword: 1000)")
    train.add_argument("--max-length", type=_positive_int, default=64,
                       help="longest sentence in tokens (default: %(default)s)")
    train.add_argument("--mixed-precision", choices=("bfloat16", "float16"),
                       help="compute in this type with float32 weights (default: float32)")
    train.add_argument("--early-stopping", type=_positive_int, metavar="PATIENCE",
                       help="stop after PATIENCE epochs without improvement on the validation pairs and keep the "
                            "best epoch's weights (default: train every epoch)")
    train.add_argument("--monitor", default="val_loss", choices=("val_loss", "val_masked_accuracy"),
                       help="what --early-stopping watches (default: %(default)s)")
    train.add_argument("--save-every", type=_positive_int, help="checkpoint every N steps (default: each epoch)")
    train.add_argument("--output-dir", help="the run directory (required, here or in --config)")
    train.add_argument("--overwrite", action="store_true", help="retrain a finished run")
    train.add_argument("--config", help="a YAML or JSON file of these options (keys as the flags, e.g. "
                                        "batch-size, or a run's run.json to replay it); flags given here win")
    # keras_attn.distribute.STRATEGIES, not imported here: it loads TensorFlow.
    train.add_argument("--strategy", default="default", choices=("default", "mirrored", "multi_worker"),
                       help="default: one device; mirrored: every GPU of this machine (its logical CPU devices "
                            "without one); multi_worker: the machines of the TF_CONFIG cluster (docs/distributed.md). "
                            "--batch-size stays the global batch, split evenly between the replicas")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a preset argument, e.g. --set units=64 (JSON values)")
    train.set_defaults(**(defaults or {}))


def _add_run_commands(commands):
    """The commands that use a trained run: evaluate, translate, export, plot."""
    evaluate = commands.add_parser("evaluate", help="BLEU, exact match (and AER on ko-en) of a trained run")
    evaluate.add_argument("run", help="a run directory (from `train`)")
    _add_corpus_arguments(evaluate, from_run=True)
    evaluate.add_argument("--size", type=_positive_int, default=500, help="the most pairs to score (default: "
                                                                          "%(default)s)")
    evaluate.add_argument("--split", default="test", choices=("test", "validation", "train"),
                          help="which of the run's pairs (default: test, held out; train is labelled as such)")
    evaluate.add_argument("--beam-size", type=_positive_int, help="beam search with this many beams (default: "
                                                                  "greedy)")
    _add_trust_arguments(evaluate, saved_models=False)

    translate = commands.add_parser("translate", help="translate sentences (arguments or stdin, one per line)")
    translate.add_argument("model", help="a run directory or a SavedModel version directory")
    translate.add_argument("sentences", nargs="*", help="sentences; read from --input or stdin when omitted")
    translate.add_argument("--input", help="a text file, one sentence per line")
    translate.add_argument("--output", help="write the translations here, one per line (default: stdout); "
                                            "shows a progress bar")
    translate.add_argument("--beam-size", type=_positive_int,
                           help="beam search with this many beams (default: the run's; a SavedModel decodes as "
                                "exported and refuses it)")
    _add_trust_arguments(translate)

    export = commands.add_parser("export", help="export a trained run as a TF Serving SavedModel")
    export.add_argument("run", help="a run directory (from `train`)")
    export.add_argument("--name", required=True, help="the model name TF Serving serves it under")
    export.add_argument("--base-dir", default="saved_models",
                        help="the model base folder TF Serving watches (default: %(default)s)")
    export.add_argument("--version", type=_positive_int, help="the version folder (default: the next free one)")
    export.add_argument("--beam-size", type=_positive_int, help="beam search with this many beams (default greedy)")
    _add_trust_arguments(export, saved_models=False)

    plot = commands.add_parser("plot", help="write the attention heatmap (PNG) of a sentence's translation")
    plot.add_argument("run", help="a run directory (from `train`) or a SavedModel version directory")
    plot.add_argument("sentence", help="the source sentence to translate")
    plot.add_argument("--output", default="attention.png", help="the PNG to write (default: %(default)s)")
    _add_trust_arguments(plot)

    explore = commands.add_parser("explore", help="write the attention explorer page (HTML) of sentences' "
                                                  "translations")
    explore.add_argument("run", help="a run directory (from `train`; every layer and head) or a SavedModel version "
                                     "directory (the attention it returns)")
    explore.add_argument("sentences", nargs="+", help="the source sentences to translate")
    explore.add_argument("--output", default="explorer.html",
                         help="the self-contained HTML page to write (default: %(default)s)")
    explore.add_argument("--beam-size", type=_positive_int,
                         help="beam search with this many beams, listing every beam (run directories only; "
                              "default: the run's)")
    _add_trust_arguments(explore)


def build_parser(train_defaults=None):
    """The argument parser; `train_defaults` replace `train`'s defaults (from `--config`)."""
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
    quick.add_argument("--output-dir", default="runs/quickstart",
                       help="where runs and heatmaps go (default: %(default)s)")
    quick.add_argument("--saved-models", default="saved_models",
                       help="base folder of the SavedModels (default: %(default)s)")
    quick.add_argument("--smoke", action="store_true", help="a toy training budget, to check the set-up quickly")
    quick.add_argument("--processes", type=_positive_int,
                       help="trainings at once, each in its own process (default: one per model, up to the cores)")

    _add_train_command(commands, train_defaults)
    _add_run_commands(commands)

    experiment = commands.add_parser("experiment", help="run one of the library's experiments")
    experiment.add_argument("name", choices=("bottleneck", "alignment"),
                            help="bottleneck: accuracy vs length per model; alignment: ko-en Bahdanau attention/AER")
    experiment.add_argument("--output-dir", default="docs/experiments",
                            help="where the tables and plots go (default: %(default)s)")
    experiment.add_argument("--epochs", type=_positive_int, help="training epochs of every model (default: the "
                                                                 "experiment's, per task)")
    experiment.add_argument("--processes", type=_positive_int, default=2,
                            help="bottleneck: trainings run side by side, one thread each on 2 cores (default 2)")

    presets = commands.add_parser("presets", help="list the model presets")
    presets.add_argument("--parameter-counts", action="store_true",
                         help="build each at its paper's vocabulary size and count parameters (slow, GBs of memory)")
    return parser


def _read_config(path):
    """The options of a `--config` file (JSON, or YAML), or the arguments of a run.json."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except OSError as error:
        raise UsageError(f"--config {path}: {error.strerror}") from error
    try:
        config = yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as error:
        raise UsageError(f"--config {path}: not valid YAML or JSON ({str(error).splitlines()[0]})") from error
    if not isinstance(config, dict):
        raise UsageError(f"--config {path}: expected a mapping of options, e.g. {{\"epochs\": 10}}")
    if isinstance(config.get("arguments"), dict) and "finished" in config:
        config = config["arguments"]  # a run's run.json replays the run
    return config


def _train_defaults(path, valid):
    """`train`'s defaults from the `--config` file at `path`; `valid`: the parser's option names."""
    defaults = {}
    for key, value in _read_config(path).items():
        dest = TRAIN_DESTS.get(str(key).replace("-", "_"), str(key).replace("-", "_"))
        if dest not in valid:
            raise UsageError(f"--config {path}: unknown option {key!r}; valid options: "
                             f"{', '.join(sorted(k.replace('_', '-') for k in valid))}")
        if dest == "set" and isinstance(value, dict):
            value = [f"{k}={json.dumps(v)}" for k, v in value.items()]
        defaults[dest] = value
    return defaults


def _overrides(pairs):
    overrides = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.isidentifier():
            raise UsageError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set units=64")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    return overrides


def _sentences(arguments, input_path):
    if arguments and input_path:
        raise UsageError("translate: give sentences as arguments or --input FILE, not both")
    if arguments:
        return arguments
    if input_path:
        with open(input_path, "rb") as file:
            return _decoded_lines(file, input_path)
    if sys.stdin.isatty():
        raise UsageError("translate: give sentences as arguments, --input FILE, or pipe them in, one per line")
    return _decoded_lines(sys.stdin.buffer, "stdin")


def _decoded_lines(lines, source):
    """Each line as text; a line that is not UTF-8 is named on stderr and kept as an empty
    line, so that the output keeps one line per input line."""
    sentences = []
    for number, raw in enumerate(lines, start=1):
        try:
            sentences.append(raw.decode("utf-8").rstrip("\r\n"))
        except UnicodeDecodeError as error:
            print(f"keras-attn translate: {source} line {number} is not UTF-8 (byte {error.start}); translated "
                  "as an empty line", file=sys.stderr)
            sentences.append("")
    return sentences


def _write_lines(path, lines):
    # Written whole, then renamed: an interrupted run leaves no half-written output.
    files.write_text(path, "".join(f"{line}\n" for line in lines))


def _progress_to_stderr():
    # Keras' progress bars print to stdout; stdout keeps only the results, for pipes.
    return contextlib.redirect_stdout(sys.stderr)


def _require_dir(path, what):
    if not os.path.isdir(path):
        raise UsageError(f"{path}: no such directory ({what})")


def _quickstart(args, runs):
    runs.quickstart(args.output_dir, args.saved_models, smoke=args.smoke, processes=args.processes)


def _train(args, runs):
    runs.train(
        args.output_dir, preset=args.model, dataset=args.data, tsv=args.tsv, source_column=args.source_column,
        target_column=args.target_column, validation_tsv=args.valid_tsv, test_tsv=args.test_tsv,
        train_size=args.train_size, validation_size=args.validation_size, epochs=args.epochs,
        batch_size=args.batch_size, learning_rate=args.learning_rate, warmup_steps=args.warmup_steps,
        tokenizer=args.tokenizer, source_vocab_size=args.source_vocab_size,
        target_vocab_size=args.target_vocab_size, max_length=args.max_length,
        mixed_precision=args.mixed_precision, early_stopping=args.early_stopping, monitor=args.monitor,
        seed=args.seed, save_every=args.save_every, overwrite=args.overwrite, strategy=args.strategy,
        **_overrides(args.set),
    )
    saved = runs.RunDirectory(args.output_dir).translator_dir
    # In a multi-worker run only the chief saves the translator.
    print(f"trained; translator saved in {saved}" if args.strategy != "multi_worker" else
          f"trained; the chief saves the translator in {saved}")


def _evaluate(args, runs):
    _require_dir(args.run, "a run directory")
    with _progress_to_stderr():
        scores = runs.evaluate(args.run, dataset=args.data, tsv=args.tsv, source_column=args.source_column,
                               target_column=args.target_column, size=args.size, seed=args.seed,
                               beam_size=args.beam_size, split=args.split, progress=True,
                               allow_unfinished=args.allow_unfinished)
    for key, value in scores.items():
        print(f"{key}: {value}")


def _translate(args, runs):
    _require_dir(args.model, "a run directory or a SavedModel")
    sentences = _sentences(args.sentences, args.input)
    with _progress_to_stderr():
        translations = runs.translate(args.model, sentences, beam_size=args.beam_size, progress=bool(args.output),
                                      trust_saved_model=args.trust_saved_model,
                                      allow_unfinished=args.allow_unfinished)
    if args.output:
        _write_lines(args.output, translations)
        print(f"wrote {len(translations)} translations to {args.output}")
    else:
        for translation in translations:
            print(translation)


def _export(args, runs):
    from keras_attn import export

    _require_dir(args.run, "a run directory")
    settings = {"strategy": "beam", "beam_size": args.beam_size} if args.beam_size else {}
    translator = runs.load_translator(args.run, allow_unfinished=args.allow_unfinished, **settings)
    path = export.export(translator, args.base_dir, args.name, version=args.version,
                         progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(f"exported {path}\nserve it with:\n  {runs.serving_command(os.path.dirname(path), args.name)}")


def _plot(args, runs):
    _require_dir(args.run, "a run directory or a SavedModel")
    attention = runs.plot_attention(args.run, args.sentence, args.output, trust_saved_model=args.trust_saved_model,
                                    allow_unfinished=args.allow_unfinished)
    print(f"{args.sentence} → {attention.translation}\nwrote {args.output}")


def _explore(args, runs):
    _require_dir(args.run, "a run directory or a SavedModel")
    shown = runs.explore(args.run, args.sentences, args.output, beam_size=args.beam_size,
                         trust_saved_model=args.trust_saved_model, allow_unfinished=args.allow_unfinished)
    for item in shown:
        print(f"{item.source} → {item.translation}")
    print(f"wrote {args.output}")


def _experiment(args, runs):
    from keras_attn import experiments

    settings = {"epochs": args.epochs} if args.epochs else {}
    if args.name == "bottleneck":
        rows = experiments.bottleneck_experiment(verbose=2, processes=args.processes, **settings)
        for path in experiments.write_bottleneck_report(rows, args.output_dir, settings=settings):
            print(f"wrote {path}")
    else:
        study = experiments.ko_en_alignment_study(verbose=2, **settings)
        print(f"나는 밥을 먹었다 → {study['translation']}; BLEU {study['bleu']:.1f}, AER {study['aer']:.3f}")


def _presets(args, runs):
    from keras_attn import models

    models.list_presets(with_parameter_counts=args.parameter_counts, print_table=True)


# What each subcommand runs, given its parsed arguments and `keras_attn.runs`.
COMMANDS = {"quickstart": _quickstart, "train": _train, "evaluate": _evaluate, "translate": _translate,
            "export": _export, "plot": _plot, "explore": _explore, "experiment": _experiment, "presets": _presets}


def _run(args):
    # Imported here so that `--help` and argument errors answer without loading TensorFlow.
    from keras_attn import runs

    COMMANDS[args.command](args, runs)


def parse_arguments(argv=None):
    """`(parser, arguments)` of `argv`, a `train --config` file's options filled in; `UsageError` on a bad one."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "train" and args.config:
        # Parsed again with the file's values as defaults: options on the command line win.
        valid = set(vars(args)) - {"command", "config"}
        args = build_parser(_train_defaults(args.config, valid)).parse_args(argv)
    if args.command == "train" and not args.output_dir:
        raise UsageError("--output-dir is required (on the command line or in --config)")
    return parser, args


def main(argv=None):
    try:
        parser, args = parse_arguments(argv)
    except UsageError as error:
        print(f"keras-attn train: error: {error}", file=sys.stderr)
        return 2
    if args.command is None:
        parser.print_help()
        return 0
    try:
        _run(args)
    except (UsageError, ValueError, OSError) as error:
        # The library's ValueErrors name the argument and what was expected; OSErrors
        # name the path. KERAS_ATTN_DEBUG=1 shows the traceback.
        if os.environ.get("KERAS_ATTN_DEBUG"):
            raise
        print(f"keras-attn {args.command}: error: {in_flags(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if os.environ.get("KERAS_ATTN_DEBUG"):
            raise
        resume = "; rerun the same command to resume" if args.command == "train" else ""
        print(f"keras-attn {args.command}: interrupted{resume}", file=sys.stderr)
        return 130  # 128 + SIGINT, as shells report it
    return 0


if __name__ == "__main__":
    sys.exit(main())
