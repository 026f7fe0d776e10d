"""Figures for attention maps, positional encodings and training results.

All functions take numpy arrays (or anything `np.asarray` accepts, such as eager
tensors) and plain Python containers, build a `matplotlib.figure.Figure` without
going through `pyplot`, and return it. Such figures are not registered with a GUI
backend, so nothing pops up, nothing needs closing, and they are freed like any
other object; in a notebook, a returned figure displays as the cell's value. With
`path`, the figure is also written to disk (PNG unless the suffix says otherwise).

`explorer_html` writes the attention explorer: one self-contained HTML page (data,
script and style inline, nothing fetched) in which a reader moves through the
attention of translations, token by token, layer by layer and head by head.

Korean tokens need a font with Hangul glyphs, which matplotlib does not ship.
`korean_font` finds one (see there); labels are drawn with the default font first
and that font as a per-glyph fallback, so Latin text looks the same as elsewhere.
"""

import base64
import collections.abc
import contextlib
import dataclasses
import functools
import html
import importlib.resources
import importlib.util
import io
import json
import math
import pathlib
import string
import typing
import warnings

import matplotlib
import numpy as np
from matplotlib import figure as mpl_figure
from matplotlib import font_manager
from matplotlib import ft2font
from matplotlib import ticker

from keras_attn import files
from keras_attn import metrics
from keras_attn.version import __version__

# Known families with Hangul glyphs, in order of preference. The Noto/Source Han
# CJK families carry every CJK script whatever their region suffix.
_KOREAN_FAMILIES = (
    "NanumGothic",
    "NanumBarunGothic",
    "Noto Sans CJK KR",
    "Noto Sans KR",
    "Source Han Sans KR",
    "Malgun Gothic",
    "Apple SD Gothic Neo",
    "AppleGothic",
    "UnDotum",
    "Baekmuk Gulim",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Source Han Sans",
)
_HANGUL_PROBE = "밥"
# Hangul Jamo, CJK punctuation/kana/compatibility Jamo/ideographs, Jamo
# extensions, Hangul syllables, compatibility ideographs and full-width forms.
_CJK_RANGES = (
    (0x1100, 0x11FF),
    (0x2E80, 0x9FFF),
    (0xA960, 0xA97F),
    (0xAC00, 0xD7FF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
)
_NO_FONT_MESSAGE = (
    "No font with Korean (Hangul) glyphs was found, so Korean text will render as "
    "empty boxes. Fix it with `pip install koreanize-matplotlib` (its bundled "
    "NanumGothic files are used directly), or install a system font, e.g. "
    "`apt-get install fonts-nanum`, then delete matplotlib's font cache in "
    "matplotlib.get_cachedir() and restart Python."
)
_CELL_INCHES = 0.4  # size of one heatmap cell
_DPI = 150
# Softmax outputs in float16 can overshoot 1 by a few ulps; anything further out of
# [0, 1] is not a probability (most likely raw scores were passed).
_WEIGHT_TOLERANCE = 1e-3


def _bundled_font_files():
    """The .ttf files shipped in the `koreanize_matplotlib` package, if installed."""
    # find_spec locates the package without executing it: importing it would
    # change the global rcParams (font family, unicode minus) as a side effect.
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return []
    files = []
    for location in spec.submodule_search_locations:
        files.extend(sorted(pathlib.Path(location, "fonts").glob("*.ttf")))
    return files


def _has_hangul(font_path):
    try:
        return ft2font.FT2Font(str(font_path)).get_char_index(ord(_HANGUL_PROBE)) != 0
    except (OSError, RuntimeError, ValueError):
        return False


def _search_font_manager():
    """The first family of `_KOREAN_FAMILIES` known to matplotlib that has Hangul."""
    paths_by_family = collections.defaultdict(list)
    for entry in font_manager.fontManager.ttflist:
        paths_by_family[entry.name].append(entry.fname)
    for family in _KOREAN_FAMILIES:
        # Trust the glyph table, not the name: a cached entry may point to a
        # subset font or to a file that no longer exists.
        if any(_has_hangul(path) for path in paths_by_family.get(family, ())):
            return family
    return None


@functools.cache
def korean_font():
    """Finds a font family that can draw Korean text, registering one if needed.

    The font files bundled with the `koreanize-matplotlib` package (NanumGothic)
    are registered with matplotlib's font manager if that package is installed;
    it is located without being imported, so its global rcParams changes do not
    happen. Then the font manager is searched for known Korean-capable families
    (NanumGothic, Noto Sans CJK KR, Malgun Gothic, AppleGothic, ...), accepting
    a family only if its file really contains Hangul glyphs.

    The search runs once per process; call `korean_font.cache_clear()` to repeat
    it, e.g. after installing a font.

    Returns:
        The family name (a string usable as `fontfamily=`), or `None` after a
        `UserWarning` explaining how to install a font if there is none.

    Example:

    >>> korean_font()  # doctest: +SKIP
    'NanumGothic'
    """
    registered = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in _bundled_font_files():
        if str(path) not in registered:
            font_manager.fontManager.addfont(str(path))
    family = _search_font_manager()
    if family is None:
        warnings.warn(_NO_FONT_MESSAGE, UserWarning, stacklevel=2)
    return family


def _needs_cjk_font(texts):
    return any(
        first <= ord(char) <= last
        for text in texts
        for char in str(text)
        for first, last in _CJK_RANGES
    )


def _font_context(texts):
    """A context in which `texts` render, adding a Korean fallback font if needed.

    Text objects copy the font family from rcParams when they are created, so the
    figure keeps the font after the context exits.
    """
    if not _needs_cjk_font(texts):
        return contextlib.nullcontext()
    family = korean_font()
    if family is None:
        return contextlib.nullcontext()
    families = [name for name in matplotlib.rcParams["font.family"] if name != family]
    return matplotlib.rc_context({"font.family": [*families, family]})


def _save(figure, path):
    if path is not None:
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=_DPI)
    return figure


