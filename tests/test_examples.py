"""Every example runs end to end in its fast mode (`--smoke`)."""

import importlib.util
import os
import sys

import pytest

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
# Extra arguments keep the smoke runs short while still crossing each code path once.
EXTRA = {
    "bottleneck_experiment.py": ["--tasks", "ko-en", "--arms", "bahdanau", "transformer", "--output-dir", "out"],
}


def _examples():
    return sorted(name for name in os.listdir(EXAMPLES_DIR) if name.endswith(".py") and not name.startswith("_"))


def test_every_example_has_a_smoke_mode():
    for name in _examples():
        with open(os.path.join(EXAMPLES_DIR, name), encoding="utf-8") as file:
            assert "--smoke" in file.read(), name


@pytest.mark.slow
@pytest.mark.parametrize("name", _examples())
def test_example_runs_in_smoke_mode(name, tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location(f"example_{name[:-3]}", os.path.join(EXAMPLES_DIR, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.chdir(tmp_path)  # examples write relative paths: keep them in the test's folder
    monkeypatch.setattr(sys, "argv", [name, "--smoke", *EXTRA.get(name, [])])
    module.main()
    assert capsys.readouterr().out.strip(), f"{name} printed nothing"


@pytest.mark.slow
def test_bottleneck_example_trains_the_two_tasks_in_parallel_processes(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("example_bottleneck", os.path.join(EXAMPLES_DIR,
                                                                                     "bottleneck_experiment.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.chdir(tmp_path)
    rows = module.main(["--smoke", "--tasks", "reverse", "ko-en", "--arms", "fixed_context", "--processes", "2",
                        "--output-dir", "out"])
    assert [row["task"] for row in rows] == ["reverse"] * 2 + ["ko-en"] * 2  # one row per length group, in order
    assert "processes=2" in (tmp_path / "out" / "bottleneck.md").read_text()
