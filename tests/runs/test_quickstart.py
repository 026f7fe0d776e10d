import os

import pytest

from keras_attn import runs
from keras_attn.runs.quickstart import StopAtAccuracy
from tests.testing import run_fresh_process


@pytest.mark.slow
def test_quickstart_smoke_leaves_servable_saved_models(tmp_path, capsys):
    results = runs.quickstart(str(tmp_path / "runs"), str(tmp_path / "saved_models"), smoke=True, verbose=0)
    out = capsys.readouterr().out
    assert set(results) == set(runs.QUICKSTART_MODELS)
    assert "나는 밥을 먹었다  →" in out and "docker run" in out
    paths = [result["saved_model"] for result in results.values()]
    for result in results.values():
        assert os.path.getsize(result["heatmap"]) > 1000
        assert os.path.dirname(result["explorer"]) == os.path.dirname(result["heatmap"])
        assert "explorer-data" in open(result["explorer"], encoding="utf-8").read()
        assert f"attention explorer (open it in a browser): {result['explorer']}" in out
    fresh = run_fresh_process(paths, [["나는 밥을 먹었다", ""]], str(tmp_path))
    for result, path in zip(results.values(), paths):
        assert fresh["outputs"][path][0]["translation"]["value"] == [result["samples"]["나는 밥을 먹었다"], ""]


def test_serving_command_mounts_the_base_path(tmp_path):
    command = runs.serving_command(str(tmp_path / "saved_models" / "ko_en"), "ko_en")
    assert f"source={tmp_path}/saved_models/ko_en,target=/models/ko_en" in command and "MODEL_NAME=ko_en" in command


class _Model:
    stop_training = False


def test_training_stops_at_the_target_accuracy_and_says_how_long_is_left(capsys):
    stop = StopAtAccuracy("m", 0.975, epochs=4)
    stop.set_model(_Model())
    stop.on_train_begin()
    stop.on_epoch_end(0, {"val_masked_accuracy": 0.9})
    assert not stop.model.stop_training
    stop.on_epoch_end(1, {"val_masked_accuracy": 0.98})
    assert stop.model.stop_training
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[m] epoch 1/4: held-out accuracy 0.900 (target 0.975); at most ")
    assert lines[1] == "[m] epoch 2/4: held-out accuracy 0.980 (target 0.975); reached, training stops"
