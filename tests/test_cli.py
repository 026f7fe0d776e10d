"""keras-attn: every subcommand's happy path (tiny budgets) and its user errors (hostile
input and unwritable outputs included: marker `fault`)."""

import argparse
import json
import os
import subprocess
import sys

import pytest

from keras_attn import cli
from keras_attn import experiments
from keras_attn import runs
from tests.testing import KOR_SAMPLE
from tests.testing import run_cli
from tests.testing import save_untrained_run
from tests.testing import write_tsv

TINY = ["--size", "200", "--epochs", "1", "--max-length", "32", "--set", "units=16", "--set", "embedding_dim=8"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("cli") / "run")
    assert cli.main(["train", "--model", "tiny_bahdanau", "--output-dir", path, *TINY]) == 0
    return path


def test_train_writes_a_complete_run(run_dir):
    for name in ("run.json", "history.csv", "training_curves.png", "translator/translator.json",
                 "tokenizers/source/vocabulary.txt"):
        assert os.path.exists(os.path.join(run_dir, name)), name
    record = json.load(open(os.path.join(run_dir, "run.json")))
    assert record["finished"] and record["arguments"]["overrides"] == {"units": 16, "embedding_dim": 8}
    assert os.path.isfile(os.path.join(run_dir, "backup", "training_metadata.json"))  # kept, to continue the run
    assert os.listdir(os.path.join(run_dir, "logs", "train"))  # TensorBoard


def test_a_finished_run_is_not_retrained_and_changed_arguments_are_refused(run_dir, capsys):
    code, _, err = run_cli(capsys, "train", "--model", "tiny_bahdanau", "--output-dir", run_dir, *TINY)
    assert code == 2 and "finished run" in err and "--overwrite" in err
    record_path = os.path.join(run_dir, "run.json")
    record = json.load(open(record_path))
    try:
        json.dump({**record, "finished": False}, open(record_path, "w"))
        code, _, err = run_cli(capsys, "train", "--model", "tiny_bahdanau", "--output-dir", run_dir, *TINY[:-2])
        assert code == 2 and "other arguments (overrides)" in err
    finally:
        json.dump(record, open(record_path, "w"))


def test_evaluate_translate_plot_and_export(run_dir, tmp_path, capsys):
    code, out, _ = run_cli(capsys, "evaluate", run_dir, "--size", "20")
    assert code == 0
    scores = dict(line.split(": ") for line in out.strip().splitlines())
    assert scores["sentences"] == "20" and 0 <= float(scores["bleu"]) <= 100 and 0 <= float(scores["aer"]) <= 1

    code, out, _ = run_cli(capsys, "translate", run_dir, "나는 밥을 먹었다", "")
    translations = out.split("\n")[:2]
    assert code == 0 and translations[1] == ""

    png = str(tmp_path / "heatmap.png")
    code, out, _ = run_cli(capsys, "plot", run_dir, "나는 밥을 먹었다", "--output", png)
    assert code == 0 and os.path.getsize(png) > 1000 and "→" in out

    page = str(tmp_path / "explorer.html")
    code, out, _ = run_cli(capsys, "explore", run_dir, "나는 밥을 먹었다", "그녀는 말을 탔어", "--output", page)
    assert code == 0 and out.splitlines()[0] == f"나는 밥을 먹었다 → {translations[0]}" and f"wrote {page}" in out
    assert "explorer-data" in open(page, encoding="utf-8").read()

    base = str(tmp_path / "saved_models")
    code, out, _ = run_cli(capsys, "export", run_dir, "--name", "ko_en", "--base-dir", base)
    assert code == 0 and os.path.isfile(os.path.join(base, "ko_en", "1", "saved_model.pb"))
    assert "docker run" in out and "MODEL_NAME=ko_en" in out
    code, out, _ = run_cli(capsys, "translate", os.path.join(base, "ko_en", "1"), "나는 밥을 먹었다")
    assert code == 0 and out.split("\n")[0] == translations[0]  # the SavedModel agrees with the run
    code, _, err = run_cli(capsys, "export", run_dir, "--name", "ko_en", "--base-dir", base, "--version", "1")
    assert code == 2 and "exists" in err


def test_translate_reads_stdin():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "keras_attn.cli", "translate", "/nonexistent/run"],
                          input="나는\n", capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2 and "no such directory" in done.stderr and "Traceback" not in done.stderr


