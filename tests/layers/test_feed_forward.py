import keras
import numpy as np
import pytest

from keras_attn.layers import FeedForward
from tests.testing import LayerCase
from tests.testing import standard_checks

CASES = [
    LayerCase("feed_forward", lambda **kw: FeedForward(12, dropout=0.1, **kw), "self"),
    LayerCase("feed_forward_gelu_odd_width", lambda **kw: FeedForward(5, activation="gelu", **kw), "self",
              target_dim=7),
]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


def test_matches_the_papers_formula_at_every_position():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4)).astype("float32")
    ffn = FeedForward(6)
    out = keras.ops.convert_to_numpy(ffn(x))
    w1, b1, w2, b2 = ffn.get_weights()
    np.testing.assert_allclose(out, np.maximum(0, x @ w1 + b1) @ w2 + b2, atol=1e-5)


def test_mask_passes_through():
    ids = keras.Input((None,), dtype="int32")
    states = FeedForward(4)(keras.layers.Embedding(5, 3, mask_zero=True)(ids))
    pooled = keras.layers.GlobalAveragePooling1D()(states)
    model = keras.Model(ids, [states, pooled])
    states_value, pooled_value = (keras.ops.convert_to_numpy(t) for t in model(np.array([[1, 2, 0]], "int32")))
    np.testing.assert_allclose(pooled_value[0], states_value[0, :2].mean(0), atol=1e-6)


def test_bad_arguments_and_shapes_raise():
    with pytest.raises(ValueError, match="FeedForward: `d_ff` must be a positive int, got 0"):
        FeedForward(0)
    with pytest.raises(ValueError, match=r"FeedForward: `dropout` must be a float in \[0, 1\), got 1.0"):
        FeedForward(4, dropout=1.0)
    with pytest.raises(ValueError, match=r"FeedForward layer 'ffn': `inputs` must have rank 3"):
        FeedForward(4, name="ffn")(np.zeros((2, 3), "float32"))
