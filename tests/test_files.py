"""keras_attn.files: reading records without trusting them, writing outputs whole."""

import json
import os

import pytest

from keras_attn import files


def test_write_text_replaces_the_file_whole_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "deep" / "page.html"
    files.write_text(path, "first")
    files.write_text(path, "새 내용")
    assert path.read_text(encoding="utf-8") == "새 내용"
    assert os.listdir(path.parent) == ["page.html"]
    # The mode `open` gives (not mkstemp's private 0600), and a file's own mode is kept.
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    files.write_text(path, "again")
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    files.write_text(path, "old")

    def refuse(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        files.write_text(path, "new")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["run.json"]


def test_read_record_names_the_missing_field_without_echoing_the_file(tmp_path):
    path = tmp_path / "translator.json"
    path.write_text(json.dumps({"secret": "do not echo"}))
    with pytest.raises(files.RecordError, match="'model_file' is missing") as error:
        files.read_record(path, {"model_file": str})
    assert "do not echo" not in str(error.value)
