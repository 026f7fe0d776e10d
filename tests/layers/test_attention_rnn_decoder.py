import keras
import numpy as np
import pytest

from keras_attn.layers import AttentionDecoder
from keras_attn.layers import BahdanauAttention
from keras_attn.layers import LuongAttention
from keras_attn.layers import run_stacked_cells
from tests.testing import LayerCase
from tests.testing import standard_checks


def _bahdanau_gru(**kw):
    return AttentionDecoder("gru", 8, BahdanauAttention(6, dtype=kw.get("dtype")), **kw)


def _luong_lstm_2_layers(**kw):
    return AttentionDecoder("lstm", 8, LuongAttention("general", dtype=kw.get("dtype")), style="luong",
                            num_layers=2, **kw)


def _luong_rnn_concat(**kw):
    return AttentionDecoder("rnn", 6, LuongAttention("concat", units=5, dtype=kw.get("dtype")), style="luong", **kw)


# The helper checks one output: the decoder's outputs without the attention weights.
ONE_OUTPUT = {"return_attention_scores": False}
CASES = [
    LayerCase("attention_decoder_bahdanau_gru", _bahdanau_gru, "cross", call_kwargs=ONE_OUTPUT, source_dim=6),
    LayerCase("attention_decoder_luong_lstm_2_layers", _luong_lstm_2_layers, "cross", call_kwargs=ONE_OUTPUT),
    LayerCase("attention_decoder_luong_rnn_concat", _luong_rnn_concat, "cross", call_kwargs=ONE_OUTPUT,
              target_dim=5),
]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _inputs(rng, memory_dim=6):
    target = rng.normal(size=(2, 4, 5)).astype("float32")
    memory = rng.normal(size=(2, 6, memory_dim)).astype("float32")
    memory_mask = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]], bool)
    return target, memory, memory_mask


@pytest.mark.parametrize("make", [_bahdanau_gru, _luong_lstm_2_layers], ids=["bahdanau", "luong"])
def test_outputs_and_attention_weights(make):
    target, memory, memory_mask = _inputs(np.random.default_rng(0))
    decoder = make()
    outputs, attention = decoder(target, memory, memory_mask=memory_mask)
    expected_dim = 8 + 6 if decoder.style == "bahdanau" else 8
    assert tuple(outputs.shape) == (2, 4, expected_dim) == decoder.compute_output_shape(target.shape, memory.shape)[0]
    assert tuple(attention.shape) == (2, 4, 6)
    attention = _numpy(attention)
    np.testing.assert_allclose(attention.sum(-1), 1.0, atol=1e-5)
    assert np.all(attention[1, :, 3:] == 0)  # padded memory gets no weight
    only_outputs = decoder(target, memory, memory_mask=memory_mask, return_attention_scores=False)
    np.testing.assert_array_equal(_numpy(only_outputs), _numpy(outputs))


@pytest.mark.parametrize("make", [_bahdanau_gru, _luong_lstm_2_layers], ids=["bahdanau", "luong"])
def test_step_by_step_equals_the_time_loop(make):
    target, memory, memory_mask = _inputs(np.random.default_rng(1))
    decoder = make()
    outputs, attention = (_numpy(t) for t in decoder(target, memory, memory_mask=memory_mask))
    carry = decoder.start(memory, memory_mask=memory_mask)
    for t in range(4):
        output, carry, weights = decoder.step(target[:, t], carry)
        np.testing.assert_allclose(_numpy(output), outputs[:, t], atol=1e-5)
        np.testing.assert_allclose(_numpy(weights), attention[:, t], atol=1e-5)


def test_initial_state_is_used():
    target, memory, _ = _inputs(np.random.default_rng(2))
    decoder = _luong_lstm_2_layers()
    zeros, _ = decoder(target, memory)
    state = [[np.ones((2, 8), "float32"), np.ones((2, 8), "float32")] for _ in range(2)]
    from_state, _ = decoder(target, memory, initial_state=state)
    explicit_zeros, _ = decoder(target, memory, initial_state=[[s * 0 for s in layer] for layer in state])
    np.testing.assert_array_equal(_numpy(explicit_zeros), _numpy(zeros))
    assert not np.allclose(_numpy(from_state), _numpy(zeros))


def test_symbolic_call_gives_both_outputs_with_their_masks():
    target_ids = keras.Input((None,), dtype="int32")
    memory = keras.Input((None, 6))
    states = keras.layers.Embedding(9, 5, mask_zero=True)(target_ids)
    outputs, attention = _bahdanau_gru()(states, memory)
    assert tuple(outputs.shape) == (None, None, 14) and tuple(attention.shape) == (None, None, None)
    only = _bahdanau_gru()(states, memory, return_attention_scores=False)
    assert tuple(only.shape) == (None, None, 14)


def test_run_stacked_cells_keeps_every_state_a_list():
    cells = [keras.layers.LSTMCell(4), keras.layers.GRUCell(3)]
    x = np.ones((2, 5), "float32")
    states = [[np.zeros((2, 4), "float32"), np.zeros((2, 4), "float32")], [np.zeros((2, 3), "float32")]]
    top, new_states = run_stacked_cells(cells, x, states)
    assert tuple(top.shape) == (2, 3)
    assert [len(s) for s in new_states] == [2, 1] and all(isinstance(s, list) for s in new_states)
    np.testing.assert_array_equal(_numpy(new_states[1][0]), _numpy(top))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"cell": "transformer"}, "`cell` must be one of ('rnn', 'gru', 'lstm'), got 'transformer'"),
        ({"style": "dot"}, "`style` must be one of ('bahdanau', 'luong'), got 'dot'"),
        ({"num_layers": 0}, "`num_layers` must be a positive int, got 0"),
        ({"units": 2.5}, "`units` must be a positive int, got 2.5"),
        ({"attentional_activation": "relu"}, "`attentional_activation` must be one of ('tanh', None), got 'relu'"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    arguments = {"cell": "gru", "units": 8, "attention": BahdanauAttention(4), **kwargs}
    with pytest.raises(ValueError, match="AttentionDecoder") as error:
        AttentionDecoder(**arguments)
    assert message in str(error.value)


def test_the_luong_attentional_state_is_the_paper_tanh_or_linear():
    rng = np.random.default_rng(7)
    inputs = rng.normal(size=(2, 1, 5)).astype("float32")  # one step: no input feeding yet
    memory = rng.normal(size=(2, 4, 8)).astype("float32")
    paper = AttentionDecoder("gru", 8, LuongAttention("general"), style="luong")
    linear = AttentionDecoder("gru", 8, LuongAttention("general"), style="luong", attentional_activation=None)
    paper_out, _ = paper(inputs, memory)
    linear(inputs, memory)
    linear.set_weights(paper.get_weights())
    linear_out, _ = linear(inputs, memory)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(paper_out),
                               np.tanh(keras.ops.convert_to_numpy(linear_out)), atol=1e-6)
    config = linear.get_config()
    assert config["attentional_activation"] is None
    del config["attentional_activation"]  # a decoder saved before the option: the paper's tanh
    assert AttentionDecoder.from_config(config).attentional_activation == "tanh"
