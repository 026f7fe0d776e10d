import pytest

from keras_attn import experiments


@pytest.mark.slow
def test_bahdanau_learns_the_seed_sentence_and_its_alignment():
    study = experiments.ko_en_alignment_study(train_size=12_000, test_size=200, epochs=4, verbose=0)
    assert study["translation"] == "i ate rice"
    assert study["argmax"]["ate"] == "먹었다" and study["argmax"]["rice"] == "밥을"
    assert study["attention"].shape == (4, 4)  # i ate rice [END] x 나는 밥을 먹었다 [END]
    assert study["bleu"] > 80 and study["aer"] < 0.3
