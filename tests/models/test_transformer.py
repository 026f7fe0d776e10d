"""The Transformer family: shapes, masking invariances, cached decoding, saving, plots."""

import keras
import numpy as np
import pytest

from keras_attn import decoding
from keras_attn import models
from keras_attn import viz

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="decoding is TensorFlow code")

VOCAB = 19
SMALL = dict(num_layers=2, d_model=16, num_heads=2, d_ff=32, dropout=0.0)
# Post-norm with separate embeddings (the paper's layout), and pre-norm with one
# shared, tied matrix (the paper's embedding sharing + the GPT-2 norm placement).
ENC_DEC_CONFIGS = {
    "post_norm": dict(),
    "pre_norm_shared_tied": dict(norm_first=True, share_embeddings=True, tie_output_embedding=True),
}
SOURCE = np.array([[5, 6, 7, 8, 2], [9, 4, 2, 0, 0], [3, 10, 3, 11, 2]], "int32")
TARGET_IN = np.array([[1, 5, 6, 7, 8], [1, 4, 9, 0, 0], [1, 12, 13, 14, 15]], "int32")


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


@pytest.fixture(scope="module", params=list(ENC_DEC_CONFIGS))
def enc_dec(request):
    keras.utils.set_random_seed(0)
    return models.transformer(VOCAB, VOCAB, **SMALL, **ENC_DEC_CONFIGS[request.param])


@pytest.fixture(scope="module")
def encoder():
    keras.utils.set_random_seed(1)
    return models.transformer_encoder(VOCAB, **SMALL)


@pytest.fixture(scope="module", params=[dict(), dict(norm_first=True, tie_output_embedding=True)],
                ids=["post_norm", "pre_norm_tied"])
def lm(request):
    keras.utils.set_random_seed(2)
    return models.transformer_decoder_lm(VOCAB, **SMALL, **request.param)


# Shapes and invariances -----------------------------------------------------------
def test_output_shapes_and_dtypes(enc_dec):
    logits = enc_dec({"source": SOURCE, "target_in": TARGET_IN})
    assert tuple(logits.shape) == (3, 5, VOCAB) and keras.backend.standardize_dtype(logits.dtype) == "float32"


def test_encoder_and_lm_output_shapes(encoder, lm):
    assert tuple(encoder(SOURCE).shape) == (3, 5, 16)
    lm_logits = lm(TARGET_IN)
    assert tuple(lm_logits.shape) == (3, 5, VOCAB) and keras.backend.standardize_dtype(lm_logits.dtype) == "float32"


def test_padding_appended_to_the_source_changes_no_logit(enc_dec):
    batch = {"source": SOURCE, "target_in": TARGET_IN}
    padded = dict(batch, source=np.pad(SOURCE, ((0, 0), (0, 4))))
    np.testing.assert_allclose(_numpy(enc_dec(padded)), _numpy(enc_dec(batch)), atol=1e-5)


def test_future_target_tokens_change_no_earlier_logit(enc_dec):
    changed = TARGET_IN.copy()
    changed[:, 3:] = 17
    before = _numpy(enc_dec({"source": SOURCE, "target_in": TARGET_IN}))
    after = _numpy(enc_dec({"source": SOURCE, "target_in": changed}))
    np.testing.assert_allclose(after[:, :3], before[:, :3], atol=1e-5)
    assert not np.allclose(after[:, 3:], before[:, 3:], atol=1e-3)  # the test can fail


def test_encoder_ignores_appended_padding_but_sees_the_whole_sequence(encoder):
    states = _numpy(encoder(SOURCE))
    np.testing.assert_allclose(_numpy(encoder(np.pad(SOURCE, ((0, 0), (0, 3)))))[:, :5], states, atol=1e-5)
    changed = SOURCE.copy()
    changed[0, 3] = 15  # bidirectional: an earlier position sees a later token
    assert not np.allclose(_numpy(encoder(changed))[0, 0], states[0, 0], atol=1e-4)


