"""The loss and the accuracy of teacher-forced training on padded batches."""

import keras
from keras import ops

from keras_attn.layers import checks


@keras.saving.register_keras_serializable(package="keras_attn")
class MaskedSparseCrossentropy(keras.losses.Loss):
    """Token-level cross-entropy from logits that ignores padding, with label smoothing.

    With smoothing ε the target distribution is (1 − ε) on the reference token plus
    ε spread uniformly over the vocabulary (Szegedy et al. 2016; Vaswani et al. 2017,
    §5.4 use ε = 0.1):

        loss = (1 − ε) · (−log p(y)) + ε · mean_v(−log p(v))

    averaged over the non-padding target tokens of the batch (not over sentences, so
    long and short sentences weigh per token).

    Args:
        label_smoothing: ε in [0, 1).
        pad_id: the target id that is ignored.
        name: the loss's name.
    """

    def __init__(self, label_smoothing=0.0, pad_id=0, name="masked_sparse_crossentropy", **kwargs):
        checks.check_argument(
            "MaskedSparseCrossentropy", "label_smoothing", label_smoothing, 0.0 <= label_smoothing < 1.0,
            "a float in [0, 1)",
        )
        # The token mean is formed in `call`, so the reduction only sums.
        kwargs["reduction"] = "sum"
        super().__init__(name=name, **kwargs)
        self.label_smoothing = label_smoothing
        self.pad_id = pad_id

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        loss = -ops.squeeze(ops.take_along_axis(log_probs, ops.expand_dims(y_true, -1), axis=-1), -1)
        if self.label_smoothing:
            loss = (1.0 - self.label_smoothing) * loss - self.label_smoothing * ops.mean(log_probs, axis=-1)
        mask = ops.cast(ops.not_equal(y_true, self.pad_id), "float32")
        return loss * mask / ops.maximum(_global_batch_sum(ops.sum(mask)), 1.0)

    def get_config(self):
        config = super().get_config()
        config.pop("reduction", None)
        config.update({"label_smoothing": self.label_smoothing, "pad_id": self.pad_id})
        return config


def _global_batch_sum(value):
    """`value` summed over the replicas of a `tf.distribute` step (as is, outside one).

    Each replica sees a share of the global batch and Keras sums the replicas'
    losses and gradients, so the token mean must divide by the global token count
    for training (and the logged loss) to equal one device's.
    """
    if keras.backend.backend() != "tensorflow":
        return value
    import tensorflow as tf

    replica = tf.distribute.get_replica_context()
    if replica is None or replica.num_replicas_in_sync == 1:
        return value
    return replica.all_reduce(tf.distribute.ReduceOp.SUM, value)


@keras.saving.register_keras_serializable(package="keras_attn")
class MaskedAccuracy(keras.metrics.Metric):
    """Fraction of non-padding target tokens whose argmax prediction is right.

    Counts are accumulated over the epoch, so batches with more tokens weigh more.
    """

    def __init__(self, pad_id=0, name="masked_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.pad_id = pad_id
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        mask = ops.not_equal(y_true, self.pad_id)
        hits = ops.logical_and(ops.equal(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), y_true), mask)
        self.correct.assign_add(ops.sum(ops.cast(hits, "float32")))
        self.total.assign_add(ops.sum(ops.cast(mask, "float32")))

    def result(self):
        return self.correct / ops.maximum(self.total, 1.0)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "pad_id": self.pad_id}
