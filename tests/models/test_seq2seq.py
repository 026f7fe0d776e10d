"""The seq2seq family: the training model, step-by-step decoding through
keras_attn.decoding (which imports no model), and properties for any input (hypothesis)."""

import functools

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keras_attn import data
from keras_attn import decoding
from keras_attn import evaluation
from keras_attn import models
from keras_attn.experiments import arms
from tests.testing import properties

CONFIGS = {
    "lstm_fixed_context": dict(cell="lstm", attention=None),
    "gru_bahdanau_bidirectional": dict(cell="gru", attention="bahdanau", bidirectional=True),
    "lstm_luong_general_2_layers": dict(cell="lstm", attention="luong", num_layers=2, layer_dropout=0.2),
    "rnn_luong_concat": dict(cell="rnn", attention="luong", luong_score="concat"),
    "lstm_fixed_context_bidirectional_2_layers": dict(cell="lstm", attention=None, bidirectional=True, num_layers=2),
    # RNNsearch as in the paper: s_0 from the backward state, maxout deep output.
    "gru_rnnsearch_paper": dict(cell="gru", attention="bahdanau", bidirectional=True, bridge="backward",
                                deep_output_units=6),
    "lstm_luong_dot_bidirectional": dict(cell="lstm", attention="luong", luong_score="dot", bidirectional=True),
}
VOCAB = 17


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _build(config, **overrides):
    keras.utils.set_random_seed(0)
    return models.seq2seq(VOCAB, VOCAB + 2, embedding_dim=8, units=12, **{**config, **overrides})


def _batch(batch=3, source_length=6, target_length=5, seed=0):
    rng = np.random.default_rng(seed)
    source = rng.integers(3, VOCAB, size=(batch, source_length)).astype("int32")
    source[0, 4:] = 0  # a shorter sentence in the batch
    target = rng.integers(3, VOCAB, size=(batch, target_length)).astype("int32")
    return {"source": source, "target_in": target}


@pytest.fixture(scope="module", params=list(CONFIGS), ids=list(CONFIGS))
def model(request):
    return _build(CONFIGS[request.param])


def test_outputs_float32_logits(model):
    logits = model(_batch())
    assert tuple(logits.shape) == (3, 5, VOCAB + 2)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"


def test_padding_appended_to_the_source_changes_no_logit(model):
    batch = _batch()
    padded = dict(batch, source=np.pad(batch["source"], ((0, 0), (0, 4))))
    np.testing.assert_allclose(_numpy(model(padded)), _numpy(model(batch)), atol=1e-5)


def test_future_target_tokens_change_no_earlier_logit(model):
    batch = _batch()
    changed = dict(batch, target_in=batch["target_in"].copy())
    changed["target_in"][:, 3:] = np.flip(changed["target_in"][:, 3:], axis=0) + 1
    np.testing.assert_allclose(_numpy(model(changed))[:, :3], _numpy(model(batch))[:, :3], atol=1e-6)


def test_step_by_step_decoding_reproduces_teacher_forcing(model):
    batch = _batch()
    forced = _numpy(model(batch))
    state = model.initial_state(batch["source"])
    for index in range(batch["target_in"].shape[1]):
        logits, state, attention = model.step(batch["target_in"][:, index], state, index)
        np.testing.assert_allclose(_numpy(logits), forced[:, index], atol=1e-5)
        attention = _numpy(attention)
        assert attention.shape == batch["source"].shape
        if model.attention is not None:
            # Weights sum to one over the real source tokens and are zero on padding.
            np.testing.assert_allclose(attention.sum(-1), 1.0, atol=1e-5)
            assert np.all(attention[batch["source"] == 0] == 0)
        else:
            assert np.all(attention == 0)


def test_state_leaves_have_the_batch_first(model):
    state = model.initial_state(_batch()["source"])
    for leaf in keras.tree.flatten(state):
        assert leaf.shape[0] == 3


def test_keras_file_round_trip(model, tmp_path):
    batch = _batch()
    path = tmp_path / "seq2seq.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored) is type(model) and restored.get_config() == model.get_config()
    np.testing.assert_array_equal(_numpy(restored(batch)), _numpy(model(batch)))


