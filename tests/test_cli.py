"""keras-attn: every subcommand's happy path (tiny budgets) and its user errors."""

import json
import os
import subprocess
import sys

import pytest

from keras_attn import cli
from keras_attn import experiments
from keras_attn import runner

TINY = ["--size", "200", "--epochs", "1", "--max-length", "32", "--set", "units=16", "--set", "embedding_dim=8"]


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


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
    assert not os.path.exists(os.path.join(run_dir, "backup"))  # removed once training ended


def test_a_finished_run_is_not_retrained_and_changed_arguments_are_refused(run_dir, capsys):
    code, _, err = run(capsys, "train", "--model", "tiny_bahdanau", "--output-dir", run_dir, *TINY)
    assert code == 2 and "finished run" in err and "--overwrite" in err
    record_path = os.path.join(run_dir, "run.json")
    record = json.load(open(record_path))
    try:
        json.dump({**record, "finished": False}, open(record_path, "w"))
        code, _, err = run(capsys, "train", "--model", "tiny_bahdanau", "--output-dir", run_dir, *TINY[:-2])
        assert code == 2 and "other arguments (overrides)" in err
    finally:
        json.dump(record, open(record_path, "w"))


def test_evaluate_translate_plot_and_export(run_dir, tmp_path, capsys):
    code, out, _ = run(capsys, "evaluate", run_dir, "--size", "20")
    assert code == 0
    scores = dict(line.split(": ") for line in out.strip().splitlines())
    assert scores["sentences"] == "20" and 0 <= float(scores["bleu"]) <= 100 and 0 <= float(scores["aer"]) <= 1

    code, out, _ = run(capsys, "translate", run_dir, "나는 밥을 먹었다", "")
    translations = out.split("\n")[:2]
    assert code == 0 and translations[1] == ""

    png = str(tmp_path / "heatmap.png")
    code, out, _ = run(capsys, "plot", run_dir, "나는 밥을 먹었다", "--output", png)
    assert code == 0 and os.path.getsize(png) > 1000 and "→" in out

    base = str(tmp_path / "saved_models")
    code, out, _ = run(capsys, "export", run_dir, "--name", "ko_en", "--base-dir", base)
    assert code == 0 and os.path.isfile(os.path.join(base, "ko_en", "1", "saved_model.pb"))
    assert "docker run" in out and "MODEL_NAME=ko_en" in out
    code, out, _ = run(capsys, "translate", os.path.join(base, "ko_en", "1"), "나는 밥을 먹었다")
    assert code == 0 and out.split("\n")[0] == translations[0]  # the SavedModel agrees with the run
    code, _, err = run(capsys, "export", run_dir, "--name", "ko_en", "--base-dir", base, "--version", "1")
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
    os.makedirs(os.path.join(path, "backup"))
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
        (["train", "--output-dir", "/proc/keras_attn_run"], "cannot write there"),
        (["evaluate", "{tmp}/missing"], "no such directory"),
        (["evaluate", "{tmp}"], "no trained translator"),
        (["plot", "{tmp}", "x"], "no trained translator"),
        (["export", "{tmp}/missing", "--name", "x"], "no such directory"),
    ],
)
def test_user_errors_are_one_line_without_traceback(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KERAS_ATTN_DEBUG", raising=False)
    code, _, err = run(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2 and message in err and "Traceback" not in err


def test_argument_errors_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--epochs", "0", "--output-dir", "x"])
    assert exit_info.value.code == 2 and "positive integer" in capsys.readouterr().err
    assert cli.main([]) == 0 and "quickstart" in capsys.readouterr().out
    for command in ("quickstart", "train", "evaluate", "translate", "export", "plot", "experiment", "presets"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        assert "usage: keras-attn" in capsys.readouterr().out


def test_presets_and_experiment_call_the_library(capsys, monkeypatch, tmp_path):
    code, out, _ = run(capsys, "presets")
    assert code == 0 and "transformer_base" in out and "tiny_bahdanau" in out
    calls = {}

    def fake_experiment(**settings):
        calls["settings"] = settings
        return [{"task": "reverse", "model": "bahdanau", "group": "10", "length": 10, "parameters": 1,
                 "train_seconds": 1.0, "exact_match": 1.0, "bleu": 100.0, "aer": None}]

    monkeypatch.setattr(experiments, "bottleneck_experiment", fake_experiment)
    code, out, _ = run(capsys, "experiment", "bottleneck", "--epochs", "2", "--output-dir", str(tmp_path))
    assert code == 0 and calls["settings"] == {"verbose": 2, "processes": 2, "epochs": 2}
    assert os.path.exists(tmp_path / "bottleneck.md") and "wrote" in out


@pytest.mark.slow
def test_quickstart_smoke_leaves_servable_saved_models(tmp_path, capsys):
    from tests import export_helpers

    results = runner.quickstart(str(tmp_path / "runs"), str(tmp_path / "saved_models"), smoke=True, verbose=0)
    out = capsys.readouterr().out
    assert set(results) == set(runner.QUICKSTART_MODELS)
    assert "나는 밥을 먹었다  →" in out and "docker run" in out
    paths = [result["saved_model"] for result in results.values()]
    for result in results.values():
        assert os.path.getsize(result["heatmap"]) > 1000
    fresh = export_helpers.run_fresh_process(paths, [["나는 밥을 먹었다", ""]], str(tmp_path))
    for result, path in zip(results.values(), paths):
        assert fresh["outputs"][path][0]["translation"]["value"] == [result["samples"]["나는 밥을 먹었다"], ""]


def test_train_uses_xla_for_recurrent_models_only(tmp_path, monkeypatch):
    from keras_attn import models

    assert all(runner.xla_wins(name) == (spec["builder"] == "seq2seq") for name, spec in models.presets.PRESETS.items())
    compiled = {}
    original = runner._compile

    def record(model, preset, *args, jit_compile=True):
        compiled[preset] = jit_compile
        return original(model, preset, *args, jit_compile=jit_compile)

    monkeypatch.setattr(runner, "_compile", record)
    tiny = ["--size", "64", "--epochs", "1", "--max-length", "16", "--set", "num_layers=1", "--set", "d_model=8",
            "--set", "d_ff=8", "--set", "num_heads=2"]
    assert cli.main(["train", "--model", "tiny_transformer", "--output-dir", str(tmp_path / "t"), *tiny]) == 0
    assert compiled == {"tiny_transformer": False}
