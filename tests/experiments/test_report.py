import os

from keras_attn import experiments


def test_bottleneck_report_has_tables_and_plots(tmp_path):
    rows = [
        {"task": "reverse", "model": m, "group": str(n), "length": n, "parameters": 1000, "train_seconds": 1.0,
         "exact_match": em, "bleu": 100 * em, "aer": None}
        for m, scores in (("fixed_context", (0.5, 0.0)), ("bahdanau", (1.0, 0.9))) for n, em in zip((10, 20), scores)
    ]
    paths = experiments.write_bottleneck_report(rows, tmp_path / "out", settings={"epochs": 1})
    report = open(paths[0], encoding="utf-8").read()
    assert "| fixed_context | 0.500 | 0.000 |" in report and "| bahdanau | 100.0 | 90.0 |" in report
    assert "| bahdanau | 1,000 | 1.0 | — |" in report and report.startswith("# The bottleneck experiment")
    assert len(paths) == 3 and all(os.path.getsize(p) > 1000 for p in paths[1:])

    # A rerun replaces the tables and keeps the hand-written discussion below the marker.
    with open(paths[0], "a", encoding="utf-8") as file:
        file.write(f"\n{experiments.NOTES_MARKER}\n## Reading the results\nAttention wins.\n")
    rows[0]["exact_match"] = 0.25
    experiments.write_bottleneck_report(rows, tmp_path / "out", settings={"epochs": 1})
    report = open(paths[0], encoding="utf-8").read()
    assert "| fixed_context | 0.250 | 0.000 |" in report and "0.500" not in report
    assert report.count("Attention wins.") == 1 and report.index("| bahdanau |") < report.index("Attention wins.")