def test_train_resumes_an_interrupted_run(tmp_path, capsys):
    path = str(tmp_path / "run")
    arguments = ["train", "--model", "tiny_luong", "--output-dir", path, *TINY]
    assert cli.main(arguments) == 0
    record = json.load(open(os.path.join(path, "run.json")))
    # Pretend the run died after its first epoch: unfinished record, BackupAndRestore's state.
    json.dump({**record, "finished": False}, open(os.path.join(path, "run.json"), "w"))
    os.makedirs(os.path.join(path, "backup"), exist_ok=True)
    json.dump({"epoch": 1, "batch": 0}, open(os.path.join(path, "backup", "training_metadata.json"), "w"))
    assert cli.main(arguments) == 0
    assert json.load(open(os.path.join(path, "run.json")))["finished"]
    epochs = [line.split(",")[0] for line in open(os.path.join(path, "history.csv")).read().split()[1:]]
    assert epochs == ["0"]  # the resumed run had no epoch left to train: nothing was repeated


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--model", "nope", "--output-dir", "{tmp}/r"], "not a translation preset"),
        (["train", "--model", "tiny_bert_like", "--output-dir", "{tmp}/r"], "not a translation preset"),
        (["train", "--tsv", "{tmp}/missing.tsv", "--output-dir", "{tmp}/r"], "no such file"),
        (["train", "--data", "klingon", "--output-dir", "{tmp}/r"], "unknown data set"),
        (["train", "--set", "units", "--output-dir", "{tmp}/r"], "expected KEY=VALUE"),
        (["train", "--set", "unit=3", "--output-dir", "{tmp}/r"], "takes no argument unit; valid preset arguments"),
        (["train", "--output-dir", "/proc/keras_attn_run"], "cannot write there"),
        (["evaluate", "{tmp}/missing"], "no such directory"),
        (["evaluate", "{tmp}"], "no trained translator"),
        (["plot", "{tmp}", "x"], "no trained translator"),
        (["explore", "{tmp}", "x"], "no trained translator"),
        (["explore", "{tmp}/missing", "x"], "no such directory"),
        (["export", "{tmp}/missing", "--name", "x"], "no such directory"),
    ],
)
def test_user_errors_are_one_line_without_traceback(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KERAS_ATTN_DEBUG", raising=False)
    code, _, err = run_cli(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2 and message in err and "Traceback" not in err


def test_a_bad_preset_argument_leaves_nothing_on_disk(tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "--set", "unit=3", "--output-dir", str(tmp_path / "r"))
    assert code == 2 and "units" in err and len(err.strip().splitlines()) == 1
    assert not os.path.exists(tmp_path / "r")


def test_library_errors_are_said_in_flags():
    error = runs.RunError("lower `batch_size` or pass `overwrite=True`.", "train_size", 8)
    assert str(error) == "train_size=8: lower `batch_size` or pass `overwrite=True`."
    assert cli.in_flags(error) == "--train-size 8: lower --batch-size or pass --overwrite."
    assert cli.in_flags(ValueError("`units` must be positive")) == "`units` must be positive"


def test_argument_errors_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--epochs", "0", "--output-dir", "x"])
    assert exit_info.value.code == 2 and "positive integer" in capsys.readouterr().err
    assert cli.main([]) == 0 and "quickstart" in capsys.readouterr().out
    for command in ("quickstart", "train", "evaluate", "translate", "export", "plot", "explore", "experiment", "presets"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        assert "usage: keras-attn" in capsys.readouterr().out


def test_help_loads_neither_keras_nor_tensorflow():
    """`keras-attn --help` answers before any heavy import (its time: benchmarks/cli_startup.py)."""
    check = ("import sys; from keras_attn import cli\n"
             "try:\n    cli.main(['train', '--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('keras', 'tensorflow', 'torch', 'jax') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert done.stdout.strip().endswith("[]") and "usage: keras-attn train" in done.stdout
    assert done.stderr == ""


def test_presets_and_experiment_call_the_library(capsys, monkeypatch, tmp_path):
    code, out, _ = run_cli(capsys, "presets")
    assert code == 0 and "transformer_base" in out and "tiny_bahdanau" in out
    calls = {}

    def fake_experiment(**settings):
        calls["settings"] = settings
        return [{"task": "reverse", "model": "bahdanau", "group": "10", "length": 10, "parameters": 1,
                 "train_seconds": 1.0, "exact_match": 1.0, "bleu": 100.0, "aer": None}]

    monkeypatch.setattr(experiments, "bottleneck_experiment", fake_experiment)
    code, out, _ = run_cli(capsys, "experiment", "bottleneck", "--epochs", "2", "--output-dir", str(tmp_path))
    assert code == 0 and calls["settings"] == {"verbose": 2, "processes": 2, "epochs": 2}
    assert os.path.exists(tmp_path / "bottleneck.md") and "wrote" in out


@pytest.fixture(scope="module")
def untrained_run_dir(tmp_path_factory):
    """A run directory holding an (untrained) saved translator: enough to evaluate/plot."""
    return save_untrained_run(tmp_path_factory.mktemp("hardening"))


@pytest.mark.fault
def test_evaluate_on_an_empty_corpus_is_a_clear_error(untrained_run_dir, tmp_path, capsys):
    code, _, err = run_cli(capsys, "evaluate", untrained_run_dir, "--tsv", write_tsv(tmp_path, "empty"))
    assert code == 2 and "evaluation corpus is empty" in err


@pytest.mark.fault
def test_an_unwritable_plot_is_a_clear_error(untrained_run_dir, capsys, monkeypatch):
    monkeypatch.delenv("KERAS_ATTN_DEBUG", raising=False)
    code, _, err = run_cli(capsys, "plot", untrained_run_dir, "나는 밥을 먹었다", "--output",
                           "/proc/keras_attn/heatmap.png")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.filterwarnings("ignore::keras_attn.data.MalformedLinesWarning")
def test_a_users_own_corpus_from_train_to_a_saved_model(tmp_path, capsys):
    """The new user's path on a Tatoeba-format file (tests/data/kor_sample.tsv): train, score the
    held-out pairs without repeating any corpus flag, export, translate in a fresh process."""
    run = str(tmp_path / "run")
    code, _, err = run_cli(capsys, "train", "--model", "tiny_transformer", "--tsv", KOR_SAMPLE, "--source-column", "1",
                           "--target-column", "0", "--epochs", "1", "--batch-size", "16", "--max-length", "16",
                           "--set", "d_model=16", "--set", "d_ff=32", "--set", "num_layers=1", "--output-dir", run)
    assert code == 0, err
    code, out, _ = run_cli(capsys, "evaluate", run)
    scores = dict(line.split(": ", 1) for line in out.strip().splitlines())
    assert code == 0 and scores["data"].startswith("the held-out test split of kor_sample.tsv")
    held_out = runs.Corpus.from_arguments(json.load(open(os.path.join(run, "run.json")))["arguments"])
    test_sources = {s for s, _ in held_out.pairs("test").as_numpy_iterator()}
    train_sources = {s for s, _ in held_out.pairs("train").as_numpy_iterator()}
    assert int(scores["sentences"]) == len(list(held_out.pairs("test"))) > 0 and not test_sources & train_sources

    base = str(tmp_path / "saved_models")
    assert run_cli(capsys, "export", run, "--name", "kor", "--base-dir", base)[0] == 0
    expected = runs.translate(run, ["나는 밥을 먹었다."])
    done = subprocess.run([sys.executable, "-m", "keras_attn.cli", "translate", os.path.join(base, "kor", "1"),
                           "나는 밥을 먹었다."], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == expected


def test_translate_a_file_and_refuse_a_beam_a_saved_model_cannot_honour(untrained_run_dir, tmp_path, capsys):
    sentences = tmp_path / "in.txt"
    sentences.write_text("나는 밥을 먹었다\n\n밥을 먹었다\n", encoding="utf-8")
    output = tmp_path / "out.txt"
    code, out, _ = run_cli(capsys, "translate", untrained_run_dir, "--input", str(sentences), "--output", str(output))
    assert code == 0 and "wrote 3 translations" in out
    assert output.read_text(encoding="utf-8").split("\n")[:3] == runs.translate(
        untrained_run_dir, ["나는 밥을 먹었다", "", "밥을 먹었다"])
    base = str(tmp_path / "saved_models")
    assert run_cli(capsys, "export", untrained_run_dir, "--name", "m", "--base-dir", base)[0] == 0
    saved_model = os.path.join(base, "m", "1")
    code, _, err = run_cli(capsys, "translate", saved_model, "나는", "--beam-size", "3")
    assert code == 2 and "--beam-size 3" in err and "decodes as it was exported" in err
    png = str(tmp_path / "saved_model_attention.png")
    code, out, _ = run_cli(capsys, "plot", saved_model, "나는 밥을 먹었다", "--output", png)
    assert code == 0 and os.path.getsize(png) > 1000
    drawn, reference = runs.attention(saved_model, "나는 밥을 먹었다"), runs.attention(untrained_run_dir, "나는 밥을 먹었다")
    assert drawn.source_tokens == reference.source_tokens and drawn.target_tokens == reference.target_tokens
    assert abs(drawn.weights - reference.weights).max() < 1e-5
    code, _, err = run_cli(capsys, "explore", saved_model, "나는", "--beam-size", "3")
    assert code == 2 and "--beam-size 3" in err
    page = str(tmp_path / "saved_model_explorer.html")
    code, out, _ = run_cli(capsys, "explore", saved_model, "나는 밥을 먹었다", "--output", page)
    assert code == 0 and os.path.getsize(page) > 1000


def test_train_reads_a_config_file_and_flags_win(tmp_path, capsys):
    config = tmp_path / "train.yaml"
    config.write_text("model: tiny_transformer\nbatch-size: 16\nepochs: 3\nset:\n  d_model: 32\n"
                      "output_dir: runs/from_config\n", encoding="utf-8")
    _, args = cli.parse_arguments(["train", "--config", str(config), "--epochs", "7"])
    assert (args.model, args.batch_size, args.epochs, args.output_dir) == ("tiny_transformer", 16, 7, "runs/from_config")
    assert args.set == ["d_model=32"] and args.tokenizer == "word"  # the rest keeps its defaults

    # A run's run.json replays it (the library's argument names).
    record = tmp_path / "run.json"
    record.write_text(json.dumps({"arguments": {"preset": "tiny_bahdanau", "dataset": "reverse", "train_size": 200,
                                                "validation_tsv": None, "overrides": {"units": 16}}, "finished": True}))
    _, args = cli.parse_arguments(["train", "--config", str(record), "--output-dir", "again"])
    assert (args.model, args.data, args.train_size, args.set) == ("tiny_bahdanau", "reverse", 200, ["units=16"])

    config.write_text('{"epoch": 3}', encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--config", str(config), "--output-dir", str(tmp_path / "r"))
    assert code == 2 and "unknown option 'epoch'; valid options: " in err and "epochs" in err
    config.write_text("epochs: [3", encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--config", str(config), "--output-dir", str(tmp_path / "r"))
    assert code == 2 and "not valid YAML or JSON" in err and not (tmp_path / "r").exists()
    code, _, err = run_cli(capsys, "train", "--epochs", "2")
    assert code == 2 and "--output-dir is required" in err


def test_every_option_has_help_and_is_documented():
    """`--help` explains every option (with its default where it has one) and docs/cli.md lists them."""
    docs = open(os.path.join(os.path.dirname(__file__), "..", "docs", "cli.md"), encoding="utf-8").read()
    parser = cli.build_parser()
    commands = next(action for action in parser._actions if action.dest == "command").choices
    for name, command in commands.items():
        for action in command._actions:
            if action.dest == "help":
                continue
            flag = action.option_strings[0] if action.option_strings else action.dest
            assert action.help, f"{name} {flag} has no help text"
            if action.option_strings and action.default not in (None, False, [], argparse.SUPPRESS):
                assert "%(default)s" in action.help or str(action.default) in action.help, f"{name} {flag}"
            if action.option_strings:
                assert f"`{flag}" in docs, f"docs/cli.md does not document {name} {flag}"


@pytest.mark.fault
def test_translate_runs_only_saved_models_keras_attn_exported(tmp_path, capsys):
    """A SavedModel is a program: one whose signature writes a file is not run unless trusted."""
    import tensorflow as tf

    marker = tmp_path / "written_by_the_model"

    class Crafted(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def serve(self, text):
            tf.io.write_file(str(marker), "pwned")
            return {"translation": text}

    crafted = Crafted()
    path = str(tmp_path / "crafted" / "1")
    tf.saved_model.save(crafted, path, signatures={"serving_default": crafted.serve})
    code, _, err = run_cli(capsys, "translate", path, "hello")
    assert code == 2 and "not a SavedModel exported by keras_attn" in err and "--trust-saved-model" in err
    assert not marker.exists()
    code, out, _ = run_cli(capsys, "translate", path, "hello", "--trust-saved-model")
    assert code == 0 and out.strip() == "hello" and marker.exists()  # what trusting it means


@pytest.mark.fault
def test_an_unfinished_runs_translator_is_refused_unless_asked_for(tmp_path, capsys):
    path = save_untrained_run(tmp_path)
    runs.RunDirectory(path).write_record({"arguments": {"preset": "tiny_bahdanau"}, "finished": False})
    for command in (["translate", path, "나는"], ["export", path, "--name", "m", "--base-dir", str(tmp_path / "s")],
                    ["plot", path, "나는", "--output", str(tmp_path / "a.png")], ["evaluate", path, "--data", "ko-en"]):
        code, _, err = run_cli(capsys, *command)
        assert code == 2 and "the run did not finish" in err and "--allow-unfinished" in err, command
    assert not (tmp_path / "s").exists() and not (tmp_path / "a.png").exists()
    code, out, _ = run_cli(capsys, "translate", path, "나는", "--allow-unfinished")
    assert code == 0 and len(out.splitlines()) == 1


def _crafted_run(tmp_path, name, edit):
    """A copy of an untrained run whose saved files `edit(translator_dir)` damages."""
    import shutil

    path = tmp_path / name
    shutil.copytree(save_untrained_run(tmp_path / f"{name}_original"), path)
    edit(path / "translator")
    return str(path)


def _write(path, text):
    path.write_text(text, encoding="utf-8")


def _settings(folder, **changes):
    record = json.loads((folder / "translator.json").read_text(encoding="utf-8"))
    _write(folder / "translator.json", json.dumps({**record, **changes}))


CORRUPT_RUNS = {
    "not_an_object": (lambda f: _write(f / "translator.json", "[]"), "expected a JSON object, got list"),
    "no_settings": (lambda f: _write(f / "translator.json", json.dumps({"format_version": 1})),
                    "the field 'settings' is missing"),
    "unknown_setting": (lambda f: _settings(f, settings={"beam_sizes": 3}), "unusable settings"),
    "integer_model_file": (lambda f: _settings(f, model_file=3), "the field 'model_file' must be a str"),
    "absolute_model_file": (lambda f: _settings(f, model_file="/etc/passwd"), "must be a path inside the folder"),
    "model_file_outside": (lambda f: _settings(f, model_file="../../secret.keras"), "leads outside the folder"),
    "truncated_model": (lambda f: (f / "model.keras").write_bytes((f / "model.keras").read_bytes()[:500]),
                        "not a Keras zip archive"),
    "not_a_zip": (lambda f: _write(f / "model.keras", "hello"), "not a Keras zip archive"),
    "bad_tokenizer_json": (lambda f: _write(f / "source_tokenizer" / "tokenizer.json", "{"), "not valid JSON"),
    "vocabulary_elsewhere": (
        lambda f: _write(f / "source_tokenizer" / "tokenizer.json", json.dumps(
            {**json.loads((f / "source_tokenizer" / "tokenizer.json").read_text()), "vocabulary_file": "/etc/passwd"})),
        "must be a path inside the folder"),
}


@pytest.mark.fault
@pytest.mark.parametrize("name", list(CORRUPT_RUNS))
def test_corrupt_or_crafted_run_directories_are_one_line_errors(name, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KERAS_ATTN_DEBUG", raising=False)
    edit, message = CORRUPT_RUNS[name]
    path = _crafted_run(tmp_path, name, edit)
    code, _, err = run_cli(capsys, "translate", path, "나는")
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "root:" not in err  # nothing of the file read (/etc/passwd's first line) is echoed


def test_beam_size_and_decode_length_have_upper_bounds(untrained_run_dir, capsys):
    code, _, err = run_cli(capsys, "translate", untrained_run_dir, "나는", "--beam-size", "20000")
    assert code == 2 and "--beam-size must be an int from 1 to 64, got 20000" in err


@pytest.mark.fault
def test_a_line_that_is_not_utf8_is_named_and_the_others_translated(untrained_run_dir, tmp_path, capsys):
    lines = tmp_path / "in.txt"
    lines.write_bytes("나는 밥을 먹었다\n".encode() + b"caf\xe9\n" + "밥을 먹었다\n".encode())
    code, out, err = run_cli(capsys, "translate", untrained_run_dir, "--input", str(lines))
    assert code == 0 and "line 2 is not UTF-8" in err
    assert out.split("\n")[:3] == runs.translate(untrained_run_dir, ["나는 밥을 먹었다", "", "밥을 먹었다"])
