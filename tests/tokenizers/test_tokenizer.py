"""The tokenizer interface, for every kind: round trips, reserved ids, saving, graphs."""

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from keras_attn import tokenizers

_KINDS = ["word", "subword", "character"]
_CLASSES = {
    "word": tokenizers.WordTokenizer,
    "subword": tokenizers.SubwordTokenizer,
    "character": tokenizers.CharacterTokenizer,
}
_MESSY = [
    "I ate rice.",
    "Ｈｅｌｌｏ，  ＷＯＲＬＤ！",
    "«Ça va?» — dit-il.",
    "나는 학생이다.",
    "Don't panic 😀",
    "",
]


def _decode(strings):
    return [value.decode("utf-8") for value in np.asarray(strings).reshape(-1).tolist()]


@pytest.mark.parametrize("kind", _KINDS)
def test_round_trip_on_ko_en(kind, ko_en_train, ko_en_tokenizers):
    source_tokenizer, target_tokenizer = ko_en_tokenizers[kind]
    for tokenizer, texts in (
        (source_tokenizer, [e.source for e in ko_en_train[:500]]),
        (target_tokenizer, [e.target for e in ko_en_train[:500]]),
    ):
        ids = tokenizer.tokenize(texts)
        assert isinstance(ids, tf.RaggedTensor) and ids.dtype == tf.int32
        assert not (ids.flat_values == tokenizers.UNK_ID).numpy().any()
        assert _decode(tokenizer.detokenize(ids)) == texts


@pytest.mark.parametrize("kind", _KINDS)
def test_round_trip_returns_normalised_text(kind):
    if kind == "subword":
        tokenizer = tokenizers.SubwordTokenizer.from_corpus(_MESSY * 20, vocabulary_size=200)
    else:
        tokenizer = _CLASSES[kind].from_corpus(_MESSY)
    decoded = _decode(tokenizer.detokenize(tokenizer.tokenize(_MESSY)))
    assert decoded == [tokenizers.normalize(text) for text in _MESSY]
    # A single string gives a 1-D tensor and back a scalar.
    single = tokenizer.tokenize("I ate rice.")
    assert single.shape.rank == 1
    assert tokenizer.detokenize(single).numpy().decode() == "i ate rice ."


def test_detokenize_drops_padding_start_and_everything_after_end():
    tokenizer = tokenizers.WordTokenizer(list(tokenizers.RESERVED_TOKENS) + ["a", "b"])
    batch = tf.constant([[1, 4, 5, 2, 4, 4], [4, 0, 0, 0, 0, 0], [2, 4, 5, 0, 0, 0]])
    assert _decode(tokenizer.detokenize(batch)) == ["a b", "a", ""]
    ragged = tf.ragged.constant([[1, 5, 2], [4]])
    assert _decode(tokenizer.detokenize(ragged)) == ["b", "a"]
    assert _decode(tokenizer.detokenize([[4, 5], [5]])) == ["a b", "b"]
    assert _decode(tokenizer.detokenize(np.array([4, 5, 2, 4]))) == ["a b"]


def test_sequence_length_pads_and_truncates():
    tokenizer = tokenizers.WordTokenizer(list(tokenizers.RESERVED_TOKENS) + ["a", "b"])
    ids = tokenizer.tokenize(["a b a b", "b", ""], sequence_length=3)
    assert ids.dtype == tf.int32
    assert ids.numpy().tolist() == [[4, 5, 4], [5, 0, 0], [0, 0, 0]]


def test_ids_to_tokens_keeps_special_tokens():
    tokenizer = tokenizers.WordTokenizer(list(tokenizers.RESERVED_TOKENS) + ["a"])
    assert tokenizer.ids_to_tokens([1, 4, 2, 0]) == ["[START]", "a", "[END]", "[PAD]"]
    assert tokenizer.ids_to_tokens(tf.ragged.constant([[4], [3, 2]])) == [["a"], ["[UNK]", "[END]"]]
    with pytest.raises(ValueError, match="out of range"):
        tokenizer.id_to_token(9)


