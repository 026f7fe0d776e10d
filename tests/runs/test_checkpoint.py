"""The checkpoint callback on each kind of damage (a tiny model, no training), its pin
to the Keras internals it adapts, and a real run killed mid-training and resumed
(fault injection, `keras-attn train` in subprocesses)."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from keras_attn.runs import checkpoint
from keras_attn.runs import ResilientBackupAndRestore
from keras_attn.runs import RunError


def test_the_adapter_is_pinned_to_the_keras_internals_it_uses():
    """`ResilientBackupAndRestore` reads private members of Keras' callback: a Keras
    release that renames them must fail here, not in a user's resumed run."""
    assert keras.__version__ == checkpoint.KERAS_VERSION, (
        f"Keras {keras.__version__}: check runs/checkpoint.py against keras.callbacks.BackupAndRestore, "
        "then update KERAS_VERSION")
    callback = keras.callbacks.BackupAndRestore("/tmp/unused", double_checkpoint=True)
    for name in ("_load_model", "_save_model", "_weights_path", "_prev_weights_path", "_training_metadata_path",
                 "_prev_training_metadata_path"):
        assert hasattr(callback, name), name


def _model(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.Adam(), "mse")
    model.optimizer.build(model.trainable_variables)  # as after a training step
    return model


@pytest.fixture
def two_checkpoints(tmp_path):
    """A backup folder with a previous (epoch 1) and a newest (epoch 2) checkpoint."""
    backup = str(tmp_path / "backup")
    saved = []
    for epoch, seed in ((1, 1), (2, 2)):
        callback = ResilientBackupAndRestore(backup, double_checkpoint=True)
        callback.set_model(_model(seed))
        callback.save_checkpoint(epoch)
        saved.append(callback.model.get_weights())
    return backup, saved


def _restore(backup):
    """The model restored from `backup`, and the epoch the run would resume at."""
    model = _model(seed=99)
    callback = ResilientBackupAndRestore(backup, double_checkpoint=True)
    callback.set_model(model)
    return model, callback.restore()


