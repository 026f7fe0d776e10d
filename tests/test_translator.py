"""Tests of keras_attn.Translator: translate, attention, decoding settings, save/load."""

import numpy as np
import pytest
import tensorflow as tf

import keras_attn
from keras_attn import data
from keras_attn import decoding
from keras_attn import models
from keras_attn import viz
from keras_attn.translator import Translator
from tests.testing import trained_copy_translator
from tests.testing import untrained_translator

SENTENCES = ["나는 밥을 먹었다", "그녀는 말을 탔어", "오늘 음악이 쉬울 거야 !", "없는단어 밥을"]


@pytest.fixture(scope="module")
def luong():
    return untrained_translator("luong")


@pytest.fixture(scope="module")
def word_translator():
    return untrained_translator("fixed_context")


@pytest.fixture(scope="module")
def trained():
    return trained_copy_translator()


def test_is_exported_from_the_package():
    assert keras_attn.Translator is Translator


def test_trained_copy_model_translates(trained):
    assert trained.translate(["1 2 3", "4 0 9 9", "7 7", ""]) == ["1 2 3", "4 0 9 9", "7 7", ""]
    assert trained.translate(["5 6 7"], beam_size=3) == ["5 6 7"]


@pytest.mark.parametrize("family", ["fixed_context", "bahdanau", "luong"])
def test_empty_and_blank_inputs_translate_to_empty(family):
    translator = untrained_translator(family)
    assert translator.translate([""]) == [""]
    assert translator.translate(["", "  \t\n", SENTENCES[0]])[:2] == ["", ""]
    assert translator.translate([]) == []


def test_translate_matches_decoding_module_directly(word_translator):
    """The Translator's graph gives what the decoding module gives on hand-made ids."""
    translator = word_translator
    end = tf.fill([len(SENTENCES), 1], data.END_ID)
    # Sources end with [END]; padding goes after it (ragged concat, then pad).
    ragged = tf.concat([translator.source_tokenizer.tokenize(SENTENCES), tf.RaggedTensor.from_tensor(end)], 1)
    source = ragged.to_tensor()
    state = translator.model.initial_state(source)
    result = decoding.greedy_search(translator.model.step, state, len(SENTENCES), translator.max_length)
    expected = [t.decode() for t in translator.target_tokenizer.detokenize(result["tokens"]).numpy()]
    assert translator.translate(SENTENCES) == expected
    outputs = translator.run(SENTENCES)
    np.testing.assert_allclose(outputs["scores"], result["log_probs"].numpy(), rtol=1e-5, atol=1e-5)


def test_beam_size_argument_overrides_settings(luong):
    assert luong.effective_beam_size() == 2
    greedy = Translator(luong.model, luong.source_tokenizer, luong.target_tokenizer, strategy="greedy",
                        max_length=luong.max_length, max_source_length=luong.max_source_length)
    assert luong.translate(SENTENCES, beam_size=1) == greedy.translate(SENTENCES)
    np.testing.assert_array_equal(luong.run(SENTENCES, beam_size=1)["scores"], greedy.run(SENTENCES)["scores"])
    assert np.all(np.isfinite(luong.run(SENTENCES, beam_size=4)["scores"]))


def test_outputs_shapes_padding_and_alignment(luong):
    outputs = luong.run(SENTENCES + [""])
    batch = len(SENTENCES) + 1
    tt, ts = outputs["target_tokens"].shape[1], outputs["source_tokens"].shape[1]
    assert outputs["translation"].shape == (batch,)
    assert outputs["scores"].shape == (batch,) and outputs["scores"].dtype == np.float32
    assert outputs["attention"].shape == (batch, tt, ts)
    assert ts <= luong.max_source_length and tt <= luong.max_length
    for row in range(batch):
        source = [t for t in outputs["source_tokens"][row] if t]
        target = [t for t in outputs["target_tokens"][row] if t]
        assert source[-1] == b"[END]"
        weights = outputs["attention"][row]
        # Zero outside the real tokens, rows summing to one inside (softmax over the source).
        assert np.all(weights[len(target):] == 0) and np.all(weights[:, len(source):] == 0)
        np.testing.assert_allclose(weights[: len(target)].sum(-1), 1.0, atol=1e-4)
        if target and target[-1] == b"[END]":
            detok = " ".join(t.decode() for t in target[:-1])
        else:
            detok = " ".join(t.decode() for t in target)
        assert outputs["translation"][row].decode() == detok
    assert outputs["scores"][-1] == 0.0 and outputs["translation"][-1] == b""


