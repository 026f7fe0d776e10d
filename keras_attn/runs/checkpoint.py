"""`ResilientBackupAndRestore`: the one adapter over Keras' checkpoint internals.

Keras' `BackupAndRestore` falls back to its previous checkpoint only on an
`OSError` (a truncated or empty weights file), and silently; a weights file damaged
inside (h5py raises `ValueError` or `RuntimeError`) or a truncated
`training_metadata.json` (a kill while writing it) stopped the run. The subclass
below survives any damaged checkpoint, and says so.

It is the only code of the project that touches private members of a Keras class
(`_load_model`, `_save_model`, `_current_epoch`, the `_*_path` attributes, the
model's `_initial_epoch`); `KERAS_VERSION` names the Keras release they were read
from, and a test checks that they still exist.
"""

import os
import sys

import keras
import tensorflow as tf

from keras_attn.runs.errors import RunError

KERAS_VERSION = "3.15.1"
# What h5py and json raise on a damaged file (which one depends on where the damage is).
UNREADABLE = (OSError, ValueError, KeyError, RuntimeError)


class ResilientBackupAndRestore(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` that survives any damaged checkpoint.

    Any unreadable checkpoint is reported on stderr in one line and the previous
    one is used; if that is unreadable too, the run stops with a `RunError` naming
    the folder. Takes `BackupAndRestore`'s arguments.
    """

    def on_train_begin(self, logs=None):
        try:
            self._load_model()
            return
        except UNREADABLE as error:
            damaged = error
        if not os.path.exists(self._prev_weights_path):
            raise RunError(f"{self.backup_dir}: the checkpoint is unreadable ({_reason(damaged)}) and there is no "
                           "previous one; remove that folder to restart the run from scratch.") from damaged
        print(f"keras-attn: the checkpoint in {self.backup_dir} is unreadable ({_reason(damaged)}); resuming from "
              "the previous checkpoint.", file=sys.stderr)
        for previous, latest in ((self._prev_weights_path, self._weights_path),
                                 (self._prev_training_metadata_path, self._training_metadata_path)):
            if os.path.exists(previous):
                tf.io.gfile.copy(previous, latest, overwrite=True)
            elif os.path.exists(latest):
                os.remove(latest)
        try:
            self._load_model()
        except UNREADABLE as error:
            raise RunError(f"{self.backup_dir}: both checkpoints are unreadable ({_reason(error)}); remove that "
                           "folder to restart the run from scratch.") from error

    # Public names for what the tests and tools need of the internals.
    def save_checkpoint(self, epoch):
        """Writes a checkpoint as at the end of `epoch` (what `fit` does each epoch)."""
        self._current_epoch = epoch
        self._save_model()

    def restore(self):
        """Restores the newest readable checkpoint into the model; returns the epoch to resume at."""
        self.model._initial_epoch = 0
        self.on_train_begin()
        return self.model._initial_epoch


def _reason(error):
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
