"""`GenerativeModel`: what every generating family states (decoding contract, training defaults)."""

import keras
from keras import ops

from keras_attn import decoding
from keras_attn.models.training_policy import TrainingPolicy

# Decoding's default budget beyond the input length (the paper's "input length + 50").
EXTRA_LENGTH = 50


class GenerativeModel:
    """The base of the families that generate tokens: `Seq2Seq`, `Transformer`, `TransformerDecoderLM`.

    A mixin placed before `keras.Model` in a functional model class. It states the
    one-step decoding contract that `keras_attn.decoding` consumes (and imports no
    model for), and the family's training defaults, in the way keras-hub tasks and
    OpenNMT-tf's `auto_config` do.

    The decoding contract (each family implements the first two):

    - `initial_state(inputs, max_length=None)`: encodes `inputs [B, T]` once and
      returns a nested state whose leaves all have the batch first, able to hold
      `max_length` generated tokens (e.g. a key/value cache of that size).
    - `step(token_ids [B], state, index)` → `(logits [B, V] float32, state,
      attention [B, Ts] float32 or None)`.
    - `default_max_length(inputs)`: the generated length when none is asked for.
    - `has_attention`: whether `step`'s attention means something (a fixed-context
      model returns zeros, a language model `None`).
    - `max_decode_length`, `max_source_length`: caps a model may put on the
      generated and input lengths (`None`: no cap), honoured by `Translator`.

    Training defaults: the class attribute `training_policy` (a `TrainingPolicy`).
    `compile()` without arguments applies it; `default_compile_kwargs(**overrides)`
    gives its `compile` arguments with some settings replaced. A `"auto"` argument of
    `compile` takes the policy's value, so `compile(optimizer="sgd")` keeps the
    masked loss, the masked accuracy and the policy's XLA choice.

    Generation: `generate(inputs, ...)` runs greedy, beam or sampled decoding in a
    `tf.function` traced once per shape signature, and returns the result dict of
    `keras_attn.decoding` (`tokens`, `lengths`, `log_probs`, `scores`, `attention`).

    Example:

    >>> from keras_attn import models
    >>> model = models.seq2seq(100, 120, units=32)
    >>> model.compile()  # Adam(3e-3), masked loss and accuracy, XLA where it wins
    >>> model.generate([[5, 6, 2]], max_length=8)["tokens"].shape
    TensorShape([1, 8])
    """

    training_policy = TrainingPolicy()
    max_decode_length = None
    max_source_length = None

    @property
    def has_attention(self):
        return True

    def initial_state(self, inputs, max_length=None):
        raise NotImplementedError(f"{type(self).__name__} does not implement initial_state.")

    def step(self, token_ids, state, index):
        raise NotImplementedError(f"{type(self).__name__} does not implement step.")

    def default_max_length(self, inputs):
        """Input length + 50 (a Python int when the length is static)."""
        return ops.shape(inputs)[1] + EXTRA_LENGTH

    # Training defaults ----------------------------------------------------------------
    def default_compile_kwargs(self, **overrides):
        """`compile` arguments of this family's `training_policy`, with `overrides` applied.

        Args:
            **overrides: `TrainingPolicy` fields (`learning_rate`, `warmup_steps`,
                `label_smoothing`, `global_clipnorm`, ...); `None` keeps the default.

        Returns:
            A dict with `optimizer`, `loss`, `metrics` and `jit_compile`.
        """
        return self.training_policy.replace(**overrides).compile_kwargs(getattr(self, "d_model", None))

    def compile(self, optimizer="auto", loss="auto", metrics="auto", jit_compile="auto", **kwargs):
        """`keras.Model.compile`, where each `"auto"` argument takes the family's default."""
        if loss != "auto" and metrics == "auto":
            metrics = None  # the masked accuracy belongs with the masked loss
        arguments = {"optimizer": optimizer, "loss": loss, "metrics": metrics, "jit_compile": jit_compile}
        automatic = [key for key, value in arguments.items() if isinstance(value, str) and value == "auto"]
        if automatic:
            defaults = self.default_compile_kwargs()
            arguments.update({key: defaults[key] for key in automatic})
        super().compile(**arguments, **kwargs)

    def compile_from_config(self, config):
        """Compiles from a saved `get_compile_config()` (Keras skips this for a custom `compile`)."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)  # for the saved optimizer state to load into

    # Generation ---------------------------------------------------------------------
    def generate(self, inputs, max_length=None, strategy="greedy", beam_size=4, length_penalty=0.6,
                 temperature=1.0, top_k=None, seed=None, **state_options):
        """Generates tokens for `inputs`: `keras_attn.decoding.generate(self, ...)`.

        Args:
            inputs: int ids `[B, T]` (the source; a language model's prompt).
            max_length: generated tokens at most, end token included (default:
                `default_max_length(inputs)`).
            strategy: `"greedy"`, `"beam"` or `"sample"`.
            beam_size, length_penalty: for beam search.
            temperature, top_k, seed: for sampling.
            **state_options: more arguments of `initial_state` (e.g. `use_cache`).

        Returns:
            A dict: `tokens` int32 `[B, T]` (without the start token, ending with the
            end token, 0-padded), `lengths` `[B]`, `log_probs` `[B]`, `scores` `[B]`
            and `attention` float32 `[B, T, Ts]`.
        """
        return decoding.generate(self, inputs, max_length=max_length, strategy=strategy, beam_size=beam_size,
                                 length_penalty=length_penalty, temperature=temperature, top_k=top_k, seed=seed,
                                 **state_options)