@pytest.mark.parametrize("config", ["gru_bahdanau_bidirectional", "lstm_luong_general_2_layers"])
def test_xla_training_reduces_the_loss(config):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("XLA training is checked on the TensorFlow backend")
    model = _build(CONFIGS[config])
    model.compile(**model.default_compile_kwargs(learning_rate=0.02))
    assert model.jit_compile  # the recurrent family's policy: XLA
    batch = _batch(batch=8, seed=1)
    target_out = np.concatenate([batch["target_in"][:, 1:], np.full((8, 1), 2, "int32")], axis=1)
    target_out[0, 3:] = 0  # padding in the targets is ignored
    # fit() traces with an unknown batch size (8 samples in batches of 3): the loop
    # and its gradient must compile without static shapes.
    history = model.fit(batch, target_out, batch_size=3, epochs=4, verbose=0).history["loss"]
    assert np.all(np.isfinite(history)) and history[-1] < history[0]


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match=r"seq2seq: `cell` must be one of \('rnn', 'gru', 'lstm'\), got 'transformer'"):
        models.seq2seq(10, 10, cell="transformer")
    with pytest.raises(ValueError, match=r"seq2seq: `attention` must be one of \(None, 'bahdanau', 'luong'\), got 'dot'"):
        models.seq2seq(10, 10, attention="dot")
    with pytest.raises(ValueError, match="seq2seq: `units` must be a positive int, got 0"):
        models.seq2seq(10, 10, units=0)
    with pytest.raises(ValueError, match=r"seq2seq: `bridge` must be 'both' unless the encoder is bidirectional"):
        models.seq2seq(10, 10, bridge="backward")
    with pytest.raises(ValueError, match=r"seq2seq: `bridge` must be one of \('both', 'backward'\), got 'forward'"):
        models.seq2seq(10, 10, bidirectional=True, bridge="forward")
    with pytest.raises(ValueError, match="seq2seq: `deep_output_units` must be None or a positive int, got 0"):
        models.seq2seq(10, 10, deep_output_units=0)
    with pytest.raises(ValueError, match=r"seq2seq: `layer_dropout` must be a float in \[0, 1\), got 1.5"):
        models.seq2seq(10, 10, layer_dropout=1.5)


# The paper presets' pieces (Bahdanau et al. 2015, A.2.2; Luong et al. 2015, §4.1) -------

def _start_states(model, source):
    return [_numpy(s) for s in keras.tree.flatten(model.initial_state(source)["states"])]


@pytest.mark.parametrize("bridge", ["both", "backward"])
def test_the_backward_bridge_starts_the_decoder_from_the_backward_state_alone(bridge):
    """s_0 = tanh(W_s h←_1): changing the forward encoder leaves s_0 as it is; no bias."""
    model = _build(CONFIGS["gru_bahdanau_bidirectional"], bridge=bridge)
    source = _batch()["source"]
    before = _start_states(model, source)
    forward = model.encoder_layers[0].forward_layer
    forward.set_weights([w + 0.5 for w in forward.get_weights()])
    unchanged = all(np.allclose(a, b) for a, b in zip(before, _start_states(model, source)))
    assert unchanged == (bridge == "backward")
    assert len(model.bridges[0].weights) == (1 if bridge == "backward" else 2)


def test_the_deep_output_is_a_maxout_of_the_state_the_previous_word_and_the_context():
    """logits = W_o t_i + b_o, t_i = max over pairs of U_o s_i + V_o E y_{i-1} + C_o c_i + b."""
    model = _build(CONFIGS["gru_rnnsearch_paper"])
    batch = _batch()
    words = batch["target_in"][:, 0]
    start = model.initial_state(batch["source"])
    embedded = _numpy(model.target_embedding.embeddings)[words]
    output, _, _ = model.decoder.step(embedded, start)  # [s_i; c_i]
    affine_kernel, affine_bias = model.deep_output.get_weights()
    pre_activation = np.concatenate([_numpy(output), embedded], -1) @ affine_kernel + affine_bias
    t = pre_activation.reshape(len(words), 6, 2).max(-1)
    kernel, bias = model.logits_layer.get_weights()
    logits, _, _ = model.step(words, start, 0)
    np.testing.assert_allclose(_numpy(logits), t @ kernel + bias, atol=1e-5)


