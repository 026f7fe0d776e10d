import json
import os

import pytest

from keras_attn.runs import RunDirectory
from keras_attn.runs import RunError

ARGUMENTS = {"preset": "tiny_bahdanau", "epochs": 2}


def test_record_round_trip_is_atomic(tmp_path):
    run = RunDirectory(tmp_path / "run")
    assert run.read_record() is None
    run.check_writable()
    run.write_record({"arguments": ARGUMENTS, "finished": False})
    assert run.read_record() == {"arguments": ARGUMENTS, "finished": False}
    assert os.listdir(run.path) == ["run.json"]  # no temporary file left behind
    with open(run.record_path, "w") as file:
        file.write("{")
    with pytest.raises(RunError, match="unreadable run record"):
        run.read_record()


def test_previous_run_resumes_refuses_or_clears(tmp_path):
    run = RunDirectory(tmp_path / "run")
    run.check_writable()
    os.makedirs(run.backup_dir)
    run.write_record({"arguments": ARGUMENTS, "finished": False})
    assert run.previous_run(ARGUMENTS)["arguments"] == ARGUMENTS and os.path.isdir(run.backup_dir)
    with pytest.raises(RunError, match=r"other arguments \(epochs\)"):
        run.previous_run({**ARGUMENTS, "epochs": 3})
    run.write_record({"arguments": ARGUMENTS, "finished": True})
    with pytest.raises(RunError, match="finished run"):
        run.previous_run(ARGUMENTS)
    assert run.previous_run(ARGUMENTS, overwrite=True) is None and not os.path.exists(run.backup_dir)


def test_an_unwritable_folder_is_refused():
    with pytest.raises(RunError, match="output_dir='/proc/keras_attn_run': cannot write there"):
        RunDirectory("/proc/keras_attn_run").check_writable()


def test_paths(tmp_path):
    run = RunDirectory(tmp_path)
    assert run.translator_dir == str(tmp_path / "translator") and run.history_path.endswith("history.csv")
    assert run.load_tokenizers() is None
    assert json.dumps(run.tokenizer_dirs()).count("tokenizers") == 2