def _check_tokens(name, tokens):
    """Returns `tokens` as a list of strings (bytes are decoded as UTF-8)."""
    if tokens is None or isinstance(tokens, (str, bytes)):
        raise TypeError(
            f"`{name}` must be a sequence of tokens, e.g. `sentence.split()`; "
            f"got {type(tokens).__name__}."
        )
    # Through numpy so that a tf.string tensor of tokens works too.
    array = np.asarray(tokens, dtype=object)
    if array.ndim != 1:
        raise ValueError(
            f"`{name}` must be a flat sequence of tokens; got shape {array.shape}."
        )
    return [token.decode("utf-8") if isinstance(token, bytes) else str(token) for token in array]


def _check_weights(weights, rank, layout):
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != rank:
        raise ValueError(f"`weights` must be {layout}; got shape {weights.shape}.")
    if weights.size and (
        not np.all(np.isfinite(weights))
        or weights.min() < -_WEIGHT_TOLERANCE
        or weights.max() > 1 + _WEIGHT_TOLERANCE
    ):
        raise ValueError(
            "`weights` must be attention probabilities in [0, 1] (after the "
            f"softmax); got values in [{weights.min()}, {weights.max()}]."
        )
    return weights


def _check_token_axes(weights, source_tokens, target_tokens):
    """Matches token lists against the last two axes of `weights`."""
    source_tokens = _check_tokens("source_tokens", source_tokens)
    if target_tokens is None:
        target_tokens = source_tokens
    else:
        target_tokens = _check_tokens("target_tokens", target_tokens)
    target_size, source_size = weights.shape[-2:]
    for name, tokens, size, axis in (
        ("source_tokens", source_tokens, source_size, "last"),
        ("target_tokens", target_tokens, target_size, "second-to-last"),
    ):
        if len(tokens) != size:
            raise ValueError(
                f"`{name}` has {len(tokens)} tokens but the {axis} axis of `weights` "
                f"has {size} positions (weights shape {weights.shape}). Slice padded "
                "weights to the true lengths first."
            )
    return source_tokens, target_tokens


