"""make_dataset: teacher-forcing layout, reserved ids, truncation, buckets, shuffling."""

import numpy as np
import pytest
import tensorflow as tf

from keras_attn import data


@pytest.fixture(scope="module")
def word_tokenizers(ko_en_tokenizers):
    return ko_en_tokenizers["word"]


def _batches(dataset):
    return [(inputs["source"].numpy(), inputs["target_in"].numpy(), target_out.numpy()) for inputs, target_out in dataset]


def _unpad(row):
    row = row.tolist()
    while row and row[-1] == data.PAD_ID:
        row.pop()
    return row


def test_teacher_forcing_layout(ko_en_train, word_tokenizers):
    source_tokenizer, target_tokenizer = word_tokenizers
    pairs = [(e.source, e.target) for e in ko_en_train[:300]]
    dataset = data.make_dataset(pairs, source_tokenizer, target_tokenizer, batch_size=32, bucket_boundaries=None)
    spec_inputs, spec_target = dataset.element_spec
    assert spec_inputs["source"] == tf.TensorSpec([None, None], tf.int32)
    assert spec_inputs["target_in"] == tf.TensorSpec([None, None], tf.int32)
    assert spec_target == tf.TensorSpec([None, None], tf.int32)
    rows = []
    for source, target_in, target_out in _batches(dataset):
        assert target_in.shape == target_out.shape and source.shape[0] == target_in.shape[0] <= 32
        rows += list(zip(source, target_in, target_out))
    assert len(rows) == 300
    sources = source_tokenizer.tokenize([source for source, _ in pairs]).to_list()
    targets = target_tokenizer.tokenize([target for _, target in pairs]).to_list()
    for (source_text, _), expected_source, target, (source, target_in, target_out) in zip(
        pairs, sources, targets, rows
    ):
        source, target_in, target_out = _unpad(source), _unpad(target_in), _unpad(target_out)
        assert source == expected_source + [data.END_ID]
        assert target_in == [data.START_ID] + target
        assert target_out == target + [data.END_ID]
        # Word tokenizers keep word positions: gold alignments index these rows.
        assert len(source) - 1 == len(source_text.split())


def test_padding_is_zero_and_reserved_ids_appear_only_where_expected(ko_en_train, word_tokenizers):
    pairs = [(e.source, e.target) for e in ko_en_train[:200]]
    for source, target_in, target_out in _batches(data.make_dataset(pairs, *word_tokenizers, batch_size=50)):
        for rows, special in ((source, data.END_ID), (target_out, data.END_ID), (target_in, data.START_ID)):
            lengths = (rows != data.PAD_ID).sum(axis=1)
            for row, length in zip(rows, lengths):
                assert (row[length:] == data.PAD_ID).all() and (row[:length] != data.PAD_ID).all()
                assert (row == special).sum() == 1
        assert (target_in[:, 0] == data.START_ID).all()


def test_empty_sentences_are_valid_inputs(word_tokenizers):
    dataset = data.make_dataset([("", ""), ("나는 학생이다", "")], *word_tokenizers, bucket_boundaries=None)
    ((source, target_in, target_out),) = _batches(dataset)
    assert source[0].tolist()[:1] == [data.END_ID] and _unpad(source[0]) == [data.END_ID]
    assert target_in.tolist() == [[data.START_ID], [data.START_ID]]
    assert target_out.tolist() == [[data.END_ID], [data.END_ID]]


def test_truncation_keeps_the_end_token(word_tokenizers):
    pairs = [("나는 밥을 먹었다 그리고", "i ate rice and more words")]
    dataset = data.make_dataset(pairs, *word_tokenizers, max_source_length=3, max_target_length=4)
    ((source, target_in, target_out),) = _batches(dataset)
    assert source.shape == (1, 3) and source[0, -1] == data.END_ID
    assert target_in.shape == target_out.shape == (1, 4)
    assert target_in[0, 0] == data.START_ID and target_out[0, -1] == data.END_ID
    np.testing.assert_array_equal(target_in[0, 1:], target_out[0, :-1])


def test_buckets_group_similar_lengths(word_tokenizers):
    pairs = data.load("ko-en", size=600, seed=2, max_clauses=4)
    dataset = data.make_dataset(pairs, *word_tokenizers, batch_size=16, bucket_boundaries=(8, 16, 24))
    seen = 0
    for source, target_in, _ in _batches(dataset):
        lengths = np.maximum((source != 0).sum(axis=1), (target_in != 0).sum(axis=1))
        buckets = np.digitize(lengths, [8, 16, 24])
        assert len(set(buckets)) == 1  # one bucket per batch
        assert max(source.shape[1], target_in.shape[1]) == lengths.max()  # padded to the batch's longest
        seen += len(source)
    assert seen == 600


