"""`train(strategy=...)`: mirrored and multi-worker training take the single-device steps.

Every scenario trains in fresh processes: logical CPU devices and collective ops
must be configured before TensorFlow initialises. Each run trains two steps of a
tiny model on a global batch of 16; the reference run has one device
(`OneDeviceStrategy`, which like the others lets Keras draw one batch to build the
model before the epoch, so all runs see the same batches).

Tolerance: two replicas sum the same float32 terms in another order (two half-batch
sums, then an all-reduce); measured, that moved a loss by 4.8e-7 (1e-7 relative) and
a weight by 7.5e-8 after two steps. rtol 1e-4 / atol 1e-5 leave room for other
machines' float arithmetic and still catch a wrong reduction (summing the replicas'
token means instead of averaging over the global batch's tokens doubled the loss).
"""

import csv
import operator
import json
import os
import pathlib
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from keras_attn import cli
from keras_attn import distribute
from keras_attn import runs

SCENARIO = r'''
import json
import sys
import time

spec = json.load(open(sys.argv[1]))
import tensorflow as tf

if spec["logical_cpus"] > 1:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * spec["logical_cpus"])
import keras

from keras_attn import cli
from keras_attn import runs


class Steps(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.replicas = self.model.distribute_strategy.num_replicas_in_sync
        self.initial_weights = [w.numpy().tolist() for w in self.model.weights]
        self.running_means = []

    def on_train_batch_end(self, batch, logs=None):
        self.running_means.append(float(logs["loss"]))


results = {}
for run in spec["runs"]:
    if "cli" in run:
        results[run["name"]] = {"exit": cli.main(run["cli"])}
        continue
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0") if run["strategy"] == "one_device" else run["strategy"]
    steps = Steps()
    start = time.perf_counter()
    translator = runs.train(run["output_dir"], strategy=strategy, callbacks=[steps], verbose=0, **run["train"])
    results[run["name"]] = {
        "replicas": steps.replicas, "running_means": steps.running_means, "initial_weights": steps.initial_weights,
        "weights": [w.numpy().tolist() for w in translator.model.weights],
        "names": [w.path for w in translator.model.weights], "seconds": time.perf_counter() - start,
    }
json.dump(results, open(sys.argv[2], "w"))
'''

# Two full batches of 16 (one length bucket below max_length), and 8 validation pairs.
TRAIN = dict(train_size=32, validation_size=8, epochs=1, batch_size=16, max_length=16)
ARGUMENTS = {  # more train() arguments, per preset
    "tiny_bahdanau": dict(units=16, embedding_dim=8),
    # No dropout: a replica draws other masks for its half batch than one device for the whole.
    # A constant learning rate: the warm-up's first steps barely move the weights.
    # No validation (the Bahdanau runs check it), to save the time of tracing it.
    "tiny_transformer": dict(d_model=16, num_heads=2, d_ff=32, dropout=0.0, learning_rate=1e-3, validation_size=0),
}
TOLERANCE = dict(rtol=1e-4, atol=1e-5)
REPO = pathlib.Path(__file__).resolve().parent.parent
# `--strategy mirrored` reaches the run: 2 replicas cannot share a batch of 15.
CLI_TRAIN = ["train", "--model", "tiny_bahdanau", "--size", "32", "--batch-size", "15", "--strategy", "mirrored"]


def _scenario(workdir, name, runs, logical_cpus=1, env=None):
    """Starts the scenario script on `runs`; returns the process, its result file and its log."""
    spec_path, result_path, log_path = (workdir / f"{name}.{kind}" for kind in ("spec.json", "result.json", "log"))
    script = workdir / "scenario.py"
    script.write_text(SCENARIO)
    spec_path.write_text(json.dumps({"logical_cpus": logical_cpus, "runs": runs}))
    environment = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    # The scenario imports this checkout's keras_attn, as the tests do, installed or not.
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    with open(log_path, "w") as log:  # a file, not a pipe: a full pipe would block the process
        process = subprocess.Popen([sys.executable, str(script), str(spec_path), str(result_path)], cwd=workdir,
                                   env={**environment, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})},
                                   stdout=log, stderr=subprocess.STDOUT)
    return process, result_path, log_path


