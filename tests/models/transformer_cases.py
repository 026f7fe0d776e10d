"""Inputs and checks shared by the Transformer family's test modules (the models are fixtures in conftest.py)."""

import keras
import numpy as np


VOCAB = 19
SMALL = dict(num_layers=2, d_model=16, num_heads=2, d_ff=32, dropout=0.0)
# Post-norm with separate embeddings (the paper's layout), and pre-norm with one
# shared, tied matrix (the paper's embedding sharing + the GPT-2 norm placement).
ENC_DEC_CONFIGS = {
    "post_norm": dict(),
    "pre_norm_shared_tied": dict(norm_first=True, share_embeddings=True, tie_output_embedding=True),
    "pre_norm_both_ends": dict(norm_first=True, source_positions="both_ends"),
}
SOURCE = np.array([[5, 6, 7, 8, 2], [9, 4, 2, 0, 0], [3, 10, 3, 11, 2]], "int32")
TARGET_IN = np.array([[1, 5, 6, 7, 8], [1, 4, 9, 0, 0], [1, 12, 13, 14, 15]], "int32")
PROMPTS = np.array([[5, 6, 7], [8, 0, 0], [0, 0, 0]], "int32")
SOURCE_TOKENS = ["s5", "s6", "s7", "s8", "[END]"]
TARGET_TOKENS = ["[START]", "t5", "t6", "t7", "t8"]


def as_numpy(x):
    return keras.ops.convert_to_numpy(x)


def round_trip(model, inputs, tmp_path):
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    assert type(restored) is type(model) and restored.get_config() == model.get_config()
    np.testing.assert_allclose(as_numpy(restored(inputs)), as_numpy(model(inputs)), atol=1e-6)
    return restored


def check_figure(figure, num_heads=2):
    figure.canvas.draw()
    assert [ax.get_title() for ax in figure.axes[:num_heads]] == [f"head {h}" for h in range(num_heads)]