@pytest.mark.parametrize("dtype", [tf.int32, tf.int64])
def test_lookup_tokens_maps_ids_to_tokens_eagerly_and_in_a_graph(dtype):
    tokenizer = tokenizers.WordTokenizer(list(tokenizers.RESERVED_TOKENS) + ["a", "b"])
    ids = tf.constant([[1, 4, 5, 2], [0, 3, 9, -1]], dtype=dtype)
    expected = [["[START]", "a", "b", "[END]"], ["[PAD]", "[UNK]", "[UNK]", "[UNK]"]]
    # Eager: same shape, tf.string; reserved ids give their reserved tokens, ids
    # outside the vocabulary (9, -1) the unknown token.
    tokens = tokenizer.lookup_tokens(ids)
    assert tokens.dtype == tf.string and tokens.shape == ids.shape
    assert tokens.numpy().astype(str).tolist() == expected
    assert tokenizer.lookup_tokens([4, 5]).numpy().tolist() == [b"a", b"b"]
    assert tokenizer.lookup_tokens(tf.constant(2, dtype=dtype)).numpy() == b"[END]"
    assert tokenizer.lookup_tokens(tf.ragged.constant([[4], [3, 2]], dtype=dtype)).to_list() == [
        [b"a"],
        [b"[UNK]", b"[END]"],
    ]
    # In a tf.function with an unknown shape, and as pure graph ops.
    lookup = tf.function(tokenizer.lookup_tokens, input_signature=[tf.TensorSpec([None, None], dtype)])
    assert lookup(ids).numpy().astype(str).tolist() == expected
    graph_def = lookup.get_concrete_function().graph.as_graph_def()
    op_types = {node.op for node in graph_def.node}
    for library_function in graph_def.library.function:
        op_types |= {node.op for node in library_function.node_def}
    assert not op_types & {"PyFunc", "PyFuncStateless", "EagerPyFunc"}
    # The inverse of lookup_ids, and what ids_to_tokens gives in Python.
    assert tokenizer.lookup_ids(tokenizer.lookup_tokens([4, 5, 0])).numpy().tolist() == [4, 5, 0]
    assert tokens.numpy().astype(str).tolist() == tokenizer.ids_to_tokens([[1, 4, 5, 2], [0, 3, 3, 3]])


def test_lookup_tokens_reads_the_vocabulary_asset_of_a_saved_model(tmp_path):
    # Exports rebuild tokenizers from a vocabulary file (keras_attn.export), so the
    # table lookup_tokens reads must become a SavedModel asset.
    tokenizer = tokenizers.Tokenizer.load(
        tokenizers.WordTokenizer(list(tokenizers.RESERVED_TOKENS) + ["a", "b"]).save(str(tmp_path / "tokenizer"))
    )
    module = tf.Module()
    module.tokenizer = tokenizer
    module.lookup = tf.function(tokenizer.lookup_tokens, input_signature=[tf.TensorSpec([None], tf.int32)])
    tf.saved_model.save(module, str(tmp_path / "model"))
    shutil.rmtree(tmp_path / "tokenizer")  # the SavedModel must not need the original file
    restored = tf.saved_model.load(str(tmp_path / "model"))
    tokens = restored.lookup(tf.constant([1, 4, 5, 2, 0, 7], tf.int32))
    assert tokens.numpy().tolist() == [b"[START]", b"a", b"b", b"[END]", b"[PAD]", b"[UNK]"]


def test_as_text_dataset_reads_iterables_and_string_datasets():
    assert list(tokenizers.as_text_dataset(["a b", "c"]).as_numpy_iterator()) == [b"a b", b"c"]
    dataset = tf.data.Dataset.from_tensor_slices(["x", "y"])
    assert tokenizers.as_text_dataset(dataset) is dataset
    with pytest.raises(TypeError, match="single string"):
        tokenizers.as_text_dataset("a b")
    with pytest.raises(ValueError, match="map to one side"):
        tokenizers.as_text_dataset(tf.data.Dataset.from_tensor_slices(([""], [""])))


