"""Arms trained and scored on one fixed source length (`compare_on_task`)."""

from keras_attn import data
from keras_attn import evaluation
from keras_attn.experiments.arms import ARMS
from keras_attn.experiments.arms import build_matched
from keras_attn.experiments.arms import train_model
from keras_attn.experiments.arms import word_tokenizers


def compare_on_task(
    task="reverse",
    length=24,
    arms=tuple(ARMS),
    parameter_budget=60_000,
    train_size=20_000,
    test_size=500,
    epochs=3,
    batch_size=128,
    learning_rate=3e-3,
    embedding_dim=32,
    seed=0,
    verbose=1,
    **task_options,
):
    """Trains each arm on `task` with sources of exactly `length` symbols.

    Every arm gets the same data, parameter budget and epochs, and its family's
    training policy with `learning_rate` (or the arm's own).

    Returns:
        One dict row per arm: model, size, parameters, train_seconds, and the
        held-out greedy exact_match and bleu.
    """
    options = dict(min_length=length, max_length=length, **task_options)
    train = data.load(task, "train", size=train_size, seed=seed, **options)
    test = data.load(task, "test", size=test_size, seed=seed, **options)
    tokenizers = word_tokenizers(train)
    batches = data.make_dataset(
        train, *tokenizers, batch_size=batch_size, shuffle=True, seed=seed, bucket_boundaries=None, cache=True,
    )
    vocabulary_sizes = tuple(t.vocabulary_size() for t in tokenizers)
    rows = []
    for name in arms:
        model, size = build_matched(name, vocabulary_sizes, parameter_budget, embedding_dim, seed)
        seconds = train_model(model, batches, epochs, verbose, **ARMS[name].policy_overrides(learning_rate))
        scores = evaluation.score_model(model, test, *tokenizers, max_length=length * 2 + 2)
        rows.append(
            {"model": name, "size": size, "parameters": model.count_params(), "train_seconds": round(seconds, 1),
             "exact_match": scores["exact_match"], "bleu": round(scores["bleu"], 2)}
        )
        if verbose:
            print(f"{name}: exact match {rows[-1]['exact_match']:.3f}, BLEU {rows[-1]['bleu']:.1f}, "
                  f"{rows[-1]['train_seconds']} s", flush=True)
    return rows
