"""`train`'s steps on their own, and the training policy it shares with the experiments."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_attn import cli
from keras_attn import export
from keras_attn import models
from keras_attn import runs
from keras_attn import tokenizers
from keras_attn.experiments import arms
from keras_attn.runs import Corpus
from keras_attn.runs import RunDirectory
from keras_attn.runs import RunError
from keras_attn.runs import trainer
from keras_attn.translator import Translator

PAIRS = [("나는 밥을 먹었다", "i ate rice"), ("그녀는 말을 탔어", "she rode a horse")] * 8


def _tokenizers():
    return (tokenizers.WordTokenizer.from_corpus([s for s, _ in PAIRS]),
            tokenizers.WordTokenizer.from_corpus([t for _, t in PAIRS]))


def _compiled_state(model):
    """What compiling decided: optimizer, loss and metrics configs, and XLA."""
    config = model.get_compile_config()
    config["optimizer"]["config"].pop("name")  # "adam", "adam_1", ...: unique per process
    return json.dumps(config, sort_keys=True, default=str), model.jit_compile


@pytest.mark.parametrize("preset", ["tiny_transformer", "tiny_bahdanau"])
def test_the_runner_and_the_experiments_compile_a_model_identically(preset):
    source, target = _tokenizers()
    strategy = tf.distribute.get_strategy()
    by_runner = trainer.build_model(preset, source, target, strategy, seed=0)
    by_experiment = models.from_preset(preset, source.vocabulary_size(), target.vocabulary_size())
    batches = tf.data.Dataset.from_tensors(
        ({"source": np.array([[4, 5, 2]], "int32"), "target_in": np.array([[1, 4, 5]], "int32")},
         np.array([[4, 5, 2]], "int32")))
    arms.train_model(by_experiment, batches, 1, 0)
    assert _compiled_state(by_runner) == _compiled_state(by_experiment)
    # A caller's override is the only way they differ.
    overridden = trainer.build_model(preset, source, target, strategy, seed=0, learning_rate=1e-2)
    assert _compiled_state(overridden) != _compiled_state(by_runner)
    assert float(keras.ops.convert_to_numpy(overridden.optimizer.learning_rate)) == pytest.approx(1e-2)


def test_transformers_train_without_xla_on_a_cpu_and_recurrent_models_with_it():
    source, target = _tokenizers()
    strategy = tf.distribute.get_strategy()
    assert not trainer.build_model("tiny_transformer", source, target, strategy, 0).jit_compile
    assert trainer.build_model("tiny_bahdanau", source, target, strategy, 0).jit_compile
    # Never under a strategy: a mirrored XLA step cannot reach variables on several devices.
    one_device = tf.distribute.OneDeviceStrategy("/cpu:0")
    assert not trainer.build_model("tiny_bahdanau", source, target, one_device, 0).jit_compile


def test_check_arguments_names_what_is_valid():
    with pytest.raises(RunError, match=r"preset='tiny_bert_like': not a translation preset; expected one of \["):
        trainer.check_arguments("tiny_bert_like", "word", {})
    with pytest.raises(RunError, match="tokenizer='bpe': expected one of"):
        trainer.check_arguments("tiny_bahdanau", "bpe", {})
    with pytest.raises(RunError, match="takes no argument unit, untis; valid preset arguments: .*units"):
        trainer.check_arguments("tiny_bahdanau", "word", {"unit": 3, "untis": 4})
    trainer.check_arguments("tiny_transformer", "subword", {"d_model": 16, "dropout": 0.0})


def test_resolve_strategy_records_the_distribution():
    strategy, record = trainer.resolve_strategy(None, 8)
    assert record == {"strategy": "default", "replicas": 1, "per_replica_batch_size": 8}
    with pytest.raises(RunError, match="strategy='nope': expected one of"):
        trainer.resolve_strategy("nope", 8)


def test_prepare_tokenizers_learns_saves_and_reuses(tmp_path):
    run = RunDirectory(tmp_path / "run")
    run.check_writable()
    pairs = tf.data.Dataset.from_tensor_slices(([s for s, _ in PAIRS], [t for _, t in PAIRS]))
    source, target = trainer.prepare_tokenizers(run, pairs, "word", resume=False)
    assert os.path.isfile(os.path.join(run.tokenizer_dirs()[1], "tokenizer.json"))
    other = tf.data.Dataset.from_tensor_slices((["가"], ["z"]))
    resumed = trainer.prepare_tokenizers(run, other, "word", resume=True)  # the saved ones, not new ones
    assert [t.vocabulary_size() for t in resumed] == [source.vocabulary_size(), target.vocabulary_size()]


def test_make_datasets_count_their_batches_and_validate_when_the_corpus_has_pairs_for_it():
    source, target = _tokenizers()
    pairs = tf.data.Dataset.from_tensor_slices(([s for s, _ in PAIRS], [t for _, t in PAIRS]))
    held_out_files = Corpus(tsv="corpus.tsv", test_tsv="test.tsv")  # no validation file: no validation
    batches, validation = trainer.make_datasets(held_out_files, pairs, source, target, 10, 4, 16, 0)
    assert validation is None
    assert batches.cardinality() == 4  # known: Keras shows "k/4", and no epoch "runs out of data"
    inputs, targets = next(iter(batches))
    assert set(inputs) == {"source", "target_in"} and targets.shape[0] == 4
    _, validation = trainer.make_datasets(Corpus(dataset="ko-en"), pairs, source, target, 8, 4, 16, 0)
    assert validation is not None and validation.cardinality() >= 2


# A Transformer small enough to train in seconds without XLA.
TINY = dict(preset="tiny_transformer", dataset="reverse", train_size=64, batch_size=16, max_length=16, verbose=0,
            d_model=8, d_ff=16, num_layers=1, num_heads=2)


def _history_epochs(output):
    with open(os.path.join(output, "history.csv"), encoding="utf-8") as file:
        return [line.split(",")[0] for line in file.read().split()[1:]]


def test_a_finished_run_continues_to_more_epochs_and_nothing_else(tmp_path, recwarn):
    output = str(tmp_path / "run")
    trainer.train(output, epochs=1, validation_size=16, **TINY)
    # The datasets' sizes are known: no "Your input ran out of data" at the end of an epoch.
    assert not [w for w in recwarn if "ran out of data" in str(w.message)]
    record = RunDirectory(output).read_record()
    assert record["finished"] and record["train_seconds"] > 0 and record["arguments"]["train_size"] == 64
    assert os.path.isfile(os.path.join(output, "training_curves.png"))
    events = [name for folder in ("train", "validation") for name in os.listdir(os.path.join(output, "logs", folder))]
    assert len(events) == 2 and all(name.startswith("events.out.tfevents") for name in events)  # TensorBoard
    with pytest.raises(RunError, match=r"holds a finished run \(1 epochs\); pass `overwrite=True` .* raise `epochs`"):
        trainer.train(output, epochs=1, validation_size=16, **TINY)
    with pytest.raises(RunError, match="holds a finished run"):
        trainer.train(output, epochs=2, validation_size=16, learning_rate=0.5, **TINY)  # another setting too
    translator = trainer.train(output, epochs=2, validation_size=16, **TINY)
    assert _history_epochs(output) == ["0", "1"]  # epoch 0 was not trained again
    assert RunDirectory(output).read_record()["arguments"]["epochs"] == 2 and translator.translate([""]) == [""]


def test_early_stopping_keeps_the_best_epochs_weights(tmp_path):
    """Epoch 2 starts from wrecked weights, so its validation loss is worse: training stops
    there (patience 1) and the run keeps epoch 1's weights."""
    kept = {}

    class WreckEpochTwo(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                kept["weights"] = [w.copy() for w in self.model.get_weights()]

        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.set_weights([w + np.float32(3.0) for w in self.model.get_weights()])

    output = str(tmp_path / "run")
    translator = trainer.train(output, epochs=5, validation_size=16, early_stopping=1, learning_rate=1e-6,
                               callbacks=[WreckEpochTwo()], **TINY)
    assert _history_epochs(output) == ["0", "1"]
    stopping = RunDirectory(output).read_record()["early_stopping"]
    assert stopping["monitor"] == "val_loss" and stopping["best_epoch"] == 1 and stopping["stopped_epoch"] == 2
    for weight, best in zip(translator.model.get_weights(), kept["weights"]):
        np.testing.assert_array_equal(weight, best)
    with pytest.raises(RunError, match="early_stopping=2: early stopping watches the validation pairs"):
        trainer.train(str(tmp_path / "none"), epochs=2, validation_size=0, early_stopping=2, **TINY)
    assert not os.path.exists(tmp_path / "none")


def test_mixed_precision_trains_and_leaves_the_global_policy_alone(tmp_path):
    translator = trainer.train(str(tmp_path / "run"), epochs=1, validation_size=0, mixed_precision="bfloat16",
                               **TINY)
    assert translator.model.dtype_policy.name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == "float32"
    assert all(w.dtype == "float32" for w in translator.model.weights)  # float32 weights, bfloat16 compute
    assert np.isfinite(RunDirectory(tmp_path / "run").read_record()["train_seconds"])
    saved_model = export.export(translator, str(tmp_path / "saved_models"), "mixed")  # serves float32 outputs
    served = tf.saved_model.load(saved_model).signatures["serving_default"](text=tf.constant(["1 2 3"]))
    assert served["translation"].numpy()[0].decode() == translator.translate(["1 2 3"])[0]
    assert served["attention"].dtype == tf.float32
    with pytest.raises(RunError, match="mixed_precision='int8': expected one of"):
        trainer.train(str(tmp_path / "bad"), mixed_precision="int8", **TINY)


@pytest.mark.fault
def test_an_interrupt_while_the_translator_is_written_loses_no_epoch(tmp_path, monkeypatch, capsys):
    """Ctrl-C after `fit`, while translator/ is written: the checkpoints survive, so the
    rerun trains nothing again and finishes the run (issue 19: it used to start over)."""
    output = str(tmp_path / "run")
    save = Translator.save

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Translator, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        trainer.train(output, epochs=2, validation_size=0, **TINY)
    assert not RunDirectory(output).read_record()["finished"] and _history_epochs(output) == ["0", "1"]
    monkeypatch.setattr(Translator, "save", save)
    trainer.train(output, epochs=2, validation_size=0, **TINY)
    assert RunDirectory(output).read_record()["finished"] and _history_epochs(output) == ["0", "1"]

    # On the command line an interrupt is one line and exit status 130, not a traceback.
    monkeypatch.delenv("KERAS_ATTN_DEBUG", raising=False)
    monkeypatch.setattr(runs, "train", interrupted)
    assert cli.main(["train", "--output-dir", str(tmp_path / "other")]) == 130
    assert capsys.readouterr().err == "keras-attn train: interrupted; rerun the same command to resume\n"
