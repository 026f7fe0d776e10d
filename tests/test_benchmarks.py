"""The performance benchmark's plumbing, on toy sizes (the figures come from full runs)."""

import importlib.util
import pathlib
import sys

import pytest

BENCHMARK = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "performance.py"


def _load(name):
    sys.path.insert(0, str(BENCHMARK.parent))  # as when run as a script: it imports its neighbours
    spec = importlib.util.spec_from_file_location(name, BENCHMARK.parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def performance():
    return _load("performance")


def test_interleaved_medians_time_every_runner_in_turn(performance):
    calls = []
    medians = performance.interleaved_medians({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                                              repeats=4, warmup=1)
    assert set(medians) == {"a", "b"} and all(m >= 0 for m in medians.values())
    assert calls[2:] == ["a", "b", "b", "a", "a", "b", "b", "a"]  # warm-up, then alternating order


@pytest.mark.slow
def test_smoke_run_measures_and_reports(performance, tmp_path):
    results = performance.main(["--smoke", "--sections", "layers", "flops", "decoding"])
    ratios = performance.layer_ratio_rows(results["layers"]["rows"])
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
def test_transformer_tasks_trains_scores_and_reports_cpu_time(tmp_path):
    tasks = _load("transformer_tasks")
    row = tasks.run_task("reverse", train_size=256, epochs=1, test_size=8, warmup_steps=10, verbose=0,
                         min_length=5, max_length=5)
    assert row["train_cpu_seconds"] > 0 and 0.0 <= row["exact_match"] <= 1.0 and row["test_size"] == 8
    assert row["examples"] and all(len(pair) == 2 for pair in row["examples"])
    tasks.write_results([row], path=tmp_path / "tasks.md")
    table = (tmp_path / "tasks.md").read_text(encoding="utf-8")
    assert "| train s (wall) | train CPU s |" in table and f"| {row['train_cpu_seconds']} |" in table
