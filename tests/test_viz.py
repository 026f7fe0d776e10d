"""Tests for keras_attn.viz.

Rendering is checked through matplotlib itself: a missing glyph makes the Agg
renderer warn "Glyph ... missing from font(s)", so saving with warnings turned into
errors proves every Hangul label was drawn with a real glyph.
"""

import dataclasses
import json
import struct
import sys
import warnings

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf
from matplotlib import figure as mpl_figure
from matplotlib import font_manager
from matplotlib import ft2font

from keras_attn import metrics
from keras_attn import viz
from tests.testing import browser

SOURCE = ["i", "ate", "rice", "."]
TARGET = ["나는", "밥을", "먹었다", "."]


def attention(target_length, source_length, seed=0):
    logits = np.random.default_rng(seed).normal(size=(target_length, source_length))
    weights = np.exp(logits)
    return weights / weights.sum(axis=-1, keepdims=True)


def png_size(path):
    """(width, height) in pixels, read from the PNG header."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def save_strictly(figure, path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure.savefig(path)


@pytest.fixture
def fresh_font_search():
    """Repeats the font search in the test and forgets its result afterwards."""
    viz.korean_font.cache_clear()
    yield
    viz.korean_font.cache_clear()


# --- fonts -------------------------------------------------------------------


def test_korean_font_has_hangul_glyphs():
    family = viz.korean_font()
    assert family is not None, "no Korean font: pip install koreanize-matplotlib"
    path = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    font = ft2font.FT2Font(path)
    assert all(font.get_char_index(ord(char)) != 0 for char in "밥을 먹었다")


def test_korean_font_leaves_global_settings_alone(fresh_font_search):
    family_before = list(matplotlib.rcParams["font.family"])
    minus_before = matplotlib.rcParams["axes.unicode_minus"]
    imported_before = "koreanize_matplotlib" in sys.modules
    viz.korean_font()
    # Importing koreanize_matplotlib would switch every figure to NanumGothic.
    assert ("koreanize_matplotlib" in sys.modules) == imported_before
    assert matplotlib.rcParams["font.family"] == family_before
    assert matplotlib.rcParams["axes.unicode_minus"] == minus_before


def test_missing_font_falls_back_with_a_warning(fresh_font_search, monkeypatch, tmp_path):
    monkeypatch.setattr(viz, "_bundled_font_files", lambda: [])
    monkeypatch.setattr(viz, "_search_font_manager", lambda: None)
    with pytest.warns(UserWarning, match="boxes") as record:
        assert viz.korean_font() is None
    message = next(str(w.message) for w in record if "boxes" in str(w.message))
    assert "pip install koreanize-matplotlib" in message
    assert "apt-get install fonts-nanum" in message
    # Plotting still works, with the default font, which lacks the glyphs.
    figure = viz.attention_heatmap(attention(4, 4), SOURCE, TARGET)
    with pytest.warns(UserWarning, match="Glyph .* missing"):
        figure.savefig(tmp_path / "boxes.png")


def test_family_without_hangul_is_rejected(fresh_font_search, monkeypatch):
    # DejaVu Sans is always known to matplotlib but has no Hangul.
    monkeypatch.setattr(viz, "_bundled_font_files", lambda: [])
    monkeypatch.setattr(viz, "_KOREAN_FAMILIES", ("DejaVu Sans",))
    with pytest.warns(UserWarning, match="boxes"):
        assert viz.korean_font() is None


def test_latin_only_plots_do_not_look_for_a_korean_font(monkeypatch, tmp_path):
    def fail():
        raise AssertionError("korean_font() called for Latin-only text")

    monkeypatch.setattr(viz, "korean_font", fail)
    viz.attention_heatmap(attention(2, 3), ["a", "b", "c"], ["x", "y"], path=tmp_path / "a.png")


# --- attention_heatmap -------------------------------------------------------


def test_heatmap_labels_are_the_tokens(tmp_path):
    figure = viz.attention_heatmap(attention(4, 4), SOURCE, TARGET, title="밥 example")
    assert isinstance(figure, mpl_figure.Figure)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == SOURCE
    assert [t.get_text() for t in ax.get_yticklabels()] == TARGET
    assert all(t.get_rotation() == 90 for t in ax.get_xticklabels())
    assert len(figure.axes) == 2  # the heatmap and its colorbar
    image = ax.get_images()[0]
    assert image.get_clim() == (0.0, 1.0)
    # The font is fixed when the labels are created, so saving later, outside the
    # library call, still draws real Hangul glyphs.
    assert viz.korean_font() in ax.get_yticklabels()[0].get_fontfamily()
    save_strictly(figure, tmp_path / "later.png")


def test_heatmap_saves_png_shaped_like_the_matrix(tmp_path):
    wide = tmp_path / "new" / "dir" / "wide.png"
    source = [f"s{i}" for i in range(9)]
    figure = viz.attention_heatmap(attention(3, 9), source, TARGET[:3], path=wide)
    assert isinstance(figure, mpl_figure.Figure)
    width, height = png_size(wide)
    assert width > height

    tall = tmp_path / "tall.png"
    viz.attention_heatmap(attention(9, 3), SOURCE[:3], [f"목표{i}" for i in range(9)], path=tall)
    width, height = png_size(tall)
    assert height > width
    assert tall.stat().st_size > 1000


def test_heatmap_accepts_tensors_bytes_and_an_existing_axes(tmp_path):
    weights = keras.ops.convert_to_tensor(attention(4, 4).astype("float32"))
    figure = mpl_figure.Figure()
    ax = figure.add_subplot()  # made outside the library: its labels need the font set
    target = tf.constant(TARGET)  # decodes to UTF-8 bytes
    returned = viz.attention_heatmap(weights, [t.encode() for t in SOURCE], target, ax=ax)
    assert returned is figure
    assert [t.get_text() for t in ax.get_yticklabels()] == TARGET
    save_strictly(figure, tmp_path / "ax.png")


def test_heatmap_self_attention_reuses_source_tokens():
    figure = viz.attention_heatmap(attention(4, 4), TARGET)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == TARGET
    assert [t.get_text() for t in ax.get_xticklabels()] == TARGET


def test_heatmap_shape_mismatch_names_argument_and_shapes():
    with pytest.raises(ValueError, match=r"`source_tokens` has 3 tokens .* 4 positions .*\(4, 4\)"):
        viz.attention_heatmap(attention(4, 4), SOURCE[:3], TARGET)
    with pytest.raises(ValueError, match=r"`target_tokens` has 5 tokens .* 4 positions"):
        viz.attention_heatmap(attention(4, 4), SOURCE, TARGET + ["끝"])


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(4) / 4, r"2-D .* got shape \(4,\)"),
        (np.ones((1, 4, 4)) / 4, "2-D"),
        (np.full((4, 4), 2.0), r"\[0, 1\]"),
        (np.full((4, 4), np.nan), r"\[0, 1\]"),
    ],
)
def test_heatmap_rejects_bad_weights(weights, message):
    with pytest.raises(ValueError, match=message):
        viz.attention_heatmap(weights, SOURCE, TARGET)


def test_heatmap_rejects_a_sentence_string_or_nested_tokens():
    with pytest.raises(TypeError, match="split"):
        viz.attention_heatmap(attention(4, 4), "i ate rice .", TARGET)
    with pytest.raises(ValueError, match=r"`target_tokens` must be a flat .* \(2, 2\)"):
        viz.attention_heatmap(attention(4, 4), SOURCE, [TARGET[:2], TARGET[2:]])


# --- other figures -----------------------------------------------------------


def test_multi_head_heatmaps_grid(tmp_path):
    weights = np.stack([attention(4, 3, seed) for seed in range(6)])
    path = tmp_path / "heads.png"
    figure = viz.multi_head_heatmaps(weights, SOURCE[:3], TARGET, path=path, title="교차 주의")
    heads = [ax for ax in figure.axes if ax.get_title().startswith("head")]
    assert [ax.get_title() for ax in heads] == [f"head {h}" for h in range(6)]
    assert len(figure.axes) == 7  # two empty slots of the 4-column grid are removed
    # Tokens on the outer axes only: source on the first row, target on the first column.
    assert [t.get_text() for t in heads[0].get_xticklabels()] == SOURCE[:3]
    assert heads[4].get_yticklabels()[0].get_visible()
    assert not any(t.get_visible() for t in heads[5].get_yticklabels())
    assert not any(t.get_visible() for t in heads[5].get_xticklabels())
    width, height = png_size(path)
    assert width > height
    save_strictly(figure, tmp_path / "again.png")


def test_multi_head_heatmaps_rejects_bad_input():
    with pytest.raises(ValueError, match="3-D"):
        viz.multi_head_heatmaps(attention(4, 4), SOURCE, TARGET)
    with pytest.raises(ValueError, match="no heads"):
        viz.multi_head_heatmaps(np.zeros((0, 4, 4)), SOURCE, TARGET)
    with pytest.raises(ValueError, match="`source_tokens` has 4 tokens"):
        viz.multi_head_heatmaps(np.full((2, 4, 5), 0.2), SOURCE, TARGET)


def sinusoid_table(positions, depth):
    angles = np.arange(positions)[:, None] / 10000 ** (2 * (np.arange(depth)[None, :] // 2) / depth)
    return np.where(np.arange(depth) % 2 == 0, np.sin(angles), np.cos(angles))


def test_positional_encoding_plot(tmp_path):
    path = tmp_path / "pe.png"
    figure = viz.positional_encoding_plot(sinusoid_table(50, 32), path=path)
    image_ax, curve_ax, _ = figure.axes  # the colorbar comes last
    assert image_ax.get_images()[0].get_array().shape == (50, 32)
    # Default curves: even features spread over the first quarter of the depth.
    assert [line.get_label() for line in curve_ax.get_lines()] == [
        "dim 0", "dim 2", "dim 6", "dim 8"
    ]
    assert png_size(path)[0] > 0
    assert len(viz.positional_encoding_plot(sinusoid_table(5, 4), dimensions=()).axes) == 2
    with pytest.raises(ValueError, match=r"\[0, 4\).*\[4\]"):
        viz.positional_encoding_plot(sinusoid_table(5, 4), dimensions=[1, 4])
    with pytest.raises(ValueError, match="2-D"):
        viz.positional_encoding_plot(np.zeros(5))


def test_training_curves_from_history(tmp_path):
    history = keras.callbacks.History()
    history.history = {
        "loss": [2.0, 1.5, 1.2, 1.0],
        "accuracy": [0.2, 0.4, 0.5, 0.6],
        "val_loss": [2.1, 1.4],  # validation_freq=2
        "val_accuracy": [0.3, 0.5],
    }
    path = tmp_path / "curves.png"
    figure = viz.training_curves(history, path=path)
    assert [ax.get_title() for ax in figure.axes] == ["loss", "accuracy"]
    train, valid = figure.axes[0].get_lines()
    assert (train.get_label(), valid.get_label()) == ("train", "validation")
    assert list(train.get_xdata()) == [1, 2, 3, 4]
    assert list(valid.get_xdata()) == [2, 4]
    assert png_size(path)[0] > png_size(path)[1]


def test_training_curves_selects_metrics_and_validates():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.9], "learning_rate": [0.1, 0.1]}
    figure = viz.training_curves(history, metrics=["learning_rate"])
    assert [ax.get_title() for ax in figure.axes] == ["learning_rate"]
    assert [line.get_label() for line in figure.axes[0].get_lines()] == ["train"]
    with pytest.raises(ValueError, match=r"\['bleu'\] not found .*'val_loss'"):
        viz.training_curves(history, metrics=["loss", "bleu"])
    with pytest.raises(ValueError, match="no values"):
        viz.training_curves({"loss": []})
    with pytest.raises(TypeError, match="History"):
        viz.training_curves([1.0, 0.5])


def test_accuracy_vs_length_plot_from_mapping_and_rows(tmp_path):
    path = tmp_path / "bottleneck.png"
    mapping = {"seq2seq": [(30, 0.1), (10, 0.6), (20, 0.3)], "어텐션": [(10, 0.7), (30, 0.6)]}
    figure = viz.accuracy_vs_length_plot(mapping, path=path, metric="bleu")
    ax = figure.axes[0]
    assert ax.get_ylabel() == "BLEU"
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["seq2seq"].get_xdata()) == [10, 20, 30]
    assert list(lines["seq2seq"].get_ydata()) == [0.6, 0.3, 0.1]
    assert png_size(path)[0] > png_size(path)[1]
    save_strictly(figure, tmp_path / "again.png")

    rows = [
        {"model": "seq2seq", "length": 20, "value": 0.3},
        {"model": "seq2seq", "length": 10, "value": 0.6},
        {"model": "attention", "length": 10, "exact_match": 0.7},
    ]
    figure = viz.accuracy_vs_length_plot(rows)
    ax = figure.axes[0]
    assert ax.get_ylabel() == "exact match"
    assert [line.get_label() for line in ax.get_lines()] == ["seq2seq", "attention"]
    assert list(ax.get_lines()[0].get_xdata()) == [10, 20]


def test_accuracy_vs_length_plot_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        viz.accuracy_vs_length_plot({})
    with pytest.raises(ValueError, match="empty"):
        viz.accuracy_vs_length_plot({"a": []})
    with pytest.raises(ValueError, match=r"\(length, value\) pairs"):
        viz.accuracy_vs_length_plot({"a": [(1, 0.5, 3)]})
    with pytest.raises(ValueError, match=r"`results\[0\]` lacks the keys \['length'\]"):
        viz.accuracy_vs_length_plot([{"model": "a", "value": 0.5}])


# The attention explorer page ----------------------------------------------------------------

KO = ["나는", "밥을", "먹었다", "[END]"]
EN = ["i", "ate", "rice", "[END]"]
READ = ["[START]", "i", "ate", "rice"]


def transformer_like_maps(layers=2, heads=2):
    """Every map a 2-layer, 2-head Transformer has, each head's weights different."""
    maps = []
    axes = {"cross": (EN, KO), "encoder_self": (KO, KO), "decoder_self": (READ, READ)}
    for kind_index, (kind, (rows, columns)) in enumerate(axes.items()):
        for layer in range(layers):
            per_head = [attention(len(rows), len(columns), seed=100 * kind_index + 10 * layer + head)
                        for head in range(heads)]
            if kind == "decoder_self":
                per_head = [np.tril(w) / np.tril(w).sum(-1, keepdims=True) for w in per_head]
            maps.append(viz.AttentionMap(kind, np.mean(per_head, axis=0), rows, columns, layer))
            maps += [viz.AttentionMap(kind, w, rows, columns, layer, head) for head, w in enumerate(per_head)]
    return maps