def test_layer_dropout_acts_between_stacked_layers_in_training_only():
    batch = _batch()
    for config, dropout_expected in ((CONFIGS["lstm_luong_general_2_layers"], True),
                                     (dict(cell="gru", attention=None, num_layers=2, layer_dropout=0.5), True),
                                     (dict(cell="gru", attention="bahdanau", layer_dropout=0.5), False)):
        model = _build(config)
        first, second = (_numpy(model(batch, training=True)) for _ in range(2))
        assert (not np.allclose(first, second)) == dropout_expected  # one layer: nothing between
        np.testing.assert_array_equal(_numpy(model(batch)), _numpy(model(batch)))


def test_luong_dot_score_with_a_bidirectional_encoder_sums_the_directions():
    model = _build(CONFIGS["lstm_luong_dot_bidirectional"])
    memory = model.initial_state(_batch()["source"])["memory"]
    assert memory.shape[-1] == 12  # h_t · h̄_s needs equal sizes: k, not 2k
    assert _build(CONFIGS["gru_bahdanau_bidirectional"]).initial_state(_batch()["source"])["memory"].shape[-1] == 24


# Decoding through keras_attn.decoding --------------------------------------------------

TENSORFLOW_ONLY = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="decoding is TensorFlow code")
DECODING_VOCAB = 13
SOURCE = np.array([[5, 6, 7, 8, 2], [9, 4, 2, 0, 0], [3, 3, 3, 3, 2]], "int32")


@pytest.fixture(scope="module", params=[None, "bahdanau", "luong"], ids=["fixed_context", "bahdanau", "luong"])
def decoding_model(request):
    keras.utils.set_random_seed(3)
    return models.seq2seq(DECODING_VOCAB, DECODING_VOCAB, cell="gru", attention=request.param, embedding_dim=8,
                          units=16)


def _greedy(model, max_length=6, **kwargs):
    return decoding.greedy_search(model.step, model.initial_state(SOURCE), 3, max_length, **kwargs)


@TENSORFLOW_ONLY
def test_greedy_equals_argmax_of_the_training_model(decoding_model):
    model = decoding_model
    result = _greedy(model)
    tokens = result["tokens"].numpy()
    for row in range(3):
        length = int(result["lengths"][row])
        target_in = np.concatenate([[1], tokens[row, : length - 1]])[None].astype("int32")
        logits = model({"source": SOURCE[row : row + 1], "target_in": target_in})
        np.testing.assert_array_equal(np.argmax(keras.ops.convert_to_numpy(logits)[0], -1), tokens[row, :length])


@TENSORFLOW_ONLY
def test_beam_size_one_equals_greedy(decoding_model):
    model = decoding_model
    greedy = _greedy(model)
    beam = decoding.beam_search(model.step, model.initial_state(SOURCE), 3, 6, beam_size=1, length_penalty=0.0)
    np.testing.assert_array_equal(beam["tokens"].numpy(), greedy["tokens"].numpy())
    np.testing.assert_allclose(beam["log_probs"].numpy(), greedy["log_probs"].numpy(), atol=1e-5)


@TENSORFLOW_ONLY
def test_beam_hypotheses_are_in_score_order_with_their_own_attention(decoding_model):
    model = decoding_model
    result = decoding.beam_search(
        model.step, model.initial_state(SOURCE), 3, 6, beam_size=3, return_all_beams=True
    )
    scores = result["scores"].numpy()
    assert np.all(np.diff(scores, axis=1) <= 1e-6)
    attention = result["attention"].numpy()
    lengths = result["lengths"].numpy()
    for b in range(3):
        for k in range(3):
            steps = attention[b, k, : lengths[b, k]]
            if model.attention is None:
                assert np.all(steps == 0)
            else:  # a distribution over the real source tokens at every step
                np.testing.assert_allclose(steps.sum(-1), 1.0, atol=1e-5)
                assert np.all(steps[:, SOURCE[b] == 0] == 0)


@TENSORFLOW_ONLY
def test_decoding_traces_in_tf_function_and_compiles_with_xla(decoding_model):
    import tensorflow as tf

    model = decoding_model
    eager = _greedy(model)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([], tf.int32)])
    def traced(source, max_length):
        return decoding.greedy_search(model.step, model.initial_state(source), tf.shape(source)[0], max_length)

    @tf.function(jit_compile=True)
    def compiled(source):
        return decoding.beam_search(model.step, model.initial_state(source), 3, 6, beam_size=1, length_penalty=0.0)

    for result in (traced(SOURCE, tf.constant(6)), compiled(SOURCE)):
        np.testing.assert_array_equal(result["tokens"].numpy(), eager["tokens"].numpy())