def _draw_heatmap(
    ax, weights, source_tokens, target_tokens, x_labels=True, y_labels=True, title=None
):
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, interpolation="nearest")
    # Tick labels and the title already exist if the caller made `ax`, so they do
    # not pick up the font of `_font_context` by themselves.
    font = {"fontfamily": list(matplotlib.rcParams["font.family"])}
    # Source along the top, as in Bahdanau et al. (2015), so the map reads like
    # the source sentence above its translation.
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xticks(np.arange(len(source_tokens)), labels=source_tokens, rotation=90, **font)
    ax.set_yticks(np.arange(len(target_tokens)), labels=target_tokens, **font)
    ax.tick_params(labeltop=x_labels, labelbottom=False, labelleft=y_labels, length=0)
    if x_labels:
        ax.set_xlabel("source")
    if y_labels:
        ax.set_ylabel("target")
    if title:
        ax.set_title(title, **font)
    return image


def _heatmap_inches(source_length, target_length):
    # Room for rotated labels on top and the colorbar on the right.
    width = max(3.0, _CELL_INCHES * source_length + 2.5)
    height = max(2.5, _CELL_INCHES * target_length + 1.8)
    return width, height


def attention_heatmap(weights, source_tokens, target_tokens=None, ax=None, title=None, path=None):
    """Plots one attention map with the tokens on its axes.

    Row `t` shows how target token `t` distributes its attention over the source
    tokens. Colours are fixed to the range [0, 1], so maps of different sentences
    and models are directly comparable.

    Args:
        weights: `[target_length, source_length]` attention probabilities, a numpy
            array or anything `np.asarray` accepts. Slice padding off first.
        source_tokens: the `source_length` source tokens (strings or UTF-8 bytes),
            shown along the top.
        target_tokens: the `target_length` target tokens, shown down the left
            side; `None` for self-attention (same as `source_tokens`).
        ax: an existing `matplotlib.axes.Axes` to draw into; by default a new
            figure sized to the number of tokens is created.
        title: an optional title.
        path: if given, the figure is saved there (parent folders are created).

    Returns:
        The `matplotlib.figure.Figure` holding the plot (`ax.figure` if `ax` was
        given).

    Raises:
        ValueError: if `weights` is not 2-D, holds values outside [0, 1], or a
            token list does not match its axis.

    Example:

    >>> import numpy as np
    >>> w = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    >>> fig = attention_heatmap(w, ["i", "eat"], ["밥", "을", "먹어"])
    >>> [label.get_text() for label in fig.axes[0].get_yticklabels()]
    ['밥', '을', '먹어']
    """
    weights = _check_weights(weights, 2, "a 2-D [target_length, source_length] array")
    source_tokens, target_tokens = _check_token_axes(weights, source_tokens, target_tokens)
    with _font_context([*source_tokens, *target_tokens, title or ""]):
        if ax is None:
            figure = mpl_figure.Figure(
                figsize=_heatmap_inches(len(source_tokens), len(target_tokens)),
                layout="constrained",
            )
            ax = figure.add_subplot()
        else:
            figure = ax.figure
        image = _draw_heatmap(ax, weights, source_tokens, target_tokens, title=title)
        figure.colorbar(image, ax=ax, label="attention weight")
        return _save(figure, path)