def _finish(started, timeout=120):
    """Waits for the `_scenario` processes; kills them all once one fails or `timeout` s pass
    (a worker whose peer died waits for it forever). Returns their logs."""
    processes = [process for process, _, _ in started]
    deadline = time.monotonic() + timeout
    try:
        while any(p.poll() is None for p in processes) and time.monotonic() < deadline:
            if any(p.poll() not in (None, 0) for p in processes):
                break
            time.sleep(0.5)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
    logs = [log.read_text() for _, _, log in started]
    for process, log in zip(processes, logs):
        if process.returncode != 0:
            raise AssertionError(f"scenario failed or timed out ({process.returncode}):\n{log[-5000:]}")
    return logs


def _step_losses(running_means):
    """Each step's loss from Keras's running mean over the epoch (equal batches weigh equally)."""
    return [k * mean - (k - 1) * previous
            for k, (previous, mean) in enumerate(zip([0.0] + running_means, running_means), start=1)]


def _history(run_dir):
    with open(os.path.join(run_dir, "history.csv"), encoding="utf-8") as file:
        # CSVLogger writes "NA" for the validation columns of a run without validation.
        return [{k: float(v) for k, v in row.items() if v != "NA"} for row in csv.DictReader(file)]


def _assert_same_training(result, reference, run_dir, reference_dir, validated):
    assert len(result["running_means"]) == len(reference["running_means"]) == 2
    np.testing.assert_allclose(_step_losses(result["running_means"]), _step_losses(reference["running_means"]),
                               **TOLERANCE)
    for initial, reference_initial in zip(result["initial_weights"], reference["initial_weights"]):
        np.testing.assert_array_equal(initial, reference_initial)
    moved = max(np.max(np.abs(np.subtract(w, w0))) for w, w0 in zip(reference["weights"], reference["initial_weights"]))
    assert moved > 1e-3  # two Adam steps moved the weights: comparing them means something
    for name, weights, reference_weights, initial in zip(result["names"], result["weights"], reference["weights"],
                                                         reference["initial_weights"]):
        if name.endswith("key_bias"):
            # Its gradient is 0 (softmax ignores a shift shared by all of a query's scores):
            # Adam (epsilon 1e-9) turns the float noise in it into steps of either sign, each
            # at most the learning rate; how large depends on the activations' round-off
            # (since kernels start with keras' spread, ~1e-4 after the two steps).
            steps, learning_rate = 2, ARGUMENTS["tiny_transformer"]["learning_rate"]
            assert np.max(np.abs(np.subtract(weights, initial))) <= steps * learning_rate, name
            continue
        np.testing.assert_allclose(weights, reference_weights, **TOLERANCE, err_msg=name)
    (epoch,), (reference_epoch,) = _history(run_dir), _history(reference_dir)
    assert epoch.keys() == reference_epoch.keys() and ("val_loss" in epoch) == validated
    for key in epoch:
        np.testing.assert_allclose(epoch[key], reference_epoch[key], **TOLERANCE, err_msg=key)


def _distribution(run_dir):
    with open(os.path.join(run_dir, runs.RUN_FILE), encoding="utf-8") as file:
        return json.load(file)["distribution"]


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    """One process with 2 logical CPUs: each preset on one device and mirrored, then the CLI."""
    workdir = tmp_path_factory.mktemp("mirrored")
    specs = [{"name": f"{preset}/{strategy}", "strategy": strategy, "output_dir": str(workdir / preset / strategy),
             "train": {**TRAIN, "preset": preset, **overrides}}
            for preset, overrides in ARGUMENTS.items() for strategy in ("one_device", "mirrored")]
    specs.append({"name": "cli", "cli": [*CLI_TRAIN, "--output-dir", str(workdir / "cli")]})
    started = _scenario(workdir, "mirrored", specs, logical_cpus=2)
    (log,) = _finish([started], timeout=300)
    return workdir, json.loads(started[1].read_text()), log


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(ARGUMENTS))
def test_mirrored_on_two_devices_takes_the_single_device_steps(mirrored, preset):
    workdir, results, _ = mirrored
    one_device, two = results[f"{preset}/one_device"], results[f"{preset}/mirrored"]
    assert one_device["replicas"] == 1 and two["replicas"] == 2
    assert _distribution(workdir / preset / "mirrored") == {"strategy": "mirrored", "replicas": 2,
                                                            "per_replica_batch_size": 8}
    _assert_same_training(two, one_device, workdir / preset / "mirrored", workdir / preset / "one_device",
                          validated=ARGUMENTS[preset].get("validation_size", TRAIN["validation_size"]) > 0)


