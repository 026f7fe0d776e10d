"""keras_attn.runs.explorer: the explorer page's data from runs, saved translators and
SavedModels, checked against the translator's own outputs."""

import json
import os

import numpy as np
import pytest

from keras_attn import data
from keras_attn import export
from keras_attn import runs
from keras_attn import viz
from keras_attn.data.corpora import ko_en
from keras_attn.runs import explorer
from tests.testing import browser
from tests.testing import untrained_translator

SENTENCES = ["나는 밥을 먹었다", "그녀는 말을 탔어"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Each family's untrained translator saved as a folder: {family: path}."""
    folder = tmp_path_factory.mktemp("explore")
    paths = {}
    for family in ("transformer", "bahdanau", "fixed_context"):
        paths[family] = str(folder / family)
        untrained_translator(family).save(paths[family])
    return paths


def test_a_transformer_shows_every_layer_and_head_and_agrees_with_its_decoder(saved, tmp_path):
    translator = untrained_translator("transformer")
    shown = runs.explore(saved["transformer"], SENTENCES, tmp_path / "page.html", beam_size=1)
    assert (tmp_path / "page.html").is_file()
    layers, heads = len(translator.model.decoder_blocks), 2
    for item, sentence in zip(shown, SENTENCES):
        greedy = translator.attention(sentence, beam_size=1)
        assert item.translation == greedy.translation and item.score == pytest.approx(greedy.score, abs=1e-4)
        assert len(item.maps) == 3 * layers * (heads + 1)
        assert {m.kind for m in item.maps} == {"cross", "encoder_self", "decoder_self"}
        # The teacher-forced last layer's mean over heads is the map decoding used.
        last = next(m for m in item.maps if m.kind == "cross" and m.layer == layers - 1 and m.head is None)
        assert last.row_tokens == greedy.target_tokens and last.column_tokens == greedy.source_tokens
        np.testing.assert_allclose(last.weights, greedy.weights, atol=1e-5)
        heads_of_last = [m.weights for m in item.maps if m.kind == "cross" and m.layer == layers - 1 and m.head is not None]
        np.testing.assert_allclose(np.mean(heads_of_last, axis=0), last.weights, atol=1e-6)
        decoder_self = next(m for m in item.maps if m.kind == "decoder_self" and m.head == 0)
        assert decoder_self.row_tokens[0] == "[START]"
        assert np.allclose(np.triu(decoder_self.weights, 1), 0)  # causal


def test_a_translator_in_memory_shows_what_its_folder_shows(saved, tmp_path):
    translator = runs.load_translator(saved["transformer"])
    in_memory = runs.explore(translator, SENTENCES, tmp_path / "page.html")
    for mine, folders in zip(in_memory, runs.explore(saved["transformer"], SENTENCES)):
        assert (mine.translation, mine.beams) == (folders.translation, folders.beams)
        assert [(m.kind, m.layer, m.head) for m in mine.maps] == [(m.kind, m.layer, m.head) for m in folders.maps]
        for map_in_memory, map_from_folder in zip(mine.maps, folders.maps):
            np.testing.assert_allclose(map_in_memory.weights, map_from_folder.weights, atol=1e-6)
    assert f"Attention explorer: {translator.model.name}" in (tmp_path / "page.html").read_text(encoding="utf-8")


def test_beam_search_lists_every_beam_best_first(saved):
    translator = untrained_translator("bahdanau")  # saved with beam search, 3 beams
    item = runs.explore(saved["bahdanau"], SENTENCES[:1])[0]
    assert item.translation == translator.translate(SENTENCES[:1])[0]
    assert len(item.beams) == 3 and item.beams[0][0] == item.translation
    assert [score for _, score in item.beams] == sorted((score for _, score in item.beams), reverse=True)
    assert [m.kind for m in item.maps] == ["alignment"]
    np.testing.assert_allclose(item.maps[0].weights, translator.attention(SENTENCES[0]).weights, atol=1e-5)


def test_a_saved_model_shows_the_attention_its_signature_returns(saved, tmp_path):
    translator = untrained_translator("bahdanau")
    version = export.export(translator, str(tmp_path / "models"), "bahdanau")
    item = runs.explore(version, SENTENCES[:1], tmp_path / "saved.html")[0]
    assert [m.kind for m in item.maps] == ["attention"] and item.beams == ()
    np.testing.assert_allclose(item.maps[0].weights, translator.attention(SENTENCES[0]).weights, atol=1e-5)
    with pytest.raises(runs.RunError, match="SavedModel"):
        runs.explore(version, SENTENCES[:1], beam_size=2)


def test_what_cannot_be_explored_is_refused_before_writing(saved, tmp_path):
    page = tmp_path / "page.html"
    with pytest.raises(runs.RunError, match="no attention"):
        runs.explore(saved["fixed_context"], SENTENCES, page)
    with pytest.raises(runs.RunError, match="at least one sentence"):
        runs.explore(saved["transformer"], [], page)
    with pytest.raises(runs.RunError, match="none of them blank"):
        runs.explore(saved["transformer"], ["  "], page)
    with pytest.raises(runs.RunError, match="list of sentences"):
        runs.explore(saved["transformer"], "나는 밥을 먹었다", page)
    assert not page.exists()


def test_ko_en_sentences_find_the_grammars_gold_alignment():
    assert ko_en.SEED_EXAMPLE.source == "나는 밥을 먹었다" and ko_en.SEED_EXAMPLE.target == "i ate rice"
    test_pair = next(iter(data.generate("ko-en", "test", size=5, seed=0)))
    found = explorer.ko_en_references(["나는 밥을 먹었다", test_pair.source, "not korean"])
    assert {e.source: e.alignment for e in found} == {"나는 밥을 먹었다": ko_en.SEED_EXAMPLE.alignment,
                                                       test_pair.source: test_pair.alignment}


def test_gold_is_drawn_only_for_a_translation_that_is_the_reference():
    step = viz.AttentionMap("alignment", np.eye(4), ["i", "ate", "rice", "[END]"], ["나는", "밥을", "먹었다", "[END]"])
    right = explorer.with_gold(viz.ExploredTranslation("나는 밥을 먹었다", "i ate rice", -1.0, [step]),
                               ko_en.SEED_EXAMPLE)
    assert right.gold_alignment == ko_en.SEED_EXAMPLE.alignment and right.gold_note is None
    wrong_map = viz.AttentionMap("alignment", np.eye(3), ["i", "ate", "[END]"], ["나는", "밥을", "먹었다"])
    wrong = explorer.with_gold(viz.ExploredTranslation("나는 밥을 먹었다", "i ate", -1.0, [wrong_map]),
                               ko_en.SEED_EXAMPLE)
    assert wrong.gold_alignment is None and "i ate rice" in wrong.gold_note
    viz.explorer_html([right, wrong], pictures=False)  # both draw


def test_a_run_page_loads_in_a_browser_with_its_tokens(saved, tmp_path):
    shown = runs.explore(saved["transformer"], SENTENCES, tmp_path / "page.html", beam_size=1)
    with browser.headless_chromium() as driver:
        driver.get("file://" + os.fspath(tmp_path / "page.html"))
        assert browser.console_errors(driver) == []
        tokens = driver.find_elements("css selector", "#query-tokens .token")
        assert [t.text for t in tokens] == shown[0].maps[0].row_tokens
        assert len(driver.find_elements("css selector", "#key-tokens .token")) == len(shown[0].maps[0].column_tokens)


@pytest.mark.parametrize("name, kinds", [("transformer", {"cross", "encoder_self", "decoder_self"}),
                                         ("bahdanau", {"alignment"})])
def test_the_committed_pages_load_offline_with_their_data(name, kinds):
    """docs/explorer/*.html (made from the quickstart's models): nothing to fetch, no console
    error, the seed sentence's tokens, gold links and AER 0 where the translation is the reference."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "explorer", f"{name}.html")
    page = open(path, encoding="utf-8").read()
    assert "http://" not in page and "https://" not in page
    data = json.loads(page.split('id="explorer-data">')[1].split("</script>")[0])
    seed = data["translations"][0]
    assert seed["source"] == "나는 밥을 먹었다" and seed["translation"] == "i ate rice"
    assert {m["kind"] for m in seed["maps"]} == kinds
    # The map the page opens on (the last layer's mean, or the step map) matches the gold links.
    opening = [m for m in seed["maps"] if m["gold"] and m["head"] is None][-1]
    assert opening["aer"] == 0.0 and opening["gold"] == [[0, 0], [1, 2], [2, 1]]
    with browser.headless_chromium(browser.PHONE) as driver:
        driver.get("file://" + os.path.abspath(path))
        assert browser.console_errors(driver) == []
        assert [t.text for t in driver.find_elements("css selector", "#query-tokens .token")] == [
            "i", "ate", "rice", "[END]"]