def multi_head_heatmaps(weights, source_tokens, target_tokens=None, path=None, title=None):
    """Plots the attention maps of all heads of one layer side by side.

    Useful for the three kinds of Transformer attention: encoder self-attention
    (source × source), decoder self-attention (target × target, causal) and
    cross-attention (target × source). Heads are laid out up to four per row,
    sharing one colour scale over [0, 1]; tokens are labelled on the outer axes.

    Args:
        weights: `[num_heads, target_length, source_length]` attention
            probabilities of one example.
        source_tokens: the `source_length` tokens attended to (the keys).
        target_tokens: the `target_length` query tokens; `None` for
            self-attention.
        path: if given, the figure is saved there (parent folders are created).
        title: an optional figure title, e.g. "decoder layer 2, cross-attention".

    Returns:
        The `matplotlib.figure.Figure`, one axes per head plus the colorbar.

    Raises:
        ValueError: if `weights` is not 3-D, has no heads, holds values outside
            [0, 1], or a token list does not match its axis.

    Example:

    >>> import numpy as np
    >>> w = np.full((2, 3, 3), 1 / 3)
    >>> fig = multi_head_heatmaps(w, ["a", "b", "c"])
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['head 0', 'head 1']
    """
    weights = _check_weights(weights, 3, "a 3-D [num_heads, target_length, source_length] array")
    num_heads = weights.shape[0]
    if num_heads == 0:
        raise ValueError(f"`weights` has no heads; got shape {weights.shape}.")
    source_tokens, target_tokens = _check_token_axes(weights, source_tokens, target_tokens)
    columns = min(num_heads, 4)
    rows = math.ceil(num_heads / columns)
    width, height = _heatmap_inches(len(source_tokens), len(target_tokens))
    with _font_context([*source_tokens, *target_tokens, title or ""]):
        figure = mpl_figure.Figure(
            figsize=(columns * (width - 1.0), rows * (height - 0.3)), layout="constrained"
        )
        axes = figure.subplots(rows, columns, squeeze=False)
        for head, ax in enumerate(axes.flat):
            if head >= num_heads:
                ax.remove()  # empty slots of the last row
                continue
            image = _draw_heatmap(
                ax,
                weights[head],
                source_tokens,
                target_tokens,
                x_labels=head < columns,
                y_labels=head % columns == 0,
                title=f"head {head}",
            )
        figure.colorbar(image, ax=axes.flat[:num_heads].tolist(), label="attention weight")
        if title:
            figure.suptitle(title)
        return _save(figure, path)


