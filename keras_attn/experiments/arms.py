"""The arms of a comparison: models brought to one parameter budget, trained by their own policy."""

import dataclasses
import time

import keras
import tensorflow as tf

from keras_attn import data
from keras_attn import models
from keras_attn import tokenizers


@dataclasses.dataclass(frozen=True)
class Arm:
    """One model of a comparison.

    Attributes:
        builder: the name of a builder in `keras_attn.models` ("seq2seq", ...).
        config: its fixed keyword arguments.
        size: maps an integer size `k` to the arguments that grow with it, so that
            arms can be brought to the same parameter budget by searching `k`.
        training: this arm's training-policy settings over its family's (`None`:
            the family's policy at the experiment's learning rate).
    """

    builder: str
    config: dict
    size: callable
    training: dict = None

    def policy_overrides(self, learning_rate):
        """What `train_model` replaces in the family's policy, in an experiment run at `learning_rate`:
        the arm's own `training` settings if it has them, else the experiment's rate."""
        return dict(self.training) if self.training else {"learning_rate": learning_rate}

    @property
    def has_attention(self):
        return self.config.get("attention", "attention") is not None

    def build(self, source_vocab_size, target_vocab_size, k, name=None, **overrides):
        """The arm's model at size `k` (`overrides` replace config entries)."""
        builder = getattr(models, self.builder)
        return builder(source_vocab_size, target_vocab_size, name=name or self.builder,
                       **self.config, **self.size(k), **overrides)


def rnn_units(k):
    """An RNN arm's size: `units = k`."""
    return {"units": k}


def transformer_width(k):
    """A Transformer arm's size: 4 heads of size `k`, `d_ff = 2 d_model`."""
    return {"d_model": 4 * k, "d_ff": 8 * k}


# The arms of the comparison. The RNNs share the cell, the embedding and the
# bidirectional encoder of RNNsearch (whose backward half tells every position its
# distance from the end); they differ only in attention. The Transformer keeps
# nothing but attention; its encoder counts positions from both ends, which gives it
# what the RNNs' backward half gives (counting from the start only, it needed more
# than 5 times the steps to learn mixed-length `reverse`: docs/experiments/bottleneck.md).
# It trains by its family's warm-up schedule, sized for runs of about a thousand
# steps (warm-up 400, peak 2e-3 at d_model 48), pre-norm, which learnt `reverse` in
# 4–5 epochs where the paper's post-norm had not in 6.
ARMS = {
    "fixed_context": Arm("seq2seq", dict(cell="gru", attention=None, bidirectional=True), rnn_units),
    "bahdanau": Arm("seq2seq", dict(cell="gru", attention="bahdanau", bidirectional=True), rnn_units),
    "luong": Arm("seq2seq", dict(cell="gru", attention="luong", luong_score="general", bidirectional=True),
                 rnn_units),
    "transformer": Arm("transformer", dict(num_layers=2, num_heads=4, dropout=0.0, norm_first=True,
                                           source_positions="both_ends"),
                       transformer_width, training=dict(warmup_steps=400, schedule_scale=0.28)),
}


def get_arm(name):
    """`ARMS[name]`, or a `ValueError` naming the known arms."""
    if name not in ARMS:
        raise ValueError(f"Unknown experiment arm {name!r}; expected one of {sorted(ARMS)}.")
    return ARMS[name]


def match_parameter_budget(arm, budget, source_vocab_size, target_vocab_size, **overrides):
    """The size `k` of `arm` (an `Arm` or its name) whose parameter count is closest to `budget`.

    Parameter counts grow monotonically with `k`: doubling `k` brackets the budget,
    then a bisection finds it, with a handful of (small) model builds.
    """
    arm = get_arm(arm) if isinstance(arm, str) else arm

    def count(k):
        return arm.build(source_vocab_size, target_vocab_size, k, **overrides).count_params()

    low, high = 1, 2
    while count(high) <= budget:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if count(middle) <= budget else (low, middle)
    return min((low, high), key=lambda k: abs(count(k) - budget))


def build_matched(name, vocabulary_sizes, parameter_budget, embedding_dim, seed):
    """Arm `name` at the size matching `parameter_budget`, seeded; returns `(model, size)`.

    `embedding_dim` applies to the recurrent arms (a Transformer's embedding is its
    `d_model`).
    """
    arm = get_arm(name)
    overrides = {"embedding_dim": embedding_dim} if arm.builder == "seq2seq" else {}
    size = match_parameter_budget(arm, parameter_budget, *vocabulary_sizes, **overrides)
    keras.utils.set_random_seed(seed)
    return arm.build(*vocabulary_sizes, size, name=name, **overrides), size


def train_model(model, batches, epochs, verbose, **policy_overrides):
    """Compiles `model` by its family's training policy and fits it; returns the seconds.

    `policy_overrides` replace policy settings (`learning_rate`, `global_clipnorm`,
    ...); anything not given is the family's, exactly as `keras-attn train` has it.
    """
    model.compile(**model.default_compile_kwargs(**policy_overrides))
    batches = data.with_known_cardinality(batches)  # steps per epoch known: no "ran out of data"
    start = time.perf_counter()
    model.fit(batches, epochs=epochs, verbose=verbose, shuffle=False)  # the pipeline shuffles
    return time.perf_counter() - start


def word_tokenizers(pairs):
    """Word tokenizers of the sources and of the targets, from a pairs Dataset or list."""
    if isinstance(pairs, tf.data.Dataset):
        sides = pairs.map(lambda s, t: s), pairs.map(lambda s, t: t)
    else:
        sides = [s for s, _ in pairs], [t for _, t in pairs]
    return tuple(tokenizers.WordTokenizer.from_corpus(side) for side in sides)
