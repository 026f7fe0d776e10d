"""`RunDirectory`: the folder of one training run, the source of truth for later commands.

    run.json            the arguments of the run, and whether it finished
    tokenizers/         source/ and target/ (written before training, so a resumed
                        run uses the same vocabularies)
    backup/             the checkpoints (the last two, so a corrupted one falls back
                        to the previous); kept when training ends, so that a
                        finished run can be continued to more epochs
    history.csv         one row per epoch (appended across resumptions)
    logs/               TensorBoard event files (`tensorboard --logdir logs`)
    training_curves.png loss and masked accuracy per epoch
    translator/         the trained `Translator` (`Translator.load`)
"""

import json
import os

import tensorflow as tf

from keras_attn import files
from keras_attn import tokenizers
from keras_attn.runs.errors import RunError

RUN_FILE = "run.json"
TRANSLATOR_DIR = "translator"
BACKUP_DIR = "backup"
HISTORY_FILE = "history.csv"
LOGS_DIR = "logs"
CURVES_FILE = "training_curves.png"


class RunDirectory:
    """One run's folder: its record, its resume check, its tokenizers and its paths.

    Args:
        path: the folder (created by `check_writable`).

    Example:

    >>> run = RunDirectory("runs/ko_en")
    >>> run.read_record()["arguments"]["preset"]
    'tiny_bahdanau'
    """

    def __init__(self, path):
        self.path = os.fspath(path)

    def join(self, *parts):
        return os.path.join(self.path, *parts)

    @property
    def record_path(self):
        return self.join(RUN_FILE)

    @property
    def translator_dir(self):
        return self.join(TRANSLATOR_DIR)

    @property
    def backup_dir(self):
        return self.join(BACKUP_DIR)

    @property
    def logs_dir(self):
        return self.join(LOGS_DIR)

    @property
    def history_path(self):
        return self.join(HISTORY_FILE)

    @property
    def curves_path(self):
        return self.join(CURVES_FILE)

    # The record ------------------------------------------------------------------
    def read_record(self):
        """The run's `run.json` as a dict, or `None` when there is none."""
        if not os.path.exists(self.record_path):
            return None
        try:
            with open(self.record_path, encoding="utf-8") as file:
                return json.load(file)
        except (OSError, json.JSONDecodeError) as error:
            raise RunError(f"{self.record_path}: unreadable run record ({error}); remove the directory or pick "
                           "another.") from error

    def write_record(self, record):
        """Writes `run.json` atomically: a crash leaves the old file or the new one."""
        files.write_text(self.record_path, json.dumps(record, indent=2, ensure_ascii=False) + "\n")

    # Starting or resuming ----------------------------------------------------------
    def check_writable(self):
        """Creates the folder; a `RunError` if it cannot be written."""
        try:
            os.makedirs(self.path, exist_ok=True)
            probe = self.join(".write_test")
            with open(probe, "w"):
                pass
            os.remove(probe)
        except OSError as error:
            raise RunError(f"cannot write there ({error.strerror}).", "output_dir", self.path) from error

    def previous_run(self, arguments, overwrite=False):
        """The record of a run to resume, or `None` to start afresh.

        A run resumes when it is unfinished with the same `arguments`, or finished with
        the same arguments but a larger `epochs` (it continues from its last
        checkpoint). Anything else is a `RunError`, unless `overwrite`; with
        `overwrite`, or when there is nothing to resume, the previous run's
        checkpoints, history, logs and translator are removed.
        """
        previous = self.read_record()
        if previous is not None and not overwrite:
            if previous.get("finished"):
                self.check_extension(previous, arguments)
                return previous
            if previous["arguments"] != arguments:
                changed = sorted(k for k in arguments if previous["arguments"].get(k) != arguments[k])
                raise RunError(f"{self.path} holds an unfinished run with other arguments ({', '.join(changed)}); "
                               "rerun with the same arguments to resume, or pass `overwrite=True`.")
            return previous
        self.remove_outputs()
        return None

    def check_extension(self, previous, arguments):
        """Raises a `RunError` unless `arguments` continue the finished run `previous` to more epochs."""
        done = previous["arguments"].get("epochs")
        others_equal = {**previous["arguments"], "epochs": None} == {**arguments, "epochs": None}
        if not others_equal or not arguments.get("epochs") or arguments["epochs"] <= done:
            raise RunError(f"{self.path} holds a finished run ({done} epochs); pass `overwrite=True` to train again, "
                           "raise `epochs` (with the same other arguments) to continue it, or pick another "
                           "`output_dir`.")
        if not os.path.exists(os.path.join(self.backup_dir, "training_metadata.json")):
            raise RunError(f"{self.path} holds a finished run without its last checkpoint (runs trained before "
                           "checkpoints were kept at the end), so it cannot be continued; pass `overwrite=True` to "
                           "train again.")

    def remove_outputs(self):
        """Removes the checkpoints, the history, the logs and the translator of an earlier run."""
        for stale in (self.backup_dir, self.history_path, self.logs_dir, self.translator_dir):
            if os.path.isdir(stale):
                tf.io.gfile.rmtree(stale)
            elif os.path.exists(stale):
                os.remove(stale)

    # Tokenizers ----------------------------------------------------------------------
    def tokenizer_dirs(self):
        return self.join("tokenizers", "source"), self.join("tokenizers", "target")

    def load_tokenizers(self):
        """`(source, target)` tokenizers saved by `save_tokenizers`, or `None`."""
        source_dir, target_dir = self.tokenizer_dirs()
        if not os.path.exists(os.path.join(target_dir, "tokenizer.json")):
            return None
        return tokenizers.Tokenizer.load(source_dir), tokenizers.Tokenizer.load(target_dir)

    def save_tokenizers(self, source, target):
        for tokenizer, directory in zip((source, target), self.tokenizer_dirs()):
            tokenizer.save(directory)
