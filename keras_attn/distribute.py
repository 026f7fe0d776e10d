"""Distributed training for `keras_attn.runner.train`: the `tf.distribute` side.

Keras 3 on the TensorFlow backend trains under a `tf.distribute.Strategy` when the
model is built and compiled inside `strategy.scope()`: `fit` splits every global
batch between the replicas, sums their gradients and keeps the copies of the
weights identical. What a translation run needs on top of that is here:

- `make_strategy`: the strategies `keras-attn train --strategy` offers.
- `shard_by_example`: how workers split in-memory data.
- `is_chief` / `worker_directory`: which process writes the run directory.
- `map_in_processes` / `limit_threads`: independent jobs (trainings) in parallel
  processes on one machine, each with its share of the cores.
"""

import concurrent.futures
import multiprocessing
import os

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker")
_MADE = {}  # the strategies `make_strategy` made, by name


def make_strategy(name):
    """The `tf.distribute.Strategy` called `name` (one of `STRATEGIES`, or `None`).

    - "default" / `None`: no distribution, one device.
    - "mirrored": `MirroredStrategy` over this machine's GPUs, or over its logical
      CPU devices when it has no GPU (one CPU device unless the process split it
      with `tf.config.set_logical_device_configuration`).
    - "multi_worker": `MultiWorkerMirroredStrategy` over the cluster described by
      the `TF_CONFIG` environment variable (this machine alone without it).
      Create it before any other TensorFlow work: collective ops are configured at
      program startup.

    A process gets one strategy of each kind, made on first use: a second
    `MirroredStrategy` over the same devices reuses the first one's collective keys,
    and its first all-reduce fails ("Shape mismatch in the collective instance").
    """
    if name in (None, "default"):
        return tf.distribute.get_strategy()
    if name not in STRATEGIES:
        raise ValueError(f"make_strategy: unknown strategy {name!r}; expected one of {list(STRATEGIES)}.")
    if name not in _MADE:
        if name == "mirrored":
            # MirroredStrategy() alone takes the GPUs or else CPU:0 only, never the
            # logical CPU devices a CPU-only process configured.
            devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
            _MADE[name] = tf.distribute.MirroredStrategy([device.name for device in devices])
        else:
            _MADE[name] = _MultiWorkerMirroredStrategy()
    return _MADE[name]


def is_chief(strategy):
    """Whether this process writes the run's outputs: all but a multi-worker run's
    non-chief workers (the chief is task "chief", or "worker" 0 without one)."""
    return strategy.extended.should_checkpoint


def worker_directory(output_dir, strategy):
    """Where this process writes: `output_dir` on the chief, `output_dir/workertemp_<task id>`
    on the other workers (tf.keras's name for a worker's own copies).

    A worker keeps its own checkpoints, identical to the chief's, so that a resumed
    run restores the same state on every worker without a shared file system.
    """
    if is_chief(strategy):
        return output_dir
    return os.path.join(output_dir, f"workertemp_{strategy.cluster_resolver.task_id}")


def shard_by_example(dataset):
    """`dataset` with multi-worker auto-sharding by example (policy DATA).

    The corpora are generated in memory or read from one TSV file, so there are no
    files to split between workers (policy FILE); every worker builds the same
    batches and keeps its share of each global batch.
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


class _MultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """`MultiWorkerMirroredStrategy` whose `reduce` takes what Keras 3's `fit` gives it.

    On this strategy Keras 3.15 `fit` failed before its first step in two ways:
    - it reduces a whole `(inputs, targets)` batch in one call (to learn the shapes
      to build the model for), but this `reduce` takes one value, not a nest
      ("TODO: support `value` being a nest" in TensorFlow; keras-team/keras#20329);
    - it averages every logged scalar along `axis=0`, which a scalar does not have
      ("Invalid reduction dimension 0 for input with 0 dimensions",
      tensorflow/tensorflow#72388).
    Here each value of a nest is reduced on its own, a scalar across the replicas.
    """

    def reduce(self, reduce_op, value, axis):
        def reduce_one(per_replica):
            scalar = self.experimental_local_results(per_replica)[0].shape.rank == 0
            return super(_MultiWorkerMirroredStrategy, self).reduce(reduce_op, per_replica, None if scalar else axis)

        return tf.nest.map_structure(reduce_one, value)


def limit_threads(threads):
    """Caps TensorFlow's thread pools in this process (a worker's share of the cores)."""
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def map_in_processes(function, jobs, processes, finished=None):
    """`function(*job)` for every job, in `processes` spawned processes.

    Small models use two cores poorly: two trainings side by side, one thread each,
    finish sooner than one after the other with two threads each. Each process gets
    `cpu_count // processes` threads. `function` must be picklable (a module-level
    function or a `functools.partial` of one); TensorFlow does not survive a fork, so
    the processes are spawned.

    Args:
        function: called as `function(*job)` in a worker process.
        jobs: tuples of arguments.
        processes: how many worker processes (at most one per job); with one, the
            jobs run here, one after the other.
        finished: called as `finished(job, result)` in this process as each job ends.

    Returns:
        `{job: result}`.
    """
    jobs = list(jobs)
    workers = max(1, min(processes, len(jobs)))
    results = {}
    if workers == 1:  # in this process, with all its threads
        for job in jobs:
            results[job] = function(*job)
            if finished:
                finished(job, results[job])
        return results
    with concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=limit_threads, initargs=(max(1, (os.cpu_count() or 1) // workers),),
    ) as pool:
        futures = {pool.submit(function, *job): job for job in jobs}
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()
            if finished:
                finished(futures[future], results[futures[future]])
    return results