# Properties (hypothesis): invariants for any input, see tests/testing/properties.py ----------

V = properties.MODEL_VOCAB
PROPERTY_BUILDERS = {
    "seq2seq_fixed": lambda: models.seq2seq(V, V, cell="lstm", attention=None, embedding_dim=8, units=8),
    "seq2seq_bahdanau": lambda: models.seq2seq(V, V, cell="gru", attention="bahdanau", embedding_dim=8, units=8,
                                               bidirectional=True),
    "seq2seq_luong": lambda: models.seq2seq(V, V, cell="gru", attention="luong", embedding_dim=8, units=8),
}
# Every configuration in float32; the mixed policies on one (building all nine would
# cost more CI time than it adds coverage).
PROPERTY_CASES = [(name, "float32") for name in PROPERTY_BUILDERS] + [
    ("seq2seq_luong", policy) for policy in ("mixed_float16", "mixed_bfloat16")
]


@functools.lru_cache(maxsize=None)
def property_model(name, policy):
    return properties.build_under_policy(PROPERTY_BUILDERS[name], policy)


@pytest.mark.property
@properties.ONE_KEY_SOFTMAX
@pytest.mark.parametrize("name,policy", PROPERTY_CASES)
@properties.MODEL_SETTINGS
@given(data=st.data())
def test_logits_are_finite_and_padding_and_batch_invariant(name, policy, data):
    properties.check_logits_are_finite_and_padding_and_batch_invariant(property_model(name, policy), policy, data,
                                                                       decoder_only=False)


@pytest.mark.property
@properties.ONE_KEY_SOFTMAX
@pytest.mark.parametrize("name", list(PROPERTY_BUILDERS))
@properties.MODEL_SETTINGS
@given(data=st.data())
def test_decoder_is_causal(name, data):
    properties.check_decoder_is_causal(property_model(name, "float32"), data, decoder_only=False)


def test_luong_models_project_the_attentional_state_linearly_unless_asked():
    luong = models.seq2seq(10, 10, attention="luong", units=8)
    assert luong.decoder.attentional_activation is None
    assert luong.training_policy.global_clipnorm == 5.0  # Luong et al.'s gradient-norm bound
    assert models.seq2seq(10, 10, attention="bahdanau", units=8).training_policy.global_clipnorm is None
    paper = models.seq2seq(10, 10, attention="luong", units=8, attentional_activation="tanh")
    assert paper.decoder.attentional_activation == "tanh"
    config = paper.get_config()
    del config["attentional_activation"]  # a model saved before the option computed the paper's tanh
    assert models.Seq2Seq.from_config(config).decoder.attentional_activation == "tanh"


@pytest.mark.slow
def test_luong_attention_learns_to_align_korean():
    """The run that located the Luong collapse (docs/experiments/bottleneck.md): 4,000 ko-en
    pairs of 1–8 words, bidirectional GRU 64, 315 steps. With the paper's tanh attentional
    state the attention sinks onto one position and BLEU stays near 2; linear, it aligns."""
    train = [(e.source, e.target) for e in data.generate("ko-en", "train", size=4000, seed=0, max_length=8)]
    test = list(data.generate("ko-en", "test", size=200, seed=0, max_length=8))
    source, target = arms.word_tokenizers(train)
    keras.utils.set_random_seed(0)
    model = models.seq2seq(source.vocabulary_size(), target.vocabulary_size(), cell="gru", attention="luong",
                           embedding_dim=32, units=64, bidirectional=True)
    model.compile(**model.default_compile_kwargs(global_clipnorm=1.0))
    model.fit(data.make_training_dataset(train, source, target, batch_size=64, max_length=20, seed=0), epochs=5,
              verbose=0)
    scores = evaluation.score_model(model, [(e.source, e.target) for e in test], source, target)
    assert scores["bleu"] > 10 and evaluation.alignment_error_rate(model, test, source, target) < 0.6
    inputs, _ = next(iter(data.make_dataset([(e.source, e.target) for e in test[:50]], source, target,
                                            bucket_boundaries=None)))
    weights = decoding.teacher_forced_attention(model, inputs["source"], inputs["target_in"]).numpy()
    ends = (inputs["source"].numpy() != 0).sum(1) - 1
    assert np.mean(weights.argmax(-1)[:, 0] == ends) < 0.5  # the first word is not read off the [END] summary