def test_lm_padding_and_future_tokens_change_no_earlier_logit(lm):
    logits = _numpy(lm(TARGET_IN))
    np.testing.assert_allclose(_numpy(lm(np.pad(TARGET_IN, ((0, 0), (0, 3)))))[:, :5], logits, atol=1e-5)
    changed = TARGET_IN.copy()
    changed[:, 2:] = 17
    after = _numpy(lm(changed))
    np.testing.assert_allclose(after[:, :2], logits[:, :2], atol=1e-5)
    assert not np.allclose(after[:, 2:], logits[:, 2:], atol=1e-3)


# Cached decoding -----------------------------------------------------------------------
def test_cached_steps_reproduce_teacher_forcing(enc_dec):
    forced = _numpy(enc_dec({"source": SOURCE, "target_in": TARGET_IN}))
    state = enc_dec.initial_state(SOURCE, max_length=8)
    cross = enc_dec.attention_weights({"source": SOURCE, "target_in": TARGET_IN})["cross"][-1]
    for t in range(TARGET_IN.shape[1]):
        logits, state, attention = enc_dec.step(TARGET_IN[:, t], state, t)
        np.testing.assert_allclose(_numpy(logits), forced[:, t], atol=1e-4)
        # the contract's attention: last layer's cross-attention averaged over heads
        np.testing.assert_allclose(_numpy(attention), _numpy(cross)[:, :, t].mean(1), atol=1e-5)
    assert keras.backend.standardize_dtype(attention.dtype) == "float32"
    assert np.all(_numpy(attention)[1, 3:] == 0)  # padded source positions


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
            assert int(np.argmax(_numpy(logits)[0, -1])) == tokens[row, t]
            prefix.append(int(tokens[row, t]))


def test_default_max_length_is_source_length_plus_50(enc_dec):
    state = enc_dec.initial_state(SOURCE)
    assert tuple(state["layers"][0]["self_key"].shape) == (3, 2, 5 + 50, 8)
    assert enc_dec.decode(SOURCE)["tokens"].shape[1] == 55


def test_decoding_traces_with_unknown_shapes_and_compiles_with_xla(enc_dec):
    if enc_dec.norm_first:
        pytest.skip("one configuration is enough for XLA (slow to compile)")
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


PROMPTS = np.array([[5, 6, 7], [8, 0, 0], [0, 0, 0]], "int32")


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
            logits = _numpy(lm(np.array([sequence], "int32")))[0, -1]
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


# Saving ------------------------------------------------------------------------------
def _round_trip(model, inputs, tmp_path):
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    assert type(restored) is type(model) and restored.get_config() == model.get_config()
    np.testing.assert_allclose(_numpy(restored(inputs)), _numpy(model(inputs)), atol=1e-6)
    return restored


def test_transformer_survives_a_keras_file_round_trip(enc_dec, tmp_path):
    restored = _round_trip(enc_dec, {"source": SOURCE, "target_in": TARGET_IN}, tmp_path)
    np.testing.assert_array_equal(restored.decode(SOURCE, max_length=6)["tokens"].numpy(),
                                  enc_dec.decode(SOURCE, max_length=6)["tokens"].numpy())


def test_encoder_survives_a_keras_file_round_trip(encoder, tmp_path):
    _round_trip(encoder, SOURCE, tmp_path)


def test_lm_survives_a_keras_file_round_trip(lm, tmp_path):
    restored = _round_trip(lm, TARGET_IN, tmp_path)
    np.testing.assert_array_equal(restored.generate(PROMPTS, max_length=5)["tokens"].numpy(),
                                  lm.generate(PROMPTS, max_length=5)["tokens"].numpy())


def test_shared_embeddings_are_one_matrix():
    model = models.transformer(VOCAB, VOCAB, **SMALL, share_embeddings=True, tie_output_embedding=True)
    separate = models.transformer(VOCAB, VOCAB, **SMALL)
    assert model.source_embedding is model.target_embedding
    # two embedding matrices and the output layer (kernel + bias) fewer
    assert separate.count_params() - model.count_params() == 2 * VOCAB * 16 + VOCAB


