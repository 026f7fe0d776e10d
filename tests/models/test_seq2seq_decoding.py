"""The seq2seq family through keras_attn.decoding (which imports no model)."""

import keras
import numpy as np
import pytest

from keras_attn import decoding
from keras_attn import models

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="decoding is TensorFlow code")

VOCAB = 13


@pytest.fixture(scope="module", params=[None, "bahdanau", "luong"], ids=["fixed_context", "bahdanau", "luong"])
def model(request):
    keras.utils.set_random_seed(3)
    return models.seq2seq(VOCAB, VOCAB, cell="gru", attention=request.param, embedding_dim=8, units=16)


SOURCE = np.array([[5, 6, 7, 8, 2], [9, 4, 2, 0, 0], [3, 3, 3, 3, 2]], "int32")


def _greedy(model, max_length=6, **kwargs):
    return decoding.greedy_search(model.step, model.initial_state(SOURCE), 3, max_length, **kwargs)


def test_greedy_equals_argmax_of_the_training_model(model):
    result = _greedy(model)
    tokens = result["tokens"].numpy()
    for row in range(3):
        length = int(result["lengths"][row])
        target_in = np.concatenate([[1], tokens[row, : length - 1]])[None].astype("int32")
        logits = model({"source": SOURCE[row : row + 1], "target_in": target_in})
        np.testing.assert_array_equal(np.argmax(keras.ops.convert_to_numpy(logits)[0], -1), tokens[row, :length])


def test_beam_size_one_equals_greedy(model):
    greedy = _greedy(model)
    beam = decoding.beam_search(model.step, model.initial_state(SOURCE), 3, 6, beam_size=1, length_penalty=0.0)
    np.testing.assert_array_equal(beam["tokens"].numpy(), greedy["tokens"].numpy())
    np.testing.assert_allclose(beam["log_probs"].numpy(), greedy["log_probs"].numpy(), atol=1e-5)


def test_beam_hypotheses_are_in_score_order_with_their_own_attention(model):
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


def test_decoding_traces_in_tf_function_and_compiles_with_xla(model):
    import tensorflow as tf

    eager = _greedy(model)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([], tf.int32)])
    def traced(source, max_length):
        return decoding.greedy_search(model.step, model.initial_state(source), tf.shape(source)[0], max_length)

    @tf.function(jit_compile=True)
    def compiled(source):
        return decoding.beam_search(model.step, model.initial_state(source), 3, 6, beam_size=1, length_penalty=0.0)

    for result in (traced(SOURCE, tf.constant(6)), compiled(SOURCE)):
        np.testing.assert_array_equal(result["tokens"].numpy(), eager["tokens"].numpy())