def positional_encoding_plot(table, path=None, dimensions=None, title=None):
    """Shows a positional-encoding table as an image, plus a few of its columns.

    The image has positions down and features across: for the sinusoidal
    encoding, the fast oscillations on the left turn into ever slower waves on the
    right. Below it, the chosen feature columns are drawn as curves over position.

    Args:
        table: `[positions, depth]` values, e.g.
            `keras_attn.PositionalEncoding().encoding(50, 64)`.
        path: if given, the figure is saved there (parent folders are created).
        dimensions: feature indices to draw as curves; by default up to four
            evenly spaced even (sine) features from 0 to depth / 4. `()` draws
            the image only.
        title: an optional figure title.

    Returns:
        The `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `table` is not a non-empty 2-D array or a dimension is out
            of range.

    Example:

    >>> import numpy as np
    >>> positions = np.arange(20)[:, None]
    >>> table = np.sin(positions / 10000 ** (np.arange(16)[None, :] / 16))
    >>> fig = positional_encoding_plot(table, dimensions=[0, 4])
    >>> len(fig.axes)  # image, colorbar, curves
    3
    """
    table = np.asarray(table, dtype=np.float64)
    if table.ndim != 2 or table.size == 0:
        raise ValueError(
            f"`table` must be a non-empty 2-D [positions, depth] array; got shape {table.shape}."
        )
    positions, depth = table.shape
    if dimensions is None:
        # Even (sine) features over the first quarter of the depth: with the usual
        # base of 10000 their wavelengths grow from 2π to about 63 positions, so all
        # four curves visibly oscillate over typical sentence lengths. Later
        # features are almost constant there.
        dimensions = sorted({2 * round(i) for i in np.linspace(0, depth // 8, num=4)})
    dimensions = [int(d) for d in dimensions]
    bad = [d for d in dimensions if not 0 <= d < depth]
    if bad:
        raise ValueError(
            f"`dimensions` must lie in [0, {depth}) for a table of depth {depth}; got {bad}."
        )
    with _font_context([title or ""]):
        figure = mpl_figure.Figure(
            figsize=(7.0, 7.5 if dimensions else 5.0), layout="constrained"
        )
        if dimensions:
            image_ax, curve_ax = figure.subplots(2, 1, height_ratios=(3, 2))
        else:
            image_ax, curve_ax = figure.add_subplot(), None
        limit = float(np.max(np.abs(table))) or 1.0
        image = image_ax.imshow(
            table, aspect="auto", cmap="RdBu", vmin=-limit, vmax=limit, interpolation="nearest"
        )
        image_ax.set_xlabel("depth (feature index)")
        image_ax.set_ylabel("position")
        figure.colorbar(image, ax=image_ax)
        if curve_ax is not None:
            for dimension in dimensions:
                curve_ax.plot(np.arange(positions), table[:, dimension], label=f"dim {dimension}")
            curve_ax.set_xlabel("position")
            curve_ax.set_ylabel("value")
            curve_ax.set_xlim(0, max(positions - 1, 1))
            curve_ax.legend(loc="upper right", fontsize="small")
        if title:
            figure.suptitle(title)
        return _save(figure, path)


def _history_dict(history):
    history = getattr(history, "history", history)  # keras.callbacks.History
    if not isinstance(history, collections.abc.Mapping):
        raise TypeError(
            "`history` must be a keras.callbacks.History or its `.history` dict; "
            f"got {type(history).__name__}."
        )
    if not history or not any(len(values) for values in history.values()):
        raise ValueError("`history` holds no values; was the model trained for an epoch?")
    return history


def training_curves(history, path=None, metrics=None, title=None):
    """Plots training and validation curves, one subplot per metric.

    Args:
        history: the `keras.callbacks.History` returned by `model.fit`, or its
            `.history` dict mapping names such as "loss", "val_loss",
            "accuracy" to one value per epoch.
        path: if given, the figure is saved there (parent folders are created).
        metrics: base names to plot, e.g. `["loss", "accuracy"]`; each subplot
            shows `name` and `val_name` where present. By default every name in
            the history, in its order.
        title: an optional figure title.

    Returns:
        The `matplotlib.figure.Figure`.

    Raises:
        TypeError: if `history` is neither a History nor a mapping.
        ValueError: if the history is empty or a requested metric is missing.

    Example:

    >>> fig = training_curves({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['train', 'validation']
    """
    history = _history_dict(history)
    if metrics is None:
        metrics = list(dict.fromkeys(name.removeprefix("val_") for name in history))
    elif isinstance(metrics, str):
        metrics = [metrics]
    missing = [m for m in metrics if m not in history and f"val_{m}" not in history]
    if missing or not metrics:
        raise ValueError(
            f"`metrics` {missing or metrics} not found in the history, which has "
            f"{sorted(history)}."
        )
    columns = min(len(metrics), 3)
    rows = math.ceil(len(metrics) / columns)
    with _font_context([*metrics, title or ""]):
        figure = mpl_figure.Figure(figsize=(4.5 * columns, 3.3 * rows), layout="constrained")
        axes = list(figure.subplots(rows, columns, squeeze=False).flat)
        for ax, metric in zip(axes, metrics):
            train = np.asarray(history.get(metric, ()), dtype=np.float64)
            valid = np.asarray(history.get(f"val_{metric}", ()), dtype=np.float64)
            epochs = max(len(train), len(valid))
            if len(train):
                ax.plot(np.arange(1, len(train) + 1), train, marker=".", label="train")
            if len(valid):
                # With validation_freq=k, Keras records validation every k-th epoch
                # only; spread the points so the last one lines up with the last epoch.
                valid_epochs = np.round(np.arange(1, len(valid) + 1) * epochs / len(valid))
                ax.plot(valid_epochs, valid, marker=".", label="validation")
            ax.set_title(metric)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            ax.legend()
        for ax in axes[len(metrics) :]:  # empty slots of the last row
            ax.remove()
        if title:
            figure.suptitle(title)
        return _save(figure, path)


_METRIC_LABELS = {
    "exact_match": "exact match",
    "bleu": "BLEU",
    "token_accuracy": "token accuracy",
    "aer": "alignment error rate",
}


def _series_by_model(results, metric):
    """Normalises `results` to {model: (lengths, values)} sorted by length."""
    series = collections.defaultdict(list)
    if isinstance(results, collections.abc.Mapping):
        for model, pairs in results.items():
            for pair in pairs:
                if len(pair) != 2:
                    raise ValueError(
                        f"`results[{model!r}]` must hold (length, value) pairs; got {pair!r}."
                    )
                series[str(model)].append((float(pair[0]), float(pair[1])))
    else:
        for index, row in enumerate(results):
            if not isinstance(row, collections.abc.Mapping):
                raise TypeError(
                    f"`results[{index}]` must be a dict with keys model, length and "
                    f"value; got {type(row).__name__}."
                )
            value_key = "value" if "value" in row else metric
            missing = [k for k in ("model", "length", value_key) if k not in row]
            if missing:
                raise ValueError(
                    f"`results[{index}]` lacks the keys {missing}; every row needs model, "
                    f"length and value (or {metric!r}). Got keys {sorted(row)}."
                )
            series[str(row["model"])].append((float(row["length"]), float(row[value_key])))
    if not series or not any(series.values()):
        raise ValueError("`results` is empty; nothing to plot.")
    return {model: tuple(zip(*sorted(points))) for model, points in series.items() if points}


def accuracy_vs_length_plot(results, path=None, metric="exact_match", title=None):
    """Plots a score against source length, one line per model.

    This is the "bottleneck" figure of Bahdanau et al. (2015, Fig. 2): a model
    that squeezes the source into one fixed-size vector degrades on long
    sentences, while an attention model holds up.

    Args:
        results: either a mapping `model_name -> [(length, value), ...]`, or a
            list of dict rows with keys "model", "length" and "value" (or
            `metric` in place of "value", as in a table of several metrics).
            Points are sorted by length.
        path: if given, the figure is saved there (parent folders are created).
        metric: name of the score, used for the y label ("exact_match", "bleu",
            "token_accuracy" get readable labels) and as the row key fallback.
        title: an optional title.

    Returns:
        The `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `results` is empty or a pair/row is malformed.
        TypeError: if a row of a list is not a dict.

    Example:

    >>> fig = accuracy_vs_length_plot(
    ...     {"seq2seq": [(5, 0.8), (20, 0.2)], "attention": [(5, 0.9), (20, 0.7)]},
    ...     metric="bleu",
    ... )
    >>> fig.axes[0].get_ylabel()
    'BLEU'
    """
    series = _series_by_model(results, metric)
    with _font_context([*series, title or ""]):
        figure = mpl_figure.Figure(figsize=(6.0, 4.0), layout="constrained")
        ax = figure.add_subplot()
        for model, (lengths, values) in series.items():
            ax.plot(lengths, values, marker="o", label=model)
        ax.set_xlabel("source length (tokens)")
        ax.set_ylabel(_METRIC_LABELS.get(metric, metric))
        ax.grid(alpha=0.3)
        ax.legend()
        if title:
            ax.set_title(title)
        return _save(figure, path)


# The attention explorer page --------------------------------------------------------------

EXPLORER_KINDS = ("alignment", "cross", "encoder_self", "decoder_self", "attention")


class AttentionMap(typing.NamedTuple):
    """One attention map of a translation, as the explorer page shows it.

    Attributes:
        kind: what attends to what: `"alignment"` (an RNN decoder's attention at
            each step), `"cross"` (a Transformer decoder's attention over the
            encoder), `"encoder_self"`, `"decoder_self"`, or `"attention"` (the map
            an exported SavedModel returns).
        weights: `[rows, columns]` attention probabilities: row `i` is what
            `row_tokens[i]` attended to.
        row_tokens: the attending tokens (the translation's, for a cross map).
        column_tokens: the attended tokens (the source's, for a cross map).
        layer: the 0-based layer, or `None` for a model with one attention.
        head: the 0-based head, or `None` for the mean over heads (or a single map).
    """

    kind: str
    weights: np.ndarray
    row_tokens: list
    column_tokens: list
    layer: int = None
    head: int = None


@dataclasses.dataclass(frozen=True)
class ExploredTranslation:
    """A translation with everything the explorer page shows of it.

    Attributes:
        source: the source sentence.
        translation: the model's translation.
        score: its log-probability.
        maps: `AttentionMap`s, at least one; the page opens on the first kind.
        reference: the gold translation whose `gold_alignment` is given, if any.
        gold_alignment: gold `(target_word, source_word)` links (as
            `keras_attn.data` gives them), drawn on every target-by-source map and
            scored there by the alignment error rate; `None` for none.
        gold_note: a line said instead, e.g. why no gold alignment is shown.
        beams: `(translation, score)` of every beam, best first, where beam search ran.
    """

    source: str
    translation: str
    score: float
    maps: list
    reference: str = None
    gold_alignment: tuple = None
    gold_note: str = None
    beams: tuple = ()


def _explorer_map(attention_map, gold_alignment):
    if attention_map.kind not in EXPLORER_KINDS:
        raise ValueError(f"explorer_html: unknown map kind {attention_map.kind!r}; expected one of {EXPLORER_KINDS}.")
    weights = _check_weights(attention_map.weights, 2, "a 2-D [rows, columns] array")
    columns, rows = _check_token_axes(weights, attention_map.column_tokens, attention_map.row_tokens)
    # Gold links join target words to source words: they belong on target-by-source maps only.
    gold = sorted(gold_alignment) if gold_alignment and attention_map.kind in ("alignment", "cross", "attention") else None
    aer = None
    if gold:
        outside = [(t, s) for t, s in gold if t >= len(rows) or s >= len(columns)]
        if outside:
            raise ValueError(f"explorer_html: gold links {outside} fall outside the {len(rows)} x {len(columns)} map "
                             "of the translation; give gold links only for a translation that is the reference.")
        predicted = metrics.alignments_from_attention(weights, source_length=max(s for _, s in gold) + 1,
                                                      target_length=max(t for t, _ in gold) + 1)
        aer = metrics.alignment_error_rate([predicted], [gold])
    return {
        "kind": attention_map.kind,
        "layer": None if attention_map.layer is None else int(attention_map.layer),
        "head": None if attention_map.head is None else int(attention_map.head),
        "rows": rows,
        "columns": columns,
        "weights": [[round(float(w), 5) for w in row] for row in weights],
        "gold": [list(link) for link in gold] if gold else None,
        "aer": aer,
    }


def _picture(attention_map, title):
    """The map drawn by `attention_heatmap`, as a PNG data URI."""
    buffer = io.BytesIO()
    figure = attention_heatmap(attention_map.weights, attention_map.column_tokens, attention_map.row_tokens,
                               title=title)
    figure.savefig(buffer, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _explorer_translation(item, index, pictures):
    if not isinstance(item, ExploredTranslation):
        raise TypeError(f"explorer_html: item {index} must be an ExploredTranslation, got {type(item).__name__}.")
    if not item.maps:
        raise ValueError(f"explorer_html: item {index} ({item.source!r}) has no attention map.")
    gold = None
    if item.gold_alignment is not None:
        gold = sorted(_links_of(item.gold_alignment, index))
    return {
        "source": str(item.source),
        "translation": str(item.translation),
        "score": float(item.score),
        "maps": [_explorer_map(m, gold) for m in item.maps],
        "reference": item.reference,
        "gold_note": item.gold_note,
        "beams": [{"translation": str(t), "score": float(s)} for t, s in item.beams],
        "picture": _picture(item.maps[0], f"{item.source} → {item.translation}") if pictures else None,
    }


def _links_of(alignment, index):
    links = []
    for link in alignment:
        if len(link) != 2 or not all(isinstance(i, (int, np.integer)) and i >= 0 for i in link):
            raise ValueError(f"explorer_html: item {index}: a gold link must be a pair of indices >= 0, got {link!r}.")
        links.append((int(link[0]), int(link[1])))
    return links


def _asset(name):
    return importlib.resources.files("keras_attn").joinpath("assets", name).read_text(encoding="utf-8")


def _css_font_stack():
    # The families the PNG heatmaps look for, then the platforms' own CJK fonts.
    families = (*_KOREAN_FAMILIES, "Noto Sans CJK", "PingFang SC", "Hiragino Sans", "Yu Gothic", "Microsoft YaHei")
    return ", ".join(["system-ui", "-apple-system", "'Segoe UI'", "Roboto", "Helvetica", "Arial",
                      *(f"'{family}'" for family in families), "sans-serif"])


def _inline_json(value):
    # "</" would end the <script> element early; "\u2028"/"\u2029" are escaped by json.dumps' ASCII mode.
    return json.dumps(value, ensure_ascii=True, allow_nan=False).replace("</", "<\\/")


def explorer_html(translations, path=None, title="Attention explorer", pictures=True):
    """Writes the attention explorer: one self-contained HTML page for some translations.

    The page shows each translation's source and target tokens; hovering, tapping
    or tabbing to a target token highlights the source tokens it attended to, with
    the weights. A choice of map kind, layer and head (with the mean over heads)
    switches between a Transformer's cross-attention and its encoder's and
    decoder's self-attention; an RNN decoder's map is its attention at each step.
    Gold links, where given, are outlined on the map with the alignment error rate
    of the map's argmax (Och & Ney 2003). The full heatmap is a table in a font
    stack naming common CJK fonts, and the PNG of `attention_heatmap` is included
    for a system without one. Beam alternatives are listed with their scores.

    Everything is inline (data, script, style, pictures as `data:` URIs): the page
    loads nothing, so it opens offline and can be mailed or committed as it is.

    Args:
        translations: `ExploredTranslation`s, one per sentence (at least one).
        path: if given, the page is written there (atomically; parent folders are
            created).
        title: the page's title.
        pictures: include each translation's first map as a PNG picture.

    Returns:
        The page, a `str`.

    Raises:
        ValueError, TypeError: for an empty list, a malformed map (as
            `attention_heatmap` checks them) or gold links outside the map.

    Example:

    >>> import numpy as np
    >>> step = AttentionMap("alignment", np.eye(3), ["i", "ate", "[END]"], ["나는", "먹었다", "[END]"])
    >>> page = explorer_html([ExploredTranslation("나는 먹었다", "i ate", -0.2, [step])], pictures=False)
    >>> "https://" in page, page.count('id="explorer-data"')
    (False, 1)
    """
    translations = list(translations)
    if not translations:
        raise ValueError("explorer_html: no translation to show; pass at least one ExploredTranslation.")
    data = {"translations": [_explorer_translation(t, i, pictures) for i, t in enumerate(translations)]}
    page = string.Template(_asset("explorer.html")).substitute(
        version=__version__, title=html.escape(title), font_stack=_css_font_stack(), style=_asset("explorer.css"),
        data=_inline_json(data), script=_asset("explorer.js"),
    )
    if path is not None:
        files.write_text(path, page)
    return page

