"""The benchmarks' plumbing, on toy sizes (the figures come from full runs), and their shared module."""

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import time

import keras
import pytest

import benchmarks
from benchmarks import common


def _modules():
    return sorted(info.name for info in pkgutil.iter_modules(benchmarks.__path__) if info.name != "common")


@pytest.fixture(scope="module")
def performance():
    return importlib.import_module("benchmarks.performance")


# --------------------------------------------------------------------------- #
# benchmarks.common
# --------------------------------------------------------------------------- #


def test_interleaved_medians_time_every_runner_in_turn():
    calls = []
    medians = common.interleaved_medians({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                                         repeats=4, warmup=1)
    assert set(medians) == {"a", "b"} and all(m >= 0 for m in medians.values())
    assert calls[2:] == ["a", "b", "b", "a", "a", "b", "b", "a"]  # warm-up, then alternating order


def test_median_seconds_warms_up_then_times_a_trivial_function():
    calls = []

    def nap():
        calls.append(None)
        time.sleep(0.01)

    seconds = common.median_seconds(nap, repeats=3, warmup=2)
    assert len(calls) == 5
    assert 0.009 <= seconds < 1.0


def test_call_latencies_time_every_input_after_the_warm_up():
    seen = []
    latencies = common.call_latencies(seen.append, [1, 2, 3, 4], warmup=2)
    assert seen == [1, 2, 1, 2, 3, 4]
    assert latencies.shape == (4,) and (latencies >= 0).all() and latencies.sum() < 1.0


def test_stopwatch_reports_wall_and_cpu_seconds():
    with common.Stopwatch() as stopwatch:
        time.sleep(0.02)
        sum(range(200_000))  # some CPU work, which sleeping does not count as
    assert 0.02 <= stopwatch.wall < 5.0
    assert 0.0 < stopwatch.cpu < stopwatch.wall + 5.0


def test_machine_record_has_the_machine_and_library_versions():
    record = common.machine_record()
    assert {"cpu", "cores", "architecture", "device", "versions"} <= set(record)
    assert record["cpu"] and record["cores"] >= 1 and record["device"]
    assert {"python", "tensorflow", "keras", "keras-hub"} <= set(record["versions"])
    assert record["versions"]["python"].count(".") == 2
    record["versions"]["python"] = "edited"
    assert common.machine_record()["versions"]["python"] != "edited"  # callers get a copy
    line = common.describe_machine()
    assert f"{record['cores']} CPU cores ({record['cpu']}, " in line and "TensorFlow " in line and "Keras " in line


def test_describe_machine_names_a_gpu_and_skips_missing_versions():
    record = {"cpu": "Test CPU", "cores": 4, "architecture": "x86_64", "device": "NVIDIA H200",
              "versions": {"python": "3.11.7", "tensorflow": "2.21.0", "keras": "3.15.1", "keras-hub": None}}
    assert common.describe_machine(record) == (
        "4 CPU cores (Test CPU, x86_64), NVIDIA H200; Python 3.11.7, TensorFlow 2.21.0, Keras 3.15.1")


def test_markdown_table_of_a_tiny_input():
    assert common.markdown_table(["n", "ms"], [[1, "2.50"], ["x", None]]) == [
        "| n | ms |",
        "| --- | --- |",
        "| 1 | 2.50 |",
        "| x | None |",
    ]
    assert common.markdown_table(["only"], []) == ["| only |", "| --- |"]


def test_results_files_are_written_and_appended(tmp_path):
    path = common.write_markdown(tmp_path / "sub" / "table.md", ["# Title", "", *common.markdown_table(["a"], [[1]])])
    assert path.read_text(encoding="utf-8") == "# Title\n\n| a |\n| --- |\n| 1 |\n"
    log = tmp_path / "log.md"
    for seconds in (12, 11):
        common.append_table_row(log, [seconds, "ok"], ["seconds", "note"], preamble=["# Log", ""])
    assert log.read_text(encoding="utf-8") == (
        "# Log\n\n| seconds | note |\n| --- | --- |\n| 12 | ok |\n| 11 | ok |\n")


def test_machine_sections_keep_other_machines_and_replace_their_own(tmp_path):
    def machine(cpu, keras="3.15.1"):
        return {"cpu": cpu, "cores": 2, "architecture": "x86_64", "device": "CPU",
                "versions": {"python": "3.11.7", "keras": keras}}

    path = tmp_path / "results.md"
    common.write_machine_section(path, ["# Title", "", "About."], ["intel 1"], machine("Intel"))
    common.write_machine_section(path, ["# Title", "", "About."], ["amd 1"], machine("AMD"))
    common.write_machine_section(path, ["# Title", "", "About."], ["intel 2"], machine("Intel", keras="3.16.0"))
    assert path.read_text(encoding="utf-8") == (
        "# Title\n\nAbout.\n\n"
        "## 2 CPU cores (Intel, x86_64), no GPU\n\nVersions: Python 3.11.7, Keras 3.16.0\n\nintel 2\n\n"
        "## 2 CPU cores (AMD, x86_64), no GPU\n\nVersions: Python 3.11.7, Keras 3.15.1\n\namd 1\n")


def test_proc_status_reads_this_process_memory():
    assert common.proc_status_mib("VmHWM") >= common.proc_status_mib("VmRSS") > 0
    with pytest.raises(RuntimeError):
        common.proc_status_mib("NoSuchField")


# --------------------------------------------------------------------------- #
# Every benchmark module
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name", _modules())
def test_every_benchmark_module_has_a_command_line(name, capsys):
    module = importlib.import_module(f"benchmarks.{name}")
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    assert f"python -m benchmarks.{name}" in module.__doc__  # the docstring says how to run it
    assert "usage:" in capsys.readouterr().out
    assert f"  {name} " in benchmarks.__doc__  # and the package docstring lists it


def test_a_benchmark_runs_as_a_module_from_the_repo_root():
    done = subprocess.run([sys.executable, "-m", "benchmarks.quickstart_time", "--help"], cwd=common.REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "keras-attn quickstart" in done.stdout


def test_quickstart_time_appends_a_row_per_run(tmp_path, monkeypatch, capsys):
    from benchmarks import quickstart_time

    real_run, runs = subprocess.run, []

    def fake_quickstart(command, **kwargs):  # the real one trains two models for minutes
        if command[1:4] != ["-m", "keras_attn.cli", "quickstart"]:
            return real_run(command, **kwargs)  # the machine record's lscpu
        runs.append(command)
        return subprocess.CompletedProcess(command, 0, stdout="ko_en: bleu 97.7, exact_match 0.9\nsaved\n", stderr="")

    monkeypatch.setattr(quickstart_time, "RESULTS", tmp_path / "quickstart_time.md")
    monkeypatch.setattr(quickstart_time.subprocess, "run", fake_quickstart)
    quickstart_time.main([])
    quickstart_time.main([])
    lines = (tmp_path / "quickstart_time.md").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# `keras-attn quickstart` wall time")
    assert lines[2:4] == ["| seconds | CPUs | load average before | scores |", "| --- | --- | --- | --- |"]
    assert len(runs) == 2 and len(lines) == 6
    assert all(line.endswith("| ko_en: bleu 97.7, exact_match 0.9 |") for line in lines[4:])
    assert "quickstart took" in capsys.readouterr().out


def test_performance_report_covers_every_section_module(performance):
    assert list(performance.MODULES) == ["layers", "flops", "training", "decoding", "memory"]
    for name, module in performance.MODULES.items():
        assert module.NAME == name and callable(module.run) and callable(module.report_lines)


# --------------------------------------------------------------------------- #
# Smoke runs
# --------------------------------------------------------------------------- #


@pytest.mark.slow
def test_smoke_run_measures_and_reports(performance, tmp_path):
    from benchmarks import layer_speed

    results = performance.main(["--smoke", "--sections", "layers", "flops", "decoding"])
    ratios = layer_speed.layer_ratio_rows(results["layers"]["rows"])
    assert {(ours, peer) for ours, peer, _, _ in ratios} >= {
        ("ours MultiHeadSelfAttention", "keras MultiHeadAttention"),
        ("ours ScaledDotProductAttention", "keras.ops.dot_product_attention"),
    }
    assert all(ratio > 0 for *_, ratio in ratios)
    assert all(row["attention GFLOP/s"] > 0 for row in results["flops"]["rows"])
    assert {(r["search"], r["kv cache"]) for r in results["decoding"]["rows"]} == {
        ("greedy", True), ("greedy", False), ("beam", True), ("beam", False)}
    results["machine"] = "test"
    performance.write_report(results, tmp_path / "performance.md", tmp_path / "performance.png")
    text = (tmp_path / "performance.md").read_text()
    assert "Time ratios" in text and "GFLOP/s" in text and "speed-up" in text
    assert (tmp_path / "performance.png").stat().st_size > 0


@pytest.mark.slow
def test_memory_section_probes_each_point_in_a_fresh_process():
    from benchmarks import layer_memory

    rows = layer_memory.run_memory([16])
    assert [(r["layer"], r["length"]) for r in rows] == [(layer, 16) for layer in layer_memory.MEMORY_CONTESTANTS]
    assert all(r["peak RSS growth MiB"] >= 0 for r in rows)


@pytest.mark.slow
def test_kv_cache_decoding_smoke_decodes_the_same_tokens_either_way():
    from benchmarks import kv_cache_decoding

    rows = kv_cache_decoding.main(["--smoke"])
    assert [row[0] for row in rows] == [8, 16]
    assert all(cached > 0 and uncached > 0 and same for _, cached, uncached, _, same in rows)


@pytest.mark.slow
def test_transformer_tasks_trains_scores_and_reports_cpu_time(tmp_path):
    tasks = importlib.import_module("benchmarks.transformer_tasks")
    row = tasks.run_task("reverse", train_size=256, epochs=1, test_size=8, warmup_steps=10, verbose=0,
                         min_length=5, max_length=5)
    assert row["train_cpu_seconds"] > 0 and 0.0 <= row["exact_match"] <= 1.0 and row["test_size"] == 8
    assert row["examples"] and all(len(pair) == 2 for pair in row["examples"])
    tasks.write_results([row], path=tmp_path / "tasks.md")
    table = (tmp_path / "tasks.md").read_text(encoding="utf-8")
    assert "| train s (wall) | train CPU s |" in table and f"| {row['train_cpu_seconds']} |" in table


def test_cli_startup_times_help_and_appends_a_row(tmp_path, monkeypatch):
    cli_startup = importlib.import_module("benchmarks.cli_startup")
    monkeypatch.setattr(cli_startup, "RESULTS", tmp_path / "cli_startup.md")
    cli_startup.main(["--repeats", "1"])
    row = (tmp_path / "cli_startup.md").read_text().splitlines()[-1]
    assert row.startswith("| ") and "| 1 | no |" in row  # one repeat, no TensorFlow log lines


@pytest.mark.slow
def test_translate_memory_smoke_translates_a_file_in_a_fresh_process(capsys):
    rows = importlib.import_module("benchmarks.translate_memory").main(["--smoke"])
    assert [lines for lines, _, _ in rows] == [100, 300] and all(peak > 100 for _, peak, _ in rows)


def test_backend_attention_smoke_times_ours_keras_and_the_kernel(capsys):
    from benchmarks import backend_attention

    backend_attention.main(["--smoke", "--dtypes", "float32"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert len(rows) == 4  # causal or not, forward or forward + backward
    assert {row["backend"] for row in rows} == {keras.backend.backend()}
    assert all(row["ours"] > 0 and row["keras"] > 0 and row["kernel"] > 0 and row["matmul_tflops"] > 0 for row in rows)
    assert len(backend_attention.table_row(rows[0])) == len(backend_attention.HEADER)


def test_quickstart_time_against_a_baseline_runs_both_trees(tmp_path, monkeypatch, capsys):
    from benchmarks import quickstart_time

    trees = []

    def fake_quickstart(tree):
        trees.append(str(tree))
        return (20.0 if len(trees) == 1 else 10.0), "ko_en: bleu 95.0, exact_match 0.9\n"

    monkeypatch.setattr(quickstart_time, "SPEEDUP", tmp_path / "speedup.md")
    monkeypatch.setattr(quickstart_time, "run_quickstart", fake_quickstart)
    monkeypatch.setattr(quickstart_time.time, "sleep", lambda seconds: None)
    quickstart_time.main(["--baseline", "HEAD"])
    assert trees[0].endswith("baseline") and trees[1] == str(common.REPO_ROOT)
    assert not os.path.exists(trees[0])  # the worktree is removed
    row = (tmp_path / "speedup.md").read_text(encoding="utf-8").splitlines()[-1]
    assert row.startswith("| HEAD | 20 | 10 | 2.00× |") and "bleu 95.0" in row
