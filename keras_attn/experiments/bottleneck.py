"""The seed's experiment: a fixed context vector is a bottleneck that attention removes.

A fixed-context encoder-decoder squeezes the source through one vector and falls
behind attention as sources grow (Bahdanau et al. 2015, Fig. 2).
`bottleneck_experiment` trains every arm once per task on sources of mixed lengths
and scores held-out sentences grouped by length. It reads as its steps:
`check_settings` → `plan_jobs` → `run_jobs` (each job: `prepare_task`, `train_arm`,
`score_arm`) → the rows, in task then arm order.
"""

import functools
import sys
import time

from keras_attn import data
from keras_attn import distribute
from keras_attn import evaluation
from keras_attn.experiments.arms import ARMS
from keras_attn.experiments.arms import build_matched
from keras_attn.experiments.arms import get_arm
from keras_attn.experiments.arms import train_model
from keras_attn.experiments.arms import word_tokenizers

TASKS = ("reverse", "ko-en")
REVERSE_LENGTHS = (10, 20, 30, 40, 50, 60)
KO_EN_LENGTH_BINS = ((1, 5), (6, 10), (11, 15), (16, 20), (21, 25), (26, 30))
# Per-task defaults, sized so that the whole experiment takes under 30 minutes on
# 2 CPU cores. ko-en's vocabularies (~1,400 Korean word forms, ~440 English words)
# need a larger budget than reverse's ten symbols for the recurrent part to be of a
# useful size; reverse's long sources make each of its steps the costlier.
PARAMETER_BUDGETS = {"reverse": 100_000, "ko-en": 300_000}
EPOCHS = {"reverse": 5, "ko-en": 6}
# The recurrent arms' gradient norm is clipped at 1, as by Bahdanau et al. (2015, A.2.2):
# over these long mixed-length runs an unclipped RNNsearch was seen to diverge. (In
# short runs clipping slows learning down, so it is not the family's default.)
RECURRENT_GLOBAL_CLIPNORM = 1.0


def bottleneck_experiment(
    tasks=TASKS,
    arms=tuple(ARMS),
    reverse_lengths=REVERSE_LENGTHS,
    ko_en_length_bins=KO_EN_LENGTH_BINS,
    parameter_budget=None,
    train_size=20_000,
    test_size=100,
    epochs=None,
    batch_size=128,
    learning_rate=3e-3,
    embedding_dim=32,
    seed=0,
    processes=1,
    verbose=1,
):
    """Exact match and BLEU against source length, per arm, as in Bahdanau et al. Fig. 2.

    For each task every arm is trained once, on sources of all lengths in range
    (with the same parameter budget, the same data and the same number of steps,
    each by its family's training policy), then scored by greedy decoding on
    `test_size` held-out pairs per length group: every length in `reverse_lengths`
    for `reverse`, every bin of Korean words in `ko_en_length_bins` for `ko-en`.
    Attention arms on `ko-en` also get the alignment error rate of their
    teacher-forced attention.

    `parameter_budget` and `epochs` are an int for every task or a `{task: int}`
    dict; the defaults are `PARAMETER_BUDGETS` and `EPOCHS`. With `processes` > 1
    the (task, arm) trainings run in that many spawned processes, each limited to
    its share of the CPU's threads (a recurrent step's small matmuls gain 0–30%
    from a second thread, so on 2 cores two one-thread processes get through the
    trainings 1.1–1.5 times as fast as one two-thread process).

    Returns:
        A list of dict rows, in task then arm order: task, model, group, length (the
        group's source length, or its bin centre), parameters, train_seconds,
        exact_match, bleu, and aer (ko-en, attention arms, over all groups; `None`
        otherwise).
    """
    check_settings(tasks, arms, processes, reverse_lengths, ko_en_length_bins)
    settings = dict(reverse_lengths=tuple(reverse_lengths), ko_en_length_bins=tuple(map(tuple, ko_en_length_bins)),
                    parameter_budget=parameter_budget, train_size=train_size, test_size=test_size, epochs=epochs,
                    batch_size=batch_size, learning_rate=learning_rate, embedding_dim=embedding_dim, seed=seed,
                    # Progress bars of parallel processes would interleave: they report per job instead.
                    verbose=verbose if processes == 1 else 0)
    jobs = plan_jobs(tasks, arms)
    results = run_jobs(jobs, settings, processes, progress=print_progress if verbose else None)
    return [row for task in tasks for name in arms for row in results[(task, name)]]


# --------------------------------------------------------------------------- #
# The steps
# --------------------------------------------------------------------------- #


def check_settings(tasks, arms, processes, reverse_lengths=REVERSE_LENGTHS, ko_en_length_bins=KO_EN_LENGTH_BINS):
    """Raises `ValueError` for an unknown task or arm or a bad `processes`, before any training."""
    for task in tasks:
        length_groups(task, reverse_lengths, ko_en_length_bins)
    for name in arms:
        get_arm(name)
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise ValueError(f"bottleneck_experiment: processes must be a positive int, got {processes!r}.")


def plan_jobs(tasks, arms):
    """The (task, arm) trainings, longest first: fixed-context arms train fastest, so
    they go last and parallel workers finish together."""
    jobs = [(task, name) for task in tasks for name in arms]
    return sorted(jobs, key=lambda job: not get_arm(job[1]).has_attention)


