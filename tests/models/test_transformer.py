"""The encoder-decoder Transformer: shapes, masking invariances, cached decoding, saving, plots."""

import functools

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keras_attn import decoding, models, viz
from tests.models.transformer_cases import (
    SMALL,
    SOURCE,
    SOURCE_TOKENS,
    TARGET_IN,
    TARGET_TOKENS,
    VOCAB,
    as_numpy,
    check_figure,
    round_trip,
)
from tests.testing import properties

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="decoding is TensorFlow code")


def test_output_shapes_and_dtypes(enc_dec):
    logits = enc_dec({"source": SOURCE, "target_in": TARGET_IN})
    assert tuple(logits.shape) == (3, 5, VOCAB) and keras.backend.standardize_dtype(logits.dtype) == "float32"


def test_padding_appended_to_the_source_changes_no_logit(enc_dec):
    batch = {"source": SOURCE, "target_in": TARGET_IN}
    padded = dict(batch, source=np.pad(SOURCE, ((0, 0), (0, 4))))
    np.testing.assert_allclose(as_numpy(enc_dec(padded)), as_numpy(enc_dec(batch)), atol=1e-5)


def test_future_target_tokens_change_no_earlier_logit(enc_dec):
    changed = TARGET_IN.copy()
    changed[:, 3:] = 17
    before = as_numpy(enc_dec({"source": SOURCE, "target_in": TARGET_IN}))
    after = as_numpy(enc_dec({"source": SOURCE, "target_in": changed}))
    np.testing.assert_allclose(after[:, :3], before[:, :3], atol=1e-5)
    assert not np.allclose(after[:, 3:], before[:, 3:], atol=1e-3)  # the test can fail


def test_cached_steps_reproduce_teacher_forcing(enc_dec):
    forced = as_numpy(enc_dec({"source": SOURCE, "target_in": TARGET_IN}))
    state = enc_dec.initial_state(SOURCE, max_length=8)
    cross = enc_dec.attention_weights({"source": SOURCE, "target_in": TARGET_IN})["cross"][-1]
    for t in range(TARGET_IN.shape[1]):
        logits, state, attention = enc_dec.step(TARGET_IN[:, t], state, t)
        np.testing.assert_allclose(as_numpy(logits), forced[:, t], atol=1e-4)
        # the contract's attention: last layer's cross-attention averaged over heads
        np.testing.assert_allclose(as_numpy(attention), as_numpy(cross)[:, :, t].mean(1), atol=1e-5)
    assert keras.backend.standardize_dtype(attention.dtype) == "float32"
    assert np.all(as_numpy(attention)[1, 3:] == 0)  # padded source positions


def test_cached_greedy_and_beam_give_the_tokens_of_uncached_decoding(enc_dec):
    for beam_size in (1, 3):
        cached = enc_dec.decode(SOURCE, max_length=9, beam_size=beam_size)
        uncached = enc_dec.decode(SOURCE, max_length=9, beam_size=beam_size, use_cache=False)
        np.testing.assert_array_equal(cached["tokens"].numpy(), uncached["tokens"].numpy())
        np.testing.assert_allclose(cached["log_probs"].numpy(), uncached["log_probs"].numpy(), atol=1e-4)
        np.testing.assert_allclose(cached["attention"].numpy(), uncached["attention"].numpy(), atol=1e-5)


def test_greedy_tokens_are_the_argmax_of_the_model_rerun_on_each_prefix(enc_dec):
    """The uncached reference written out: re-run the whole model on the prefix."""
    result = enc_dec.decode(SOURCE, max_length=7)
    tokens = result["tokens"].numpy()
    for row in range(len(SOURCE)):
        prefix = [1]
        for t in range(int(result["lengths"][row])):
            logits = enc_dec({"source": SOURCE[row : row + 1], "target_in": np.array([prefix], "int32")})
            assert int(np.argmax(as_numpy(logits)[0, -1])) == tokens[row, t]
            prefix.append(int(tokens[row, t]))


def test_default_max_length_is_source_length_plus_50(enc_dec):
    state = enc_dec.initial_state(SOURCE)
    assert tuple(state["layers"][0]["self_key"].shape) == (3, 2, 5 + 50, 8)
    assert enc_dec.decode(SOURCE)["tokens"].shape[1] == 55


def test_decoding_traces_with_unknown_shapes_and_compiles_with_xla(enc_dec):
    if enc_dec.share_embeddings:  # the others: the paper's, and positions counted from both ends
        pytest.skip("two configurations are enough for XLA (slow to compile)")
    eager = enc_dec.decode(SOURCE, max_length=6, beam_size=2)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)])
    def traced(source):
        state = enc_dec.initial_state(source)
        length = tf.minimum(tf.shape(source)[1] + 50, 6)
        return decoding.beam_search(enc_dec.step, state, tf.shape(source)[0], length, beam_size=2)

    @tf.function(jit_compile=True)
    def compiled(source):
        state = enc_dec.initial_state(source, max_length=6)
        return decoding.beam_search(enc_dec.step, state, 3, 6, beam_size=2)

    for result in (traced(SOURCE), compiled(SOURCE)):
        np.testing.assert_array_equal(result["tokens"].numpy(), eager["tokens"].numpy())