def explored_pages():
    """A Transformer-like page of two sentences and an RNN page with gold links and beams."""
    transformer = [
        viz.ExploredTranslation("나는 밥을 먹었다", "i ate rice", -0.42, transformer_like_maps()),
        viz.ExploredTranslation("밥을 먹었다", "ate rice", -0.3,
                                [viz.AttentionMap("cross", attention(3, 3, 7), EN[1:], KO[1:], 0)]),
    ]
    step = np.array([[0.9, 0.05, 0.03, 0.02], [0.1, 0.1, 0.75, 0.05], [0.05, 0.8, 0.1, 0.05],
                     [0.1, 0.1, 0.1, 0.7]])
    rnn = [viz.ExploredTranslation("나는 밥을 먹었다", "i ate rice", -0.12, [viz.AttentionMap("alignment", step, EN, KO)],
                                   reference="i ate rice", gold_alignment=((0, 0), (1, 2), (2, 1)),
                                   beams=(("i ate rice", -0.1), ("i ate the rice", -0.9)))]
    return transformer, rnn


def test_explorer_page_is_self_contained_and_holds_its_data(tmp_path):
    transformer, rnn = explored_pages()
    path = tmp_path / "page.html"
    page = viz.explorer_html(transformer, path, title="a <b>title</b>")
    assert path.read_text(encoding="utf-8") == page
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    assert "a &lt;b&gt;title&lt;/b&gt;" in page and "<b>title" not in page
    assert 'src="data:' not in page.replace('src = "data:', "")  # the only pictures are inline data URIs
    data = json.loads(page.split('id="explorer-data">')[1].split("</script>")[0])
    assert [t["source"] for t in data["translations"]] == ["나는 밥을 먹었다", "밥을 먹었다"]
    assert len(data["translations"][0]["maps"]) == 3 * 2 * 3
    assert data["translations"][0]["picture"].startswith("data:image/png;base64,")
    first = data["translations"][0]["maps"][0]
    np.testing.assert_allclose(first["weights"], transformer[0].maps[0].weights, atol=1e-5)
    # Text that would close the script element is escaped in the inline JSON.
    hostile = viz.ExploredTranslation("</script><script>alert(1)</script>", "x", 0.0,
                                      [viz.AttentionMap("alignment", np.ones((1, 1)), ["</script>"], ["x"])])
    assert "</script><script>alert" not in viz.explorer_html([hostile], pictures=False)