def test_compiled_training_step_with_the_paper_settings_lowers_the_loss():
    keras.utils.set_random_seed(4)
    model = models.transformer(VOCAB, VOCAB, **dict(SMALL, dropout=0.1))
    models.compile_transformer(model, warmup_steps=10, scale=4.0, jit_compile=True)
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


# Attention plots -----------------------------------------------------------------------
SOURCE_TOKENS = ["s5", "s6", "s7", "s8", "[END]"]
TARGET_TOKENS = ["[START]", "t5", "t6", "t7", "t8"]


def _check_figure(figure, num_heads=2):
    figure.canvas.draw()
    assert [ax.get_title() for ax in figure.axes[:num_heads]] == [f"head {h}" for h in range(num_heads)]


def test_per_head_attention_weights_of_the_three_kinds_render(enc_dec):
    weights = enc_dec.attention_weights({"source": SOURCE, "target_in": TARGET_IN})
    assert [tuple(w.shape) for w in weights["encoder_self"]] == [(3, 2, 5, 5)] * 2
    assert [tuple(w.shape) for w in weights["decoder_self"]] == [(3, 2, 5, 5)] * 2
    assert [tuple(w.shape) for w in weights["cross"]] == [(3, 2, 5, 5)] * 2
    decoder_self = _numpy(weights["decoder_self"][0])
    assert np.all(np.triu(decoder_self[0, 0], k=1) == 0)  # causal
    np.testing.assert_allclose(_numpy(weights["cross"][1])[1].sum(-1), 1.0, atol=1e-5)
    assert np.all(_numpy(weights["cross"][1])[1, :, :, 3:] == 0)
    _check_figure(viz.multi_head_heatmaps(_numpy(weights["encoder_self"][0])[0], SOURCE_TOKENS, title="encoder"))
    _check_figure(viz.multi_head_heatmaps(decoder_self[0], TARGET_TOKENS, title="decoder self"))
    _check_figure(viz.multi_head_heatmaps(_numpy(weights["cross"][-1])[0], SOURCE_TOKENS, TARGET_TOKENS))


def test_encoder_and_lm_attention_weights_render(encoder, lm):
    encoder_weights = encoder.attention_weights(SOURCE)["encoder_self"]
    lm_weights = lm.attention_weights(TARGET_IN)["decoder_self"]
    assert len(encoder_weights) == len(lm_weights) == 2
    assert np.all(np.triu(_numpy(lm_weights[1])[0, 1], k=1) == 0)
    _check_figure(viz.multi_head_heatmaps(_numpy(encoder_weights[1])[0], SOURCE_TOKENS))
    _check_figure(viz.multi_head_heatmaps(_numpy(lm_weights[1])[0], TARGET_TOKENS))


# Arguments -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "builder,arguments,message",
    [
        (models.transformer, dict(source_vocab_size=10, target_vocab_size=10, d_model=30, num_heads=4),
         r"transformer: `d_model` must be divisible by num_heads=4, got 30"),
        (models.transformer, dict(source_vocab_size=10, target_vocab_size=12, share_embeddings=True),
         r"transformer: `share_embeddings` must be False when source_vocab_size \(10\)"),
        (models.transformer_encoder, dict(vocab_size=0),
         r"transformer_encoder: `vocab_size` must be a positive int, got 0"),
        (models.transformer_decoder_lm, dict(vocab_size=10, dropout=1.0),
         r"transformer_decoder_lm: `dropout` must be a float in \[0, 1\), got 1.0"),
    ],
)
def test_bad_arguments_name_the_builder_argument_and_value(builder, arguments, message):
    with pytest.raises(ValueError, match=message):
        builder(**{"num_layers": 1, "d_model": 8, "num_heads": 2, "d_ff": 8, **arguments})