@pytest.mark.parametrize("kind", _KINDS)
def test_save_load_and_config(kind, tmp_path, ko_en_train, ko_en_tokenizers):
    tokenizer = ko_en_tokenizers[kind][0]
    texts = [e.source for e in ko_en_train[:50]]
    directory = tokenizer.save(str(tmp_path / kind))
    assert sorted(os.listdir(directory)) == ["tokenizer.json", "vocabulary.txt"]
    assert tokenizers.read_vocabulary(os.path.join(directory, "vocabulary.txt")) == tokenizer.get_vocabulary()
    for loaded in (tokenizers.Tokenizer.load(directory), _CLASSES[kind].load(directory)):
        assert type(loaded) is type(tokenizer)
        assert loaded.get_vocabulary() == tokenizer.get_vocabulary()
        assert loaded.tokenize(texts).to_list() == tokenizer.tokenize(texts).to_list()
    rebuilt = type(tokenizer).from_config(tokenizer.get_config())
    assert rebuilt.get_config() == tokenizer.get_config()
    assert rebuilt.tokenize(texts).to_list() == tokenizer.tokenize(texts).to_list()
    other = tokenizers.WordTokenizer if kind != "word" else tokenizers.CharacterTokenizer
    with pytest.raises(ValueError, match="not a"):
        other.load(directory)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="tokenizer.json is missing"):
        tokenizers.Tokenizer.load(str(tmp_path))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: tokenizers.WordTokenizer(["a", "b"]), "must start with the reserved tokens"),
        (lambda: tokenizers.WordTokenizer(list(tokenizers.RESERVED_TOKENS) + ["a b"]), "with a space"),
        (lambda: tokenizers.CharacterTokenizer(list(tokenizers.RESERVED_TOKENS) + ["a"]), "must contain '\\[SPACE\\]'"),
        (
            lambda: tokenizers.CharacterTokenizer(list(tokenizers.RESERVED_TOKENS) + ["[SPACE]", "ab"]),
            "single characters",
        ),
        (lambda: tokenizers.WordTokenizer.from_corpus("just one string"), "single string"),
        (
            lambda: tokenizers.WordTokenizer.from_corpus(tf.data.Dataset.from_tensor_slices(([""], [""]))),
            "map to one side",
        ),
    ],
)
def test_constructor_errors(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


@pytest.mark.parametrize("kind", _KINDS)
def test_tokenize_and_detokenize_are_pure_graph_ops(kind, ko_en_tokenizers):
    tokenizer = ko_en_tokenizers[kind][0]
    tokenize = tf.function(tokenizer.tokenize, input_signature=[tf.TensorSpec([None], tf.string)])
    detokenize = tf.function(tokenizer.detokenize, input_signature=[tf.TensorSpec([None, None], tf.int32)])
    for function in (tokenize.get_concrete_function(), detokenize.get_concrete_function()):
        graph_def = function.graph.as_graph_def()
        op_types = {node.op for node in graph_def.node}
        for library_function in graph_def.library.function:
            op_types |= {node.op for node in library_function.node_def}
        assert not op_types & {"PyFunc", "PyFuncStateless", "EagerPyFunc"}


def test_saved_model_carries_the_vocabulary_as_an_asset(tmp_path, ko_en_tokenizers):
    tokenizer = tokenizers.Tokenizer.load(ko_en_tokenizers["subword"][0].save(str(tmp_path / "tokenizer")))
    module = tf.Module()
    module.tokenizer = tokenizer
    module.tokenize = tf.function(
        lambda texts: tokenizer.tokenize(texts, sequence_length=12),
        input_signature=[tf.TensorSpec([None], tf.string)],
    )
    module.detokenize = tf.function(tokenizer.detokenize, input_signature=[tf.TensorSpec([None, None], tf.int32)])
    expected = tokenizer.tokenize(["나는 밥을 먹었다", "철수는 학교에 갔다"], sequence_length=12).numpy()
    tf.saved_model.save(module, str(tmp_path / "model"))
    shutil.rmtree(tmp_path / "tokenizer")  # the SavedModel must not need the original file
    assert os.listdir(tmp_path / "model" / "assets") == ["vocabulary.txt"]
    restored = tf.saved_model.load(str(tmp_path / "model"))
    ids = restored.tokenize(tf.constant(["나는 밥을 먹었다", "철수는 학교에 갔다"])).numpy()
    np.testing.assert_array_equal(ids, expected)
    assert _decode(restored.detokenize(tf.constant(ids))) == ["나는 밥을 먹었다", "철수는 학교에 갔다"]
