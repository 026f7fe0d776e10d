"""`TrainingPolicy`: how a model family trains unless the caller says otherwise.

Each generating family states its policy once, as the `training_policy` class
attribute of its model class (`Seq2Seq`, `Transformer`, `TransformerDecoderLM`), and
every caller (the runner, the experiments, the examples, the benchmarks, the tests)
gets it from the model: `model.compile()` with no arguments, or
`model.compile(**model.default_compile_kwargs(learning_rate=1e-3))` to change one
setting. Optimizer, schedule, label smoothing, clipping and XLA live here and
nowhere else.
"""

import dataclasses

import keras

from keras_attn.layers import checks
from keras_attn.models.losses import MaskedAccuracy
from keras_attn.models.losses import MaskedSparseCrossentropy
from keras_attn.models.schedules import TransformerSchedule


@dataclasses.dataclass(frozen=True)
class TrainingPolicy:
    """A family's training defaults: Adam, its learning rate or schedule, smoothing, clipping, XLA.

    Attributes:
        learning_rate: Adam's fixed learning rate, or `None` for the warm-up
            schedule of Vaswani et al. 2017, eq. 3 (`TransformerSchedule`, which
            needs the model's `d_model`).
        warmup_steps: the schedule's warm-up steps.
        schedule_scale: a factor on the schedule's curve.
        beta_1, beta_2, epsilon: Adam's.
        label_smoothing: ε of `MaskedSparseCrossentropy`.
        global_clipnorm: clip the global gradient norm at this value (`None`: no clip).
        xla_on_cpu: compile the TensorFlow training step with XLA on a CPU-only machine.
        xla_on_accelerator: compile it with XLA where a GPU or TPU is present.

    Example:

    >>> policy = TrainingPolicy(learning_rate=None, beta_2=0.98, epsilon=1e-9, label_smoothing=0.1)
    >>> policy.replace(learning_rate=1e-3).learning_rate
    0.001
    """

    learning_rate: float = 3e-3
    warmup_steps: int = 4000
    schedule_scale: float = 1.0
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    label_smoothing: float = 0.0
    global_clipnorm: float = None
    xla_on_cpu: bool = False
    xla_on_accelerator: bool = True

    def replace(self, **overrides):
        """This policy with `overrides` applied; a `None` override keeps the default.

        Raises:
            ValueError: for a name that is not a policy field.
        """
        fields = {field.name for field in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ValueError(f"TrainingPolicy: unknown setting(s) {unknown}; expected some of {sorted(fields)}.")
        return dataclasses.replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def optimizer(self, d_model=None):
        """A new Adam optimizer as this policy says (schedules need `d_model`)."""
        learning_rate = self.learning_rate
        if learning_rate is None:
            checks.check_argument("TrainingPolicy.optimizer", "d_model", d_model,
                                  isinstance(d_model, int) and d_model > 0,
                                  "the model's size, for the warm-up schedule")
            learning_rate = TransformerSchedule(d_model, self.warmup_steps, self.schedule_scale)
        return keras.optimizers.Adam(learning_rate, beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
                                     global_clipnorm=self.global_clipnorm)

    def use_xla(self):
        """Whether `fit` should compile with XLA here.

        TensorFlow: as measured per family and device (docs/performance.md) and never
        under a `tf.distribute` strategy (a mirrored XLA step cannot reach variables
        on several devices). JAX always compiles; torch's `jit_compile` means
        `torch.compile`, which is not what this policy decides, so it stays off.
        """
        backend = keras.backend.backend()
        if backend == "jax":
            return True
        if backend != "tensorflow":
            return False
        import tensorflow as tf  # only on the TensorFlow backend

        if tf.distribute.has_strategy():
            return False
        accelerator = bool(tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"))
        return self.xla_on_accelerator if accelerator else self.xla_on_cpu

    def compile_kwargs(self, d_model=None):
        """`keras.Model.compile` arguments: optimizer, masked loss and accuracy, jit_compile."""
        return {
            "optimizer": self.optimizer(d_model),
            "loss": MaskedSparseCrossentropy(self.label_smoothing),
            "metrics": [MaskedAccuracy()],
            "jit_compile": self.use_xla(),
        }


def compile_for_translation(model, optimizer="adam", label_smoothing=0.0, jit_compile="auto", **kwargs):
    """Compiles a teacher-forced model with the masked loss and masked accuracy.

    For a keras_attn model, `model.compile()` applies its family's whole policy;
    this function serves any model with logits `[B, T, V]` and 0-padded targets.

    Args:
        model: a model whose outputs are logits `[B, T, V]`.
        optimizer: a Keras optimizer or its name.
        label_smoothing: ε of `MaskedSparseCrossentropy`.
        jit_compile: as in `keras.Model.compile` (a keras_attn model resolves
            `"auto"` by its `training_policy`).
        **kwargs: other `compile` arguments.

    Returns:
        The model, compiled.
    """
    model.compile(optimizer=optimizer, loss=MaskedSparseCrossentropy(label_smoothing), metrics=[MaskedAccuracy()],
                  jit_compile=jit_compile, **kwargs)
    return model


def compile_transformer(model, warmup_steps=4000, scale=1.0, label_smoothing=0.1, jit_compile="auto", **kwargs):
    """Compiles a Transformer-family model as in Vaswani et al. 2017, §5.3–5.4.

    Adam(0.9, 0.98, 1e-9) with the warm-up schedule of the model's `d_model`, label
    smoothing ε = 0.1, and the masked loss and accuracy (the `Transformer` family's
    `training_policy` with these settings replaced).

    Args:
        model: a Transformer-family model (it has `d_model` and `training_policy`).
        warmup_steps: warm-up steps of the schedule (4000 in the paper).
        scale: factor on the learning-rate curve.
        label_smoothing: ε of `MaskedSparseCrossentropy`.
        jit_compile: as in `compile_for_translation`.
        **kwargs: other `compile` arguments.

    Returns:
        The model, compiled.
    """
    compile_kwargs = model.default_compile_kwargs(warmup_steps=warmup_steps, schedule_scale=scale,
                                                  label_smoothing=label_smoothing)
    if jit_compile != "auto":
        compile_kwargs["jit_compile"] = jit_compile
    model.compile(**compile_kwargs, **kwargs)
    return model