def _damage_middle(path):
    size = os.path.getsize(path)
    with open(path, "r+b") as file:  # h5py then fails inside the file (ValueError/RuntimeError), not at open
        file.seek(size // 2)
        file.write(b"\0" * 256)


DAMAGES = {
    "truncated weights": ("latest.weights.h5", lambda p: open(p, "r+b").truncate(os.path.getsize(p) // 2)),
    "empty weights": ("latest.weights.h5", lambda p: open(p, "wb").close()),
    "weights damaged inside": ("latest.weights.h5", _damage_middle),
    "truncated metadata": ("training_metadata.json", lambda p: open(p, "r+b").truncate(5)),
}


def test_an_intact_checkpoint_is_restored_silently(two_checkpoints, capsys):
    backup, saved = two_checkpoints
    model, epoch = _restore(backup)
    assert epoch == 2 and "unreadable" not in capsys.readouterr().err
    for restored, expected in zip(model.get_weights(), saved[1]):
        np.testing.assert_array_equal(restored, expected)


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_checkpoint_is_reported_and_the_previous_one_used(damage, two_checkpoints, capsys):
    backup, saved = two_checkpoints
    name, corrupt = DAMAGES[damage]
    corrupt(os.path.join(backup, name))
    model, epoch = _restore(backup)
    err = capsys.readouterr().err
    assert f"checkpoint in {backup} is unreadable" in err and "previous checkpoint" in err and len(err.splitlines()) == 1
    assert epoch == 1
    for restored, expected in zip(model.get_weights(), saved[0]):
        np.testing.assert_array_equal(restored, expected)


@pytest.mark.parametrize("damage", ["truncated weights", "weights damaged inside"])
def test_two_damaged_checkpoints_stop_the_run_with_a_clear_error(damage, two_checkpoints):
    backup, _ = two_checkpoints
    corrupt = DAMAGES[damage][1]
    corrupt(os.path.join(backup, "latest.weights.h5"))
    corrupt(os.path.join(backup, "latest.weights.h5.bkp"))
    with pytest.raises(RunError, match="both checkpoints are unreadable.*remove that folder") as info:
        _restore(backup)
    assert "\n" not in str(info.value)


def test_a_damaged_only_checkpoint_stops_the_run_with_a_clear_error(tmp_path):
    backup = str(tmp_path / "backup")
    callback = ResilientBackupAndRestore(backup, double_checkpoint=True)
    callback.set_model(_model(1))
    callback.save_checkpoint(0)
    DAMAGES["weights damaged inside"][1](os.path.join(backup, "latest.weights.h5"))
    with pytest.raises(RunError, match="unreadable .* no previous one"):
        _restore(backup)


# Fault injection: a real run killed with SIGKILL ------------------------------------------

TRAIN = ["train", "--size", "300", "--epochs", "3", "--max-length", "32", "--set", "units=16",
         "--set", "embedding_dim=8", "--save-every", "2"]


def train_in_subprocess(output_dir, **popen):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "-m", "keras_attn.cli", *TRAIN, "--output-dir", output_dir],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **popen)


def last_epoch(run_dir):
    with open(os.path.join(run_dir, "history.csv"), encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    by_epoch = {int(row["epoch"]): row for row in rows}  # a repeated epoch: the last row wins
    return sorted(by_epoch), {key: float(value) for key, value in by_epoch[max(by_epoch)].items()}


@pytest.mark.fault
@pytest.mark.slow
def test_killed_run_with_a_truncated_checkpoint_resumes_to_the_same_metrics(tmp_path):
    """`keras-attn train` killed with SIGKILL mid-run, its newest checkpoint truncated.

    The real CLI runs in subprocesses: one uninterrupted run, one run killed once two
    checkpoints exist, whose newest checkpoint is then truncated (what a kill during
    `save_weights` leaves), and the rerun of the same command. The rerun must say that
    it falls back, continue from the previous checkpoint (not from scratch) and end at
    the uninterrupted run's metrics.
    """
    reference_dir, killed_dir = str(tmp_path / "reference"), str(tmp_path / "killed")
    reference = train_in_subprocess(reference_dir)
    _, reference_err = reference.communicate(timeout=900)
    assert reference.returncode == 0, reference_err[-3000:]

    # Kill as soon as the previous checkpoint (both files) is from epoch >= 1: the run is
    # then mid-training with two checkpoints on disk, and a resume that wrongly started
    # from scratch would show in the epoch it starts at.
    killed = train_in_subprocess(killed_dir)
    backup = os.path.join(killed_dir, "backup")
    previous = [os.path.join(backup, name) for name in ("latest.weights.h5.bkp", "training_metadata.json.bkp")]

    def previous_epoch():
        try:
            with open(previous[1], encoding="utf-8") as file:
                return json.load(file)["epoch"] if os.path.exists(previous[0]) else -1
        except (OSError, ValueError):  # not there yet, or being written
            return -1

    deadline = time.monotonic() + 900
    while previous_epoch() < 1 and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert not json.load(open(os.path.join(killed_dir, "run.json")))["finished"]
    assert not os.path.exists(os.path.join(killed_dir, "translator", "translator.json"))
    resume_epoch = previous_epoch()
    assert resume_epoch >= 1
    latest = os.path.join(backup, "latest.weights.h5")
    with open(latest, "r+b") as file:  # what a kill in the middle of save_weights leaves
        file.truncate(os.path.getsize(latest) // 3)

    resumed = train_in_subprocess(killed_dir)
    out, err = resumed.communicate(timeout=900)
    assert resumed.returncode == 0, err[-3000:]
    assert "is unreadable" in err and "resuming from the previous checkpoint" in err and "Traceback" not in err
    # It continued from the previous checkpoint's epoch, not from scratch (a restart
    # from scratch with the same seed would reproduce the reference and hide the bug).
    assert f"Epoch {resume_epoch + 1}/3" in out and f"Epoch {resume_epoch}/3" not in out
    assert json.load(open(os.path.join(killed_dir, "run.json")))["finished"]
    assert os.path.isfile(os.path.join(backup, "training_metadata.json"))  # kept: `--epochs` can continue the run

    epochs, final = last_epoch(killed_dir)
    reference_epochs, expected = last_epoch(reference_dir)
    assert epochs == reference_epochs == [0, 1, 2]
    # Tolerance: Keras restores the epoch, not the step, so the resumed run repeats the
    # checkpoint's epoch with weights that have already seen part of it (and in another
    # shuffle order): it ends up to one epoch's worth of training ahead. So each final
    # metric must lie within 1.5x the largest change one epoch makes in the reference
    # run (the 0.5 covers the shuffle order); a lost epoch or wrong weights would
    # show as a larger gap, a restart from scratch fails the epoch check above.
    with open(os.path.join(reference_dir, "history.csv"), encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    for metric in ("loss", "val_loss", "masked_accuracy", "val_masked_accuracy"):
        curve = np.array([float(row[metric]) for row in rows])
        tolerance = 1.5 * np.abs(np.diff(curve)).max()
        assert np.isfinite(final[metric])
        assert abs(final[metric] - expected[metric]) <= tolerance, (metric, final[metric], expected[metric], tolerance)
