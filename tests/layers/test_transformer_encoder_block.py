import keras
import numpy as np
import pytest

from keras_attn.layers import MultiHeadSelfAttention
from keras_attn.layers import TransformerEncoderBlock
from tests.testing import LayerCase
from tests.testing import standard_checks

CASES = [
    LayerCase("encoder_block_post_norm", lambda **kw: TransformerEncoderBlock(2, 16, dropout=0.1, **kw), "self"),
    LayerCase("encoder_block_pre_norm_gelu",
              lambda **kw: TransformerEncoderBlock(2, 16, norm_first=True, activation="gelu", **kw), "self"),
]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


def _layer_norm(x, epsilon=1e-6):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + epsilon)


@pytest.mark.parametrize("norm_first", [False, True])
def test_is_the_residual_arrangement_of_its_sublayers(norm_first):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool)
    block = TransformerEncoderBlock(2, 16, dropout=0.0, norm_first=norm_first)
    out, weights = block(x, mask=mask, return_attention_scores=True)
    attention = MultiHeadSelfAttention(2, 4)
    attention(x)
    attention.set_weights(block.self_attention.get_weights())
    ffn = lambda h: keras.ops.convert_to_numpy(block.feed_forward(h))
    attend = lambda h: keras.ops.convert_to_numpy(attention(h, mask=mask))
    if norm_first:
        h = x + attend(_layer_norm(x))
        expected = h + ffn(_layer_norm(h))
    else:
        h = _layer_norm(x + attend(x))
        expected = _layer_norm(h + ffn(h))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), expected, atol=1e-4)
    assert tuple(weights.shape) == (2, 2, 5, 5)
    assert np.all(keras.ops.convert_to_numpy(weights)[1, :, :3, 3:] == 0)  # padded keys get no weight


def test_bad_block_arguments_name_the_layer():
    with pytest.raises(ValueError, match="TransformerEncoderBlock: `dropout` must be a float in"):
        TransformerEncoderBlock(2, 16, dropout=1.5)
    with pytest.raises(ValueError, match="must be divisible by num_heads=3"):
        TransformerEncoderBlock(3, 16)(np.zeros((1, 2, 8), "float32"))
    with pytest.raises(ValueError, match="TransformerEncoderBlock: `num_heads` must be a positive int, got 0"):
        TransformerEncoderBlock(0, 16)
    with pytest.raises(ValueError, match="TransformerEncoderBlock: `attention_dropout` must be a float in"):
        TransformerEncoderBlock(2, 16, attention_dropout=-0.1)