def test_explorer_scores_the_gold_alignment_with_the_corpus_aer():
    _, rnn = explored_pages()
    page = viz.explorer_html(rnn, pictures=False)
    data = json.loads(page.split('id="explorer-data">')[1].split("</script>")[0])
    shown = data["translations"][0]["maps"][0]
    assert shown["gold"] == [[0, 0], [1, 2], [2, 1]]
    # The argmax links of the step map, (0,0) (1,2) (2,1), are the gold ones: AER 0.
    assert shown["aer"] == pytest.approx(metrics.alignment_error_rate([{(0, 0), (1, 2), (2, 1)}], [rnn[0].gold_alignment]))
    assert shown["aer"] == 0.0
    wrong = dataclasses.replace(rnn[0], gold_alignment=((0, 1), (1, 2), (2, 1)))
    data = json.loads(viz.explorer_html([wrong], pictures=False).split('id="explorer-data">')[1].split("</script>")[0])
    assert data["translations"][0]["maps"][0]["aer"] == pytest.approx(1 - 4 / 6)


@pytest.mark.parametrize("bad, message", [
    ([], "no translation"),
    (["not a translation"], "must be an ExploredTranslation"),
    ([viz.ExploredTranslation("a", "b", 0.0, [])], "no attention map"),
    ([viz.ExploredTranslation("a", "b", 0.0, [viz.AttentionMap("heads", np.ones((1, 1)), ["b"], ["a"])])],
     "unknown map kind"),
    ([viz.ExploredTranslation("a", "b", 0.0, [viz.AttentionMap("cross", np.ones((2, 1)), ["b"], ["a"])])],
     "has 1 tokens"),
    ([viz.ExploredTranslation("a", "b", 0.0, [viz.AttentionMap("cross", np.ones((1, 1)), ["b"], ["a"])],
                              gold_alignment=((0, 3),))], "outside"),
])
def test_explorer_refuses_what_it_cannot_draw(bad, message):
    with pytest.raises((ValueError, TypeError), match=message):
        viz.explorer_html(bad, pictures=False)