def run_jobs(jobs, settings, processes=1, progress=None):
    """Runs `run_arm` for every job, in `processes` spawned processes when > 1.

    Args:
        jobs: `(task, arm)` pairs.
        settings: `run_arm`'s keyword arguments.
        processes: worker processes (1: in this process).
        progress: called as `progress(done, total, job, rows, seconds_so_far)` after
            each finished job.

    Returns:
        `{job: rows}`.
    """
    start, results = time.perf_counter(), {}

    def finished(job, rows):
        results[job] = rows
        if progress:
            progress(len(results), len(jobs), job, rows, time.perf_counter() - start)

    distribute.map_in_processes(functools.partial(run_arm, **settings), jobs, processes, finished)
    return results


def print_progress(done, total, job, rows, elapsed):
    """One line per finished training: k of n, its scores and an estimate of the time left."""
    task, name = job
    left = elapsed / done * (total - done)
    scores = " ".join(f"{row['group']}:{row['exact_match']:.2f}" for row in rows)
    print(f"[{done}/{total}] {task} {name}: trained in {rows[0]['train_seconds']:.0f} s; exact match by group "
          f"{scores}; about {left / 60:.0f} min left", file=sys.stderr, flush=True)


def run_arm(task, name, *, reverse_lengths, ko_en_length_bins, parameter_budget, train_size, test_size,
            epochs, batch_size, learning_rate, embedding_dim, seed, verbose):
    """One job: prepares `task`, trains arm `name` and returns its rows of `bottleneck_experiment`.

    `verbose` is `fit`'s.
    """
    prepared = prepare_task(task, reverse_lengths, ko_en_length_bins, train_size, test_size, batch_size, seed)
    model, seconds = train_arm(name, prepared, for_task(parameter_budget, task, PARAMETER_BUDGETS),
                               for_task(epochs, task, EPOCHS), learning_rate, embedding_dim, seed, verbose)
    return score_arm(task, name, model, prepared, seconds)


@functools.lru_cache(maxsize=2)  # a worker that trains several arms of a task prepares its data once
def prepare_task(task, reverse_lengths, ko_en_length_bins, train_size, test_size, batch_size, seed):
    """Training batches, tokenizers, vocabulary sizes and length-grouped test examples of `task`.

    Returns:
        A dict: `batches`, `tokenizers` (source, target), `vocabulary_sizes` and
        `tests`, a list of `(label, length, examples)` per length group.
    """
    groups, train_options = length_groups(task, reverse_lengths, ko_en_length_bins)
    # Materialised once: the longest target sizes the buckets, and the list feeds both
    # the tokenizers and the batches.
    train = [(e.source, e.target) for e in data.generate(task, "train", size=train_size, seed=seed, **train_options)]
    tokenizers = word_tokenizers(train)
    longest = max(len(target.split()) for _, target in train) + 1
    batches = data.make_training_dataset(train, *tokenizers, batch_size=batch_size, max_length=longest, seed=seed)
    tests = [(label, length, list(data.generate(task, "test", size=test_size, seed=seed, **options)))
             for label, length, options in groups]
    return {"batches": batches, "tokenizers": tokenizers,
            "vocabulary_sizes": tuple(t.vocabulary_size() for t in tokenizers), "tests": tests}


def train_arm(name, prepared, parameter_budget, epochs, learning_rate, embedding_dim, seed, verbose=0):
    """Builds arm `name` at `parameter_budget` and trains it on `prepared`; returns `(model, seconds)`.

    The arm's family policy applies, with the experiment's learning rate (or the
    arm's own settings) and, for the recurrent arms, `RECURRENT_GLOBAL_CLIPNORM`.
    """
    arm = get_arm(name)
    model, _ = build_matched(name, prepared["vocabulary_sizes"], parameter_budget, embedding_dim, seed)
    clip = RECURRENT_GLOBAL_CLIPNORM if arm.builder == "seq2seq" else None
    seconds = train_model(model, prepared["batches"], epochs, verbose, **arm.policy_overrides(learning_rate),
                          global_clipnorm=clip)
    return model, seconds


def score_arm(task, name, model, prepared, seconds):
    """Greedy exact match and BLEU per length group (+ AER on ko-en with attention), as rows."""
    tokenizers = prepared["tokenizers"]
    aer = None
    if task == "ko-en" and get_arm(name).has_attention:
        examples = [example for *_, group in prepared["tests"] for example in group]
        aer = evaluation.alignment_error_rate(model, examples, *tokenizers)
    rows = []
    for label, length, examples in prepared["tests"]:
        scores = evaluation.score_model(model, [(e.source, e.target) for e in examples], *tokenizers)
        rows.append({
            "task": task, "model": name, "group": label, "length": length,
            "parameters": model.count_params(), "train_seconds": round(seconds, 1),
            "exact_match": scores["exact_match"], "bleu": round(scores["bleu"], 2),
            "aer": None if aer is None else round(aer, 3),
        })
    return rows


# --------------------------------------------------------------------------- #
# Settings
# --------------------------------------------------------------------------- #


def for_task(value, task, defaults):
    """`value` if it is one int for every task, else its (or the default's) entry for `task`."""
    return value if isinstance(value, int) else {**defaults, **(value or {})}[task]


def length_groups(task, reverse_lengths, ko_en_bins):
    """`(label, plotted length, task options)` per test group, and the training options."""
    if task == "reverse":
        groups = [(str(n), n, dict(min_length=n, max_length=n)) for n in reverse_lengths]
        return groups, dict(min_length=min(reverse_lengths), max_length=max(reverse_lengths))
    if task == "ko-en":
        groups = [(f"{lo}-{hi}", (lo + hi) / 2, dict(min_length=lo, max_length=hi)) for lo, hi in ko_en_bins]
        return groups, dict(min_length=ko_en_bins[0][0], max_length=ko_en_bins[-1][1])
    raise ValueError(f"bottleneck_experiment: unknown task {task!r}; expected one of {TASKS}.")
