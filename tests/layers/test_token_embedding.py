import keras
import numpy as np
import pytest

from keras_attn.layers import TokenEmbedding
from tests.testing import LayerCase
from tests.testing import standard_checks

# Wired as the pre-softmax projection (`reverse=True`): the only call whose gradient
# reaches the helper's upstream `Embedding` (int ids cut it). Its logits are float32 by
# design under mixed precision (the Transformer's softmax and loss run on them).
CASES = [
    LayerCase("token_embedding_logits", lambda **kw: TokenEmbedding(11, 8, **kw), "self",
              call_kwargs={"reverse": True}, output_dtype="float32"),
]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_keeps_float32_logits(policy):
    embedding = TokenEmbedding(11, 8, dtype=policy)
    ids = np.array([[1, 2, 0], [3, 0, 0]], "int32")
    states = embedding(ids)
    logits = embedding(states, reverse=True)
    compute_dtype = keras.mixed_precision.Policy(policy).compute_dtype
    assert keras.backend.standardize_dtype(states.dtype) == compute_dtype
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(logits)))
    assert all(keras.backend.standardize_dtype(v.dtype) == "float32" for v in embedding.weights)
    ids_input = keras.Input((None,), dtype="int32")
    spec_states = embedding(ids_input)
    assert keras.backend.standardize_dtype(spec_states.dtype) == compute_dtype
    assert keras.backend.standardize_dtype(embedding(spec_states, reverse=True).dtype) == "float32"


def test_token_embedding_is_scaled_and_reversible():
    embedding = TokenEmbedding(7, 4)
    ids = np.array([[1, 2, 0]], "int32")
    states = keras.ops.convert_to_numpy(embedding(ids))
    table = keras.ops.convert_to_numpy(embedding.embeddings)
    np.testing.assert_allclose(states[0], table[[1, 2, 0]] * 2.0, rtol=1e-6)  # √4
    logits = keras.ops.convert_to_numpy(embedding(states, reverse=True))
    np.testing.assert_allclose(logits, states @ table.T, rtol=1e-5)
    assert keras.backend.standardize_dtype(embedding(states, reverse=True).dtype) == "float32"


def test_embeds_ids_in_a_functional_model_and_saves(tmp_path):
    ids = keras.Input((None,), dtype="int32")
    model = keras.Model(ids, TokenEmbedding(9, 6, name="embedding")(ids))
    assert model.output_shape == (None, None, 6)
    batch = np.array([[1, 8, 0]], "int32")
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(restored(batch)), keras.ops.convert_to_numpy(model(batch))
    )


@pytest.mark.parametrize(
    "layer_kwargs,message",
    [
        ({"vocab_size": 0, "d_model": 4}, "`vocab_size` must be a positive int, got 0"),
        ({"vocab_size": 7, "d_model": 4.0}, "`d_model` must be a positive int, got 4.0"),
        ({"vocab_size": True, "d_model": 4}, "`vocab_size` must be a positive int, got True"),
    ],
)
def test_bad_arguments_raise(layer_kwargs, message):
    with pytest.raises(ValueError, match="TokenEmbedding") as error:
        TokenEmbedding(**layer_kwargs)
    assert message in str(error.value)