def page_file(tmp_path, translations, name):
    path = tmp_path / name
    viz.explorer_html(translations, path)
    return "file://" + str(path)


def test_explorer_page_in_a_real_browser(tmp_path):
    transformer, rnn = explored_pages()
    url = page_file(tmp_path, transformer, "transformer.html")
    with browser.headless_chromium(browser.DESKTOP) as driver:
        driver.get(url)
        assert browser.console_errors(driver) == []
        queries = driver.find_elements("css selector", "#query-tokens .token")
        assert [q.text for q in queries] == EN
        assert len(driver.find_elements("css selector", "#key-tokens .token")) == len(KO)
        # The page opens on the last layer's cross-attention, mean of heads.
        shown = next(m for m in transformer[0].maps if m.kind == "cross" and m.layer == 1 and m.head is None)
        for row in (2, 0, 3):
            browser.hover(driver, driver.find_elements("css selector", "#query-tokens .token")[row])
            keys = driver.find_elements("css selector", "#key-tokens .token")
            np.testing.assert_allclose(browser.weights_of(keys), shown.weights[row], atol=1e-5)
        # The selectors switch maps: encoder self-attention, layer 1, head 2.
        browser.select_value(driver, "kind", "encoder_self")
        browser.select_value(driver, "layer", 0)
        browser.select_value(driver, "head", 1)
        wanted = next(m for m in transformer[0].maps if m.kind == "encoder_self" and m.layer == 0 and m.head == 1)
        cells = driver.find_elements("css selector", "#heatmap tbody tr td")
        np.testing.assert_allclose(np.reshape(browser.weights_of(cells), wanted.weights.shape), wanted.weights,
                                   atol=1e-5)
        assert [q.text for q in driver.find_elements("css selector", "#query-tokens .token")] == KO
        # The keyboard moves through the tokens.
        first = driver.find_elements("css selector", "#query-tokens .token")[0]
        first.send_keys(browser.ARROW_RIGHT)
        assert driver.switch_to.active_element.get_attribute("data-row") == "1"
        keys = driver.find_elements("css selector", "#key-tokens .token")
        np.testing.assert_allclose(browser.weights_of(keys), wanted.weights[1], atol=1e-5)
        # The second sentence has one map, so the layer and head choices hide.
        browser.select_value(driver, "sentence", 1)
        assert driver.find_element("id", "translation-text").text == "ate rice"
        assert not driver.find_element("id", "head-control").is_displayed()
        driver.save_screenshot(str(tmp_path / "desktop.png"))
        assert browser.console_errors(driver) == []


