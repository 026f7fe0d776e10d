"""The bottleneck experiment, step by step (toy sizes), and as a whole with a stand-in job."""

import pytest

from keras_attn import experiments
from keras_attn.experiments import bottleneck

TOY = dict(reverse_lengths=(4, 6), ko_en_length_bins=((1, 3), (4, 6)), train_size=64, test_size=4, batch_size=16,
           seed=0)


def test_settings_per_task():
    assert bottleneck.for_task(None, "ko-en", experiments.EPOCHS) == experiments.EPOCHS["ko-en"]
    assert bottleneck.for_task(3, "ko-en", experiments.EPOCHS) == 3
    assert bottleneck.for_task({"reverse": 2}, "reverse", experiments.EPOCHS) == 2
    assert bottleneck.for_task({"reverse": 2}, "ko-en", experiments.EPOCHS) == experiments.EPOCHS["ko-en"]


def test_check_settings_refuses_before_any_training():
    with pytest.raises(ValueError, match="unknown task 'en-ko'"):
        experiments.bottleneck_experiment(tasks=("reverse", "en-ko"))
    with pytest.raises(ValueError, match="Unknown experiment arm 'rnn'"):
        experiments.bottleneck_experiment(arms=("rnn",))
    with pytest.raises(ValueError, match="processes must be a positive int"):
        experiments.bottleneck_experiment(processes=0)
    bottleneck.check_settings(("reverse", "ko-en"), tuple(experiments.ARMS), 2)  # the defaults pass


def test_plan_jobs_puts_the_fast_fixed_context_arms_last():
    jobs = bottleneck.plan_jobs(("reverse", "ko-en"), ("fixed_context", "bahdanau", "transformer"))
    assert len(jobs) == 6 and set(jobs[-2:]) == {("reverse", "fixed_context"), ("ko-en", "fixed_context")}


def test_length_groups():
    groups, train = bottleneck.length_groups("ko-en", (10,), ((1, 5), (6, 10)))
    assert [(label, length) for label, length, _ in groups] == [("1-5", 3.0), ("6-10", 8.0)]
    assert train == {"min_length": 1, "max_length": 10}
    groups, train = bottleneck.length_groups("reverse", (10, 20), ())
    assert [options for *_, options in groups][1] == {"min_length": 20, "max_length": 20}


def test_prepare_train_and_score_one_arm():
    prepared = bottleneck.prepare_task("reverse", TOY["reverse_lengths"], TOY["ko_en_length_bins"],
                                       TOY["train_size"], TOY["test_size"], TOY["batch_size"], TOY["seed"])
    assert [label for label, *_ in prepared["tests"]] == ["4", "6"]
    assert all(len(examples) == 4 for *_, examples in prepared["tests"])
    assert all(len(e.source.split()) == 6 for e in prepared["tests"][1][2])
    model, seconds = bottleneck.train_arm("bahdanau", prepared, 3_000, 1, 3e-3, 8, 0)
    assert model.optimizer.global_clipnorm == experiments.RECURRENT_GLOBAL_CLIPNORM and seconds > 0
    rows = bottleneck.score_arm("reverse", "bahdanau", model, prepared, seconds)
    assert [row["group"] for row in rows] == ["4", "6"]
    assert all(0 <= row["exact_match"] <= 1 and 0 <= row["bleu"] <= 100 and row["aer"] is None for row in rows)
    transformer, _ = bottleneck.train_arm("transformer", prepared, 3_000, 1, 3e-3, 8, 0)
    assert transformer.optimizer.global_clipnorm is None  # the clip is for the recurrent arms


@pytest.mark.slow
def test_the_transformer_arm_learns_to_reverse_sources_of_mixed_length():
    # Issue 16: counting source positions from the start only, this arm was at exact
    # match 0.36 / 0.02 / 0 (lengths 10 / 20 / 30) after 10 epochs of the experiment's data.
    prepared = bottleneck.prepare_task("reverse", (10, 20, 30), ((1, 5),), 20_000, 30, 128, 0)
    model, _ = bottleneck.train_arm("transformer", prepared, 100_000, 5, 3e-3, 32, 0)
    rows = bottleneck.score_arm("reverse", "transformer", model, prepared, 0.0)
    assert min(row["exact_match"] for row in rows) >= 0.9, rows


def test_the_experiment_reports_each_job_and_returns_rows_in_task_then_arm_order(monkeypatch, capsys):
    calls = []

    def fake_run_arm(task, name, **settings):
        calls.append((task, name, settings["verbose"]))
        return [{"task": task, "model": name, "group": "g", "length": 1, "parameters": 1, "train_seconds": 2.0,
                 "exact_match": 0.5, "bleu": 50.0, "aer": None}]

    monkeypatch.setattr(bottleneck, "run_arm", fake_run_arm)
    rows = experiments.bottleneck_experiment(tasks=("ko-en", "reverse"), arms=("fixed_context", "luong"),
                                             verbose=2)
    assert [(row["task"], row["model"]) for row in rows] == [
        ("ko-en", "fixed_context"), ("ko-en", "luong"), ("reverse", "fixed_context"), ("reverse", "luong")]
    assert [call[:2] for call in calls][-2:] == [("ko-en", "fixed_context"), ("reverse", "fixed_context")]
    progress = capsys.readouterr().err.strip().splitlines()
    assert len(progress) == 4 and progress[0].startswith("[1/4] ") and progress[-1].startswith("[4/4] ")
    assert "min left" in progress[0] and "g:0.50" in progress[0]