@pytest.mark.slow
def test_cli_refuses_a_batch_the_replicas_cannot_share(mirrored):
    workdir, results, log = mirrored
    assert results["cli"]["exit"] == 2
    assert "keras-attn train: error: --batch-size 15: not divisible by the 2 replicas of --strategy 'mirrored'" in log
    assert not os.path.exists(workdir / "cli")  # refused before writing anything


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_two_workers_take_the_single_device_steps(tmp_path):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    run_dir, reference_dir = tmp_path / "run", tmp_path / "reference"
    train = {**TRAIN, "preset": "tiny_bahdanau", **ARGUMENTS["tiny_bahdanau"]}
    started = [
        _scenario(tmp_path, f"worker{index}", [{"name": "run", "strategy": "multi_worker",
                                                "output_dir": str(run_dir), "train": train}],
                  env={"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})})
        for index in range(2)
    ]
    started.append(_scenario(tmp_path, "reference", [{"name": "run", "strategy": "one_device",
                                                       "output_dir": str(reference_dir), "train": train}]))
    _finish(started)
    chief, worker, reference = (json.loads(path.read_text())["run"] for _, path, _ in started)

    assert chief["replicas"] == worker["replicas"] == 2
    assert _distribution(run_dir) == {"strategy": "multi_worker", "replicas": 2, "per_replica_batch_size": 8}
    _assert_same_training(chief, reference, run_dir, reference_dir, validated=True)
    for chief_weights, worker_weights in zip(chief["weights"], worker["weights"]):
        np.testing.assert_array_equal(chief_weights, worker_weights)
    # Only the chief wrote the run; the worker's own copies are gone.
    assert os.path.isfile(run_dir / runs.TRANSLATOR_DIR / "translator.json")
    assert os.path.isfile(run_dir / "training_curves.png")
    assert sorted(os.listdir(run_dir)) == ["backup", "history.csv", "logs", "run.json", "tokenizers",
                                           "training_curves.png", runs.TRANSLATOR_DIR]


def test_an_unknown_strategy_is_refused(tmp_path, capsys):
    with pytest.raises(runs.RunError, match="strategy='nope': expected one of"):
        runs.train(str(tmp_path / "run"), strategy="nope")
    assert not os.path.exists(tmp_path / "run")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--strategy", "nope", "--output-dir", str(tmp_path / "run")])
    assert exit_info.value.code == 2 and "invalid choice: 'nope'" in capsys.readouterr().err


def test_a_corpus_without_a_full_batch_is_refused_under_a_strategy(tmp_path):
    with pytest.raises(runs.RunError, match=r"batch_size=16: the corpus has 8 training pair\(s\), fewer than one batch"):
        runs.train(str(tmp_path / "run"), preset="tiny_bahdanau", train_size=8, validation_size=0, batch_size=16,
                     epochs=1, verbose=0, strategy=tf.distribute.OneDeviceStrategy("/cpu:0"), units=8,
                     embedding_dim=4)


def test_map_in_processes_runs_every_job_in_spawned_workers_with_their_share_of_threads():
    finished = []
    results = distribute.map_in_processes(operator.add, [(1, 2), (3, 4), (5, 6)], processes=2,
                                          finished=lambda job, result: finished.append(job))
    assert results == {(1, 2): 3, (3, 4): 7, (5, 6): 11} and sorted(finished) == [(1, 2), (3, 4), (5, 6)]


def test_map_in_processes_with_one_process_runs_the_jobs_here_in_order():
    seen = []
    results = distribute.map_in_processes(lambda a, b: seen.append((a, b)) or a * b, [(2, 3), (4, 5)], processes=1)
    assert results == {(2, 3): 6, (4, 5): 20} and seen == [(2, 3), (4, 5)]  # a lambda: no pickling, no process