def test_transformer_survives_a_keras_file_round_trip(enc_dec, tmp_path):
    restored = round_trip(enc_dec, {"source": SOURCE, "target_in": TARGET_IN}, tmp_path)
    np.testing.assert_array_equal(restored.decode(SOURCE, max_length=6)["tokens"].numpy(),
                                  enc_dec.decode(SOURCE, max_length=6)["tokens"].numpy())


def test_source_positions_from_both_ends_tell_the_encoder_each_distance_from_the_end():
    ends = models.transformer(VOCAB, VOCAB, **SMALL, source_positions="both_ends")
    # The same tokens at the same positions but a different distance from the end are
    # encoded alike when counting from the start, differently from both ends.
    rows = np.array([[5, 6, 7, 2, 0], [5, 6, 7, 8, 2]], "int32")
    for model, differ in ((models.transformer(VOCAB, VOCAB, **SMALL), False), (ends, True)):
        hidden = as_numpy(model.source_positional_encoding(np.zeros((2, 5, 16), "float32"),
                                                           mask=rows != 0))
        assert np.allclose(hidden[0, :3], hidden[1, :3]) != differ
    assert ends.get_config()["source_positions"] == "both_ends"
    assert models.transformer(VOCAB, VOCAB, **SMALL).get_config()["source_positions"] == "start"
    with pytest.raises(ValueError, match=r"transformer: `source_positions` must be one of \('start', 'both_ends'\)"):
        models.transformer(VOCAB, VOCAB, **SMALL, source_positions="end")


def test_shared_embeddings_are_one_matrix():
    model = models.transformer(VOCAB, VOCAB, **SMALL, share_embeddings=True, tie_output_embedding=True)
    separate = models.transformer(VOCAB, VOCAB, **SMALL)
    assert model.source_embedding is model.target_embedding
    # two embedding matrices and the output layer (kernel + bias) fewer
    assert separate.count_params() - model.count_params() == 2 * VOCAB * 16 + VOCAB


def test_compiled_training_step_with_the_paper_settings_lowers_the_loss():
    keras.utils.set_random_seed(4)
    model = models.transformer(VOCAB, VOCAB, **dict(SMALL, dropout=0.1))
    model.compile(**{**model.default_compile_kwargs(warmup_steps=10, schedule_scale=4.0), "jit_compile": True})
    target_out = np.concatenate([TARGET_IN[:, 1:], np.full((3, 1), 2, "int32")], axis=1)
    target_out[TARGET_IN == 0] = 0
    batch = {"source": SOURCE, "target_in": TARGET_IN}
    first = model.train_on_batch(batch, target_out, return_dict=True)["loss"]
    for _ in range(20):
        last = model.train_on_batch(batch, target_out, return_dict=True)["loss"]
    assert np.isfinite(first) and last < first - 0.5
    config = model.optimizer.get_config()
    assert (config["beta_1"], config["beta_2"], config["epsilon"]) == (0.9, 0.98, 1e-9)
    assert config["learning_rate"]["class_name"] == "TransformerSchedule"


def test_per_head_attention_weights_of_the_three_kinds_render(enc_dec):
    weights = enc_dec.attention_weights({"source": SOURCE, "target_in": TARGET_IN})
    assert [tuple(w.shape) for w in weights["encoder_self"]] == [(3, 2, 5, 5)] * 2
    assert [tuple(w.shape) for w in weights["decoder_self"]] == [(3, 2, 5, 5)] * 2
    assert [tuple(w.shape) for w in weights["cross"]] == [(3, 2, 5, 5)] * 2
    decoder_self = as_numpy(weights["decoder_self"][0])
    assert np.all(np.triu(decoder_self[0, 0], k=1) == 0)  # causal
    np.testing.assert_allclose(as_numpy(weights["cross"][1])[1].sum(-1), 1.0, atol=1e-5)
    assert np.all(as_numpy(weights["cross"][1])[1, :, :, 3:] == 0)
    check_figure(viz.multi_head_heatmaps(as_numpy(weights["encoder_self"][0])[0], SOURCE_TOKENS, title="encoder"))
    check_figure(viz.multi_head_heatmaps(decoder_self[0], TARGET_TOKENS, title="decoder self"))
    check_figure(viz.multi_head_heatmaps(as_numpy(weights["cross"][-1])[0], SOURCE_TOKENS, TARGET_TOKENS))


# Properties for any input (hypothesis) ----------------------------------------------------
@functools.lru_cache(maxsize=None)
def property_model(policy):
    vocab = properties.MODEL_VOCAB
    return properties.build_under_policy(
        lambda: models.transformer(vocab, vocab, num_layers=1, d_model=8, num_heads=2, d_ff=16, dropout=0.0), policy)


@pytest.mark.property
@properties.ONE_KEY_SOFTMAX
@pytest.mark.parametrize("policy", properties.POLICIES)
@properties.MODEL_SETTINGS
@given(data=st.data())
def test_logits_are_finite_and_padding_and_batch_invariant(policy, data):
    properties.check_logits_are_finite_and_padding_and_batch_invariant(property_model(policy), policy, data,
                                                                       decoder_only=False)


@pytest.mark.property
@properties.ONE_KEY_SOFTMAX
@properties.MODEL_SETTINGS
@given(data=st.data())
def test_decoder_is_causal(data):
    properties.check_decoder_is_causal(property_model("float32"), data, decoder_only=False)
