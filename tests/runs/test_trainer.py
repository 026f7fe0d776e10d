"""`train`'s steps on their own, and the training policy it shares with the experiments."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_attn import models
from keras_attn import tokenizers
from keras_attn.experiments import arms
from keras_attn.runs import RunDirectory
from keras_attn.runs import RunError
from keras_attn.runs import trainer

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


def test_make_datasets_validates_on_built_in_data_only():
    source, target = _tokenizers()
    pairs = tf.data.Dataset.from_tensor_slices(([s for s, _ in PAIRS], [t for _, t in PAIRS]))
    batches, validation = trainer.make_datasets(pairs, source, target, "ko-en", "corpus.tsv", 10, 4, 16, 0)
    assert validation is None
    inputs, targets = next(iter(batches))
    assert set(inputs) == {"source", "target_in"} and targets.shape[0] == 4
    _, validation = trainer.make_datasets(pairs, source, target, "ko-en", None, 8, 4, 16, 0)
    assert validation is not None


def test_train_finishes_a_run_and_refuses_to_redo_it(tmp_path):
    output = str(tmp_path / "run")
    translator = trainer.train(output, train_size=64, validation_size=0, epochs=1, batch_size=16, max_length=16,
                               verbose=0, units=8, embedding_dim=4)
    record = RunDirectory(output).read_record()
    assert record["finished"] and record["train_seconds"] > 0 and record["arguments"]["train_size"] == 64
    assert os.path.isfile(os.path.join(output, "training_curves.png"))
    assert translator.translate([""]) == [""]
    with pytest.raises(RunError, match="holds a finished run; pass `overwrite=True`"):
        trainer.train(output, train_size=64, validation_size=0, epochs=1, batch_size=16, max_length=16,
                      verbose=0, units=8, embedding_dim=4)
