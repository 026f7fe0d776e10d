"""The decoder-only LM: causal masking, cached generation from prompts, saving, plots."""

import functools

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keras_attn import decoding, models, viz
from tests.models.transformer_cases import PROMPTS, TARGET_IN, TARGET_TOKENS, VOCAB, as_numpy, check_figure, round_trip
from tests.testing import properties

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="decoding is TensorFlow code")


def test_lm_padding_and_future_tokens_change_no_earlier_logit(lm):
    logits = as_numpy(lm(TARGET_IN))
    np.testing.assert_allclose(as_numpy(lm(np.pad(TARGET_IN, ((0, 0), (0, 3)))))[:, :5], logits, atol=1e-5)
    changed = TARGET_IN.copy()
    changed[:, 2:] = 17
    after = as_numpy(lm(changed))
    np.testing.assert_allclose(after[:, :2], logits[:, :2], atol=1e-5)
    assert not np.allclose(after[:, 2:], logits[:, 2:], atol=1e-3)


def test_lm_cached_decoding_matches_uncached_with_prompts_of_different_lengths(lm):
    for options in (dict(strategy="greedy"), dict(strategy="beam", beam_size=3),
                    dict(strategy="sample", temperature=0.7, top_k=5, seed=3)):
        cached = lm.generate(PROMPTS, max_length=7, **options)
        uncached = lm.generate(PROMPTS, max_length=7, use_cache=False, **options)
        np.testing.assert_array_equal(cached["tokens"].numpy(), uncached["tokens"].numpy())
        np.testing.assert_allclose(cached["log_probs"].numpy(), uncached["log_probs"].numpy(), atol=1e-4)


def test_lm_generation_continues_the_prompt_as_the_full_model_would(lm):
    tokens = lm.generate(PROMPTS, max_length=4)["tokens"].numpy()
    for row, prompt in enumerate(PROMPTS):
        sequence = [1] + [int(t) for t in prompt if t]
        for t in range(4):
            logits = as_numpy(lm(np.array([sequence], "int32")))[0, -1]
            assert int(np.argmax(logits)) == tokens[row, t]
            if tokens[row, t] == decoding.END_ID:
                break
            sequence.append(int(tokens[row, t]))


def test_lm_generate_from_a_batch_size_and_sampling_settings(lm):
    greedy = lm.generate(4, max_length=6)["tokens"].numpy()
    assert greedy.shape == (4, 6) and np.all(greedy == greedy[:1])  # same start, same greedy path
    top1 = lm.generate(4, max_length=6, strategy="sample", top_k=1, seed=5)["tokens"].numpy()
    np.testing.assert_array_equal(top1, greedy)
    first = lm.generate(4, max_length=6, strategy="sample", temperature=5.0, seed=9)["tokens"].numpy()
    again = lm.generate(4, max_length=6, strategy="sample", temperature=5.0, seed=9)["tokens"].numpy()
    np.testing.assert_array_equal(first, again)
    assert len({tuple(row) for row in first}) > 1  # hot sampling differs between rows


def test_lm_survives_a_keras_file_round_trip(lm, tmp_path):
    restored = round_trip(lm, TARGET_IN, tmp_path)
    np.testing.assert_array_equal(restored.generate(PROMPTS, max_length=5)["tokens"].numpy(),
                                  lm.generate(PROMPTS, max_length=5)["tokens"].numpy())


def test_lm_output_shape(lm):
    lm_logits = lm(TARGET_IN)
    assert tuple(lm_logits.shape) == (3, 5, VOCAB) and keras.backend.standardize_dtype(lm_logits.dtype) == "float32"


def test_lm_attention_weights_render(lm):
    lm_weights = lm.attention_weights(TARGET_IN)["decoder_self"]
    assert len(lm_weights) == 2
    assert np.all(np.triu(as_numpy(lm_weights[1])[0, 1], k=1) == 0)
    check_figure(viz.multi_head_heatmaps(as_numpy(lm_weights[1])[0], TARGET_TOKENS))


# Properties for any input (hypothesis) ----------------------------------------------------
@functools.lru_cache(maxsize=None)
def property_model(policy):
    vocab = properties.MODEL_VOCAB
    return properties.build_under_policy(
        lambda: models.transformer_decoder_lm(vocab, num_layers=1, d_model=8, num_heads=2, d_ff=16, dropout=0.0),
        policy)


@pytest.mark.property
@properties.ONE_KEY_SOFTMAX
@pytest.mark.parametrize("policy", properties.POLICIES)
@properties.MODEL_SETTINGS
@given(data=st.data())
def test_logits_are_finite_and_padding_and_batch_invariant(policy, data):
    properties.check_logits_are_finite_and_padding_and_batch_invariant(property_model(policy), policy, data,
                                                                       decoder_only=True)


@pytest.mark.property
@properties.ONE_KEY_SOFTMAX
@properties.MODEL_SETTINGS
@given(data=st.data())
def test_decoder_is_causal(data):
    properties.check_decoder_is_causal(property_model("float32"), data, decoder_only=True)
