"""The run functions take a `Translator` in memory as they take its saved folder."""

import os

import numpy as np
import pytest

from keras_attn import runs
from tests.testing import save_untrained_run

SENTENCE = "나는 밥을 먹었다"


@pytest.fixture
def run_and_translator(tmp_path):
    """A saved (untrained) Bahdanau run and its translator, loaded once."""
    path = save_untrained_run(tmp_path, "bahdanau")
    return path, runs.load_translator(path)


def test_a_translator_in_memory_decodes_and_draws_as_its_folder(run_and_translator, tmp_path):
    path, translator = run_and_translator
    assert runs.load_translator(translator) is translator
    assert runs.translate(translator, [SENTENCE, ""]) == runs.translate(path, [SENTENCE, ""])
    in_memory = runs.plot_attention(translator, SENTENCE, str(tmp_path / "memory.png"))
    from_folder = runs.plot_attention(path, SENTENCE, str(tmp_path / "folder.png"))
    assert in_memory.translation == from_folder.translation
    np.testing.assert_allclose(in_memory.weights, from_folder.weights, atol=1e-6)
    assert os.path.getsize(tmp_path / "memory.png") > 1000
    assert not runs.is_saved_model(translator)


def test_settings_for_a_translator_in_memory_are_refused(run_and_translator):
    _, translator = run_and_translator
    with pytest.raises(runs.RunError, match=r"settings \['beam_size'\] apply to a translator loaded from a folder"):
        runs.load_translator(translator, beam_size=4)