def test_fixed_context_model_has_zero_attention(word_translator):
    outputs = word_translator.run(SENTENCES)
    assert outputs["attention"].shape[1] > 0
    assert np.all(outputs["attention"] == 0)


def test_unknown_words_and_long_inputs(word_translator):
    outputs = word_translator.run(["없는단어 밥을", "밥을 " * 5000])
    assert outputs["source_tokens"][0][0] == b"[UNK]"
    # 10,000 characters are truncated to max_source_length tokens, [END] included.
    long_row = [t for t in outputs["source_tokens"][1] if t]
    assert len(long_row) == word_translator.max_source_length and long_row[-1] == b"[END]"


def test_attention_for_plotting(luong):
    attention = luong.attention(SENTENCES[0])
    assert attention.source_tokens[-1] == "[END]"
    assert attention.weights.shape == (len(attention.target_tokens), len(attention.source_tokens))
    assert attention.translation == luong.translate([SENTENCES[0]])[0]
    figure = viz.attention_heatmap(attention.weights, attention.source_tokens, attention.target_tokens)
    assert len(figure.axes[0].get_xticklabels()) == len(attention.source_tokens)
    with pytest.raises(TypeError, match="one str"):
        luong.attention(SENTENCES)


def test_save_and_load_round_trip(trained, tmp_path):
    trained.save(tmp_path / "copy")
    loaded = Translator.load(tmp_path / "copy")
    assert loaded.get_config() == trained.get_config()
    sentences = ["1 2 3", "9 8", ""]
    assert loaded.translate(sentences) == trained.translate(sentences)
    assert type(loaded.source_tokenizer) is type(trained.source_tokenizer)
    wider = Translator.load(tmp_path / "copy", beam_size=5, strategy="beam")
    assert wider.effective_beam_size() == 5
    with pytest.raises(FileExistsError, match="overwrite=True"):
        trained.save(tmp_path / "copy")
    trained.save(tmp_path / "copy", overwrite=True)
    with pytest.raises(ValueError, match="unknown settings"):
        Translator.load(tmp_path / "copy", beams=5)
    with pytest.raises(FileNotFoundError, match="translator.json"):
        Translator.load(tmp_path / "nothing")


def test_model_caps_are_honoured(word_translator):
    model = word_translator.model
    model.max_decode_length = 3
    try:
        capped = word_translator.with_tokenizers(word_translator.source_tokenizer, word_translator.target_tokenizer)
    finally:
        del model.max_decode_length
    assert capped.max_length == 3 and capped.get_config()["max_length"] == word_translator.max_length
    assert capped.run(SENTENCES)["target_tokens"].shape[1] <= 3


def test_bad_arguments(word_translator):
    model, source, target = word_translator.model, word_translator.source_tokenizer, word_translator.target_tokenizer
    with pytest.raises(ValueError, match="strategy"):
        Translator(model, source, target, strategy="sampling")
    with pytest.raises(ValueError, match="beam_size"):
        Translator(model, source, target, beam_size=0)
    with pytest.raises(ValueError, match="max_source_length"):
        Translator(model, source, target, max_source_length=1)
    with pytest.raises(ValueError, match="length_penalty"):
        Translator(model, source, target, length_penalty=-1)
    with pytest.raises(ValueError, match="one-step contract"):
        Translator(object(), source, target)
    with pytest.raises(ValueError, match="keras_attn.data.Tokenizer"):
        Translator(model, ["[PAD]"], target)
    small = models.seq2seq(10, target.vocabulary_size(), units=4, embedding_dim=4)
    with pytest.raises(ValueError, match="source_vocab_size"):
        Translator(small, source, target)
    with pytest.raises(TypeError, match="single string"):
        word_translator.translate("나는 밥을 먹었다")
    with pytest.raises(TypeError, match="item 1"):
        word_translator.translate(["ok", 3])
    with pytest.raises(ValueError, match="beam_size"):
        word_translator.translate(["ok"], beam_size=0)


def test_invisible_characters_change_no_translation(luong):
    """A BOM (a file piped in), a zero-width space, a right-to-left mark or a soft hyphen
    leaves the source's tokens, so its translation and its attention, as they were."""
    clean = luong.attention("나는 밥을 먹었다")
    for dirty in ("\ufeff나는 밥을 먹었다", "나는 밥을\u200b 먹었다", "나는\u200f 밥을 먹\u00ad었다"):
        attention = luong.attention(dirty)
        assert attention.source_tokens == clean.source_tokens and attention.translation == clean.translation
        np.testing.assert_allclose(attention.weights, clean.weights, atol=1e-6)
