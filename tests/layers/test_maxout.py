import keras
import numpy as np
import pytest

from keras_attn.layers import Maxout
from tests.testing import LayerCase
from tests.testing import standard_checks

CASES = [LayerCase("maxout", lambda **kw: Maxout(5, pool_size=3, **kw), "self")]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


def test_each_unit_is_the_max_of_its_own_pool():
    """Goodfellow et al. 2013: h_j = max_{k} z_{jk}, z = x W + b, with unit j's pool consecutive."""
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    layer = Maxout(3, pool_size=2)
    out = keras.ops.convert_to_numpy(layer(x))
    kernel, bias = layer.get_weights()
    z = x @ kernel + bias
    expected = np.stack([np.maximum(z[..., 2 * j], z[..., 2 * j + 1]) for j in range(3)], -1)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert layer.compute_output_shape((None, 7, 4)) == (None, 7, 3)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="Maxout: `units` must be a positive int, got 0"):
        Maxout(0)
    with pytest.raises(ValueError, match="Maxout: `pool_size` must be a positive int, got -1"):
        Maxout(4, pool_size=-1)
