"""Learning-rate schedules."""

import keras
from keras import ops

from keras_attn.layers import checks


@keras.saving.register_keras_serializable(package="keras_attn")
class TransformerSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """The warm-up schedule of Vaswani et al. 2017, eq. 3.

        lrate = scale · d_model^-0.5 · min(step^-0.5, step · warmup_steps^-1.5)

    The rate grows linearly for `warmup_steps` steps, then decays with the inverse
    square root of the step; its peak, at `step = warmup_steps`, is
    `scale · (d_model · warmup_steps)^-0.5` (7e-4 for the base model). Keras counts
    optimizer steps from 0 and the paper from 1, so step 0 is given the rate of
    step 1 rather than 0 (a zero first update would waste a step).

    Args:
        d_model: the model size.
        warmup_steps: linear warm-up length (4000 in the paper).
        scale: a factor on the whole curve (1.0 in the paper; tiny models trained
            for a few hundred steps like 2–5).

    Example:

    >>> schedule = TransformerSchedule(d_model=512, warmup_steps=4000)
    >>> round(float(schedule(4000)), 7)
    0.0006988
    """

    def __init__(self, d_model, warmup_steps=4000, scale=1.0):
        for argument, value in (("d_model", d_model), ("warmup_steps", warmup_steps)):
            checks.check_positive_int("TransformerSchedule", argument, value)
        checks.check_argument("TransformerSchedule", "scale", scale,
                              isinstance(scale, (int, float)) and scale > 0, "a positive number")
        self.d_model = d_model
        self.warmup_steps = warmup_steps
        self.scale = scale

    def __call__(self, step):
        step = ops.maximum(ops.cast(step, "float32"), 1.0)
        rate = ops.minimum(ops.power(step, -0.5), step * float(self.warmup_steps) ** -1.5)
        return self.scale * float(self.d_model) ** -0.5 * rate

    def get_config(self):
        return {"d_model": self.d_model, "warmup_steps": self.warmup_steps, "scale": self.scale}


def transformer_optimizer(d_model, warmup_steps=4000, scale=1.0):
    """Adam(β1=0.9, β2=0.98, ε=1e-9) with `TransformerSchedule` (Vaswani et al. 2017, §5.3)."""
    return keras.optimizers.Adam(
        learning_rate=TransformerSchedule(d_model, warmup_steps, scale), beta_1=0.9, beta_2=0.98, epsilon=1e-9
    )