def test_padding_to_bucket_boundaries_gives_one_shape_per_bucket(word_tokenizers):
    pairs = data.load("ko-en", size=300, seed=2, max_clauses=4)
    dataset = data.make_dataset(
        pairs, *word_tokenizers, batch_size=16, bucket_boundaries=(8, 16, 32),
        max_source_length=31, max_target_length=31, pad_to_bucket_boundary=True,
    )
    shapes = set()
    for source, target_in, target_out in _batches(dataset):
        assert source.shape[1] == target_in.shape[1] == target_out.shape[1] in (7, 15, 31)
        shapes.add(source.shape[1])
    assert len(shapes) > 1


def test_shuffle_is_seeded_and_accepts_alignment_triples(word_tokenizers):
    pairs = data.load("ko-en", size=200, seed=1, with_alignments=True)

    def order(seed):
        dataset = data.make_dataset(pairs, *word_tokenizers, batch_size=200, shuffle=True, seed=seed, bucket_boundaries=None)
        return [row.tolist() for row in _batches(dataset)[0][0]]

    first = order(1)
    assert order(1) == first
    second = order(2)
    assert second != first
    assert sorted(first) == sorted(second)


def test_cache_in_memory_gives_the_same_batches(word_tokenizers):
    pairs = data.load("ko-en", size=100, seed=4)
    plain = _batches(data.make_dataset(pairs, *word_tokenizers, batch_size=10))
    cached = data.make_dataset(pairs, *word_tokenizers, batch_size=10, cache=True)
    for _ in range(2):
        for (a, b, c), (x, y, z) in zip(plain, _batches(cached)):
            np.testing.assert_array_equal(a, x)
            np.testing.assert_array_equal(b, y)
            np.testing.assert_array_equal(c, z)


def test_tatoeba_file_through_the_pipeline(tmp_path):
    path = tmp_path / "kor.txt"
    path.write_text("Go.\t가.\tattr\nI ate rice.\t나는 밥을 먹었다.\tattr\n", encoding="utf-8")
    pairs = data.read_parallel_tsv(path, source_column=1, target_column=0)
    source = data.CharacterTokenizer.from_corpus(pairs.map(lambda s, t: s))
    target = data.SubwordTokenizer.from_corpus(pairs.map(lambda s, t: t), vocabulary_size=100)
    batches = _batches(data.make_dataset(pairs, source, target, bucket_boundaries=None))
    texts = source.detokenize(tf.constant(batches[0][0]))
    assert [t.decode() for t in texts.numpy()] == ["가 .", "나는 밥을 먹었다 ."]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"max_source_length": 0}, "max_source_length"),
        ({"bucket_boundaries": (16, 8)}, "strictly increasing"),
        ({"cache": 1}, "cache"),
        ({"pad_to_bucket_boundary": True}, "pad_to_bucket_boundary"),
        ({"pad_to_bucket_boundary": True, "bucket_boundaries": (8,), "max_source_length": 8,
          "max_target_length": 4}, "below the last boundary"),
    ],
)
def test_argument_errors(word_tokenizers, options, message):
    with pytest.raises(ValueError, match=message):
        data.make_dataset([("a", "b")], *word_tokenizers, **options)


def test_pairs_errors(word_tokenizers):
    with pytest.raises(ValueError, match="empty list"):
        data.make_dataset([], *word_tokenizers)
    with pytest.raises(ValueError, match="scalar tf.string"):
        data.make_dataset(tf.data.Dataset.from_tensor_slices([1, 2]), *word_tokenizers)


def test_training_dataset_has_full_batches_of_few_shapes(word_tokenizers):
    pairs = data.load("ko-en", size=400, seed=5, max_clauses=4)
    batches = _batches(data.make_training_dataset(pairs, *word_tokenizers, batch_size=8, max_length=20, seed=0))
    assert {b[0].shape for b in batches} <= {(8, 15), (8, 20)}
    assert all(len(b[0]) == 8 for b in batches)
    with pytest.raises(ValueError, match="max_length"):
        data.make_training_dataset(pairs, *word_tokenizers, max_length=0)


def test_with_known_cardinality_states_the_count_of_a_bucketed_dataset(word_tokenizers):
    pairs = data.load("ko-en", size=200, seed=5, max_clauses=4)
    batches = data.make_training_dataset(pairs, *word_tokenizers, batch_size=8, max_length=20, seed=0)
    assert batches.cardinality() == tf.data.UNKNOWN_CARDINALITY  # buckets drop remainders
    counted = data.with_known_cardinality(batches)
    assert int(counted.cardinality()) == len(_batches(batches)) > 0
    known = tf.data.Dataset.range(3)
    assert data.with_known_cardinality(known) is known


def test_batches_run_without_tf_data_autotuning(word_tokenizers):
    # With autotuning on, two trainings side by side on two cores sat idle for 5–35 s
    # at each epoch's end, waiting for the autotuning thread (docs/performance.md).
    pairs = [("나는 밥을 먹었다", "i ate rice")] * 4
    for dataset in (data.make_dataset(pairs, *word_tokenizers, batch_size=2),
                    data.make_training_dataset(pairs, *word_tokenizers, batch_size=2, max_length=8)):
        assert dataset.options().autotune.enabled is False
        assert sum(1 for _ in dataset) == 2