def test_explorer_page_with_gold_and_beams_at_phone_width(tmp_path):
    _, rnn = explored_pages()
    with browser.headless_chromium(browser.PHONE) as driver:
        driver.get(page_file(tmp_path, rnn, "rnn.html"))
        assert browser.console_errors(driver) == []
        assert not driver.find_element("id", "sentence-control").is_displayed()
        assert not driver.find_element("id", "layer-control").is_displayed()
        gold_cells = driver.find_elements("css selector", "#heatmap td.gold-link")
        assert sorted((int(c.find_element("xpath", "..").get_attribute("data-row")), int(c.get_attribute("data-column")))
                      for c in gold_cells) == [(0, 0), (1, 2), (2, 1)]
        assert "0.000" in driver.find_element("id", "aer-text").text
        assert [b.text for b in driver.find_elements("css selector", "#beams li")] == [
            "i ate rice (score -0.100)", "i ate the rice (score -0.900)"]
        # Tapping a token works as hovering does.
        driver.find_elements("css selector", "#query-tokens .token")[1].click()
        keys = driver.find_elements("css selector", "#key-tokens .token")
        np.testing.assert_allclose(browser.weights_of(keys), rnn[0].maps[0].weights[1], atol=1e-5)
        # Nothing but the heatmap's own box scrolls sideways at phone width.
        assert driver.execute_script("return document.documentElement.scrollWidth") <= browser.PHONE[0]
        driver.save_screenshot(str(tmp_path / "phone.png"))
        assert (tmp_path / "phone.png").stat().st_size > 10_000
