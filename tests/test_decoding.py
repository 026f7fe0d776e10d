"""Tests for keras_attn.decoding with toy step functions (no Keras models).

Two toy models implement the one-step contract:

- `BigramLM`: logits depend only on the previous token; no state, no attention.
- `ToySeq2Seq`: logits depend on the previous token, on `index`, on a per-example
  recurrent vector and on a preallocated cache written at `index`; its attention
  is a softmax of the recurrent vector, so it encodes the whole token history and a
  beam that carries another hypothesis's history is caught.

References are computed by replaying token sequences through the same `step` in a
plain Python loop, never through the decoders.
"""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from keras_attn import decoding
from keras_attn.decoding import beam_search, greedy_search, sample

VOCAB = 7  # 0 pad, 1 start, 2 end, 3 unknown, 4-6 words
SOURCE_LENGTH = 5
CACHE_LENGTH = 8
START, END = 1, 2


class BigramLM:
    """Decoder-only toy: a fixed table of next-token logits, random unless given."""

    def __init__(self, seed=None, table=None):
        if table is None:
            table = 2.0 * np.random.default_rng(seed).normal(size=(VOCAB, VOCAB))
        self.table = tf.constant(table, tf.float32)

    def step(self, token_ids, state, index):
        return tf.gather(self.table, token_ids), state, None


class ToySeq2Seq:
    """Encoder-decoder toy whose state mixes ranks, dtypes and nesting."""

    def __init__(self, seed, cache_length=CACHE_LENGTH):
        rng = np.random.default_rng(seed)

        def weight(*shape, scale=1.0):
            return tf.constant(scale * rng.normal(size=shape), tf.float32)

        self.cache_length = cache_length
        self.source_embedding = weight(VOCAB, 3)
        self.source_mixing = weight(SOURCE_LENGTH, scale=0.6)
        self.token_embedding = weight(VOCAB, 3)
        self.transition = weight(VOCAB, VOCAB)
        self.readout = weight(3, VOCAB, scale=2.0)
        self.context_readout = weight(3, VOCAB, scale=3.0)
        self.position = weight(cache_length, VOCAB, scale=0.5)
        self.cache_embedding = weight(VOCAB, 2)
        self.cache_readout = weight(2, VOCAB, scale=0.5)
        self.attend = weight(3, SOURCE_LENGTH, scale=2.0)
        # Like a trained model: padding and start are unlikely, and the end token
        # becomes likelier with position, so lengths vary within CACHE_LENGTH.
        self.bias = tf.constant([-4.0, -4.0, -1.0, -2.0] + [0.0] * (VOCAB - 4))
        self.end_ramp = 0.5 * tf.one_hot(END, VOCAB)

    def initial_state(self, source_ids):
        batch = tf.shape(source_ids)[0]
        embedded = tf.gather(self.source_embedding, source_ids)
        context = tf.tanh(tf.einsum("bsd,s->bd", embedded, self.source_mixing))
        cache = tf.zeros([batch, 2, self.cache_length])
        return {"h": context, "context": context, "memory": (cache, [tf.zeros([batch], tf.int32)])}

    def step(self, token_ids, state, index):
        hidden = tf.tanh(0.8 * state["h"] + tf.gather(self.token_embedding, token_ids))
        cache, (count,) = state["memory"]
        slot = tf.one_hot(index, self.cache_length)
        cache = cache * (1.0 - slot) + tf.gather(self.cache_embedding, token_ids)[:, :, None] * slot
        logits = (
            tf.gather(self.transition, token_ids)
            + hidden @ self.readout
            + state["context"] @ self.context_readout
            + tf.gather(self.position, index)[None]
            + tf.reduce_sum(cache, axis=2) @ self.cache_readout
            + self.bias
            + tf.cast(index, tf.float32) * self.end_ramp
        )
        attention = tf.nn.softmax(hidden @ self.attend)
        new_state = {"h": hidden, "context": state["context"], "memory": (cache, [count + 1])}
        return logits, new_state, attention


class ScriptedModel:
    """Emits `script[b, index]` with probability 1 and counts its calls.

    Every other token has logit -inf, so a beam keeps a single live hypothesis.
    """

    def __init__(self):
        self.calls = 0

    def step(self, token_ids, state, index):
        self.calls += 1
        script = state["script"]
        logits = tf.where(tf.one_hot(script[:, index], VOCAB) > 0, 0.0, -np.inf)
        attention = tf.one_hot(tf.fill(tf.shape(token_ids), index % SOURCE_LENGTH), SOURCE_LENGTH)
        return logits, state, attention


def make_source(batch, seed):
    return tf.constant(np.random.default_rng(seed).integers(4, VOCAB, size=(batch, SOURCE_LENGTH)))


def log_softmax(logits):
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def replay(step_fn, state, tokens):
    """Feeds start + `tokens[:, :-1]` one step at a time.

    Returns the log-softmax at every step `[N, T, V]` and the attention `[N, T, Ts]`.
    """
    tokens = np.asarray(tokens)
    previous = np.full([tokens.shape[0]], START, np.int32)
    log_probs, attention = [], []
    for t in range(tokens.shape[1]):
        logits, state, weights = step_fn(tf.constant(previous), state, tf.constant(t))
        log_probs.append(log_softmax(logits))
        attention.append(np.zeros([len(previous), 0]) if weights is None else weights.numpy())
        previous = tokens[:, t].astype(np.int32)
    return np.stack(log_probs, axis=1), np.stack(attention, axis=1)


def take_rows(state, rows):
    return tf.nest.map_structure(lambda leaf: tf.gather(leaf, rows), state)


def sequence_length(tokens):
    """Number of tokens up to and including the first end token."""
    ends = np.flatnonzero(np.asarray(tokens) == END)
    return int(ends[0]) + 1 if ends.size else len(tokens)


def gnmt_penalty(length, alpha):
    return ((5.0 + length) / 6.0) ** alpha


def reference_greedy(step_fn, state, batch, max_length):
    """Plain step-by-step argmax, one example at a time."""
    outputs = []
    for b in range(batch):
        row_state = take_rows(state, [b])
        previous, tokens, total, attention = START, [], 0.0, []
        for t in range(max_length):
            logits, row_state, weights = step_fn(tf.constant([previous]), row_state, tf.constant(t))
            log_probs = log_softmax(logits)[0]
            previous = int(np.argmax(log_probs))
            tokens.append(previous)
            total += log_probs[previous]
            attention.append(np.zeros(0) if weights is None else weights.numpy()[0])
            if previous == END:
                break
        outputs.append((tokens, total, np.array(attention)))
    return outputs


def check_against_replay(step_fn, state, result):
    """Checks lengths, padding, log_probs and attention of `[N, T]` results."""
    tokens = result["tokens"].numpy()
    lengths = result["lengths"].numpy()
    step_log_probs, attention = replay(step_fn, state, tokens)
    for n in range(tokens.shape[0]):
        length = lengths[n]
        assert length == sequence_length(tokens[n])
        assert np.all(tokens[n, length:] == 0)
        chosen = step_log_probs[n, np.arange(length), tokens[n, :length]]
        np.testing.assert_allclose(
            result["log_probs"].numpy()[n], chosen.sum(), rtol=1e-5, atol=1e-4
        )
        np.testing.assert_allclose(
            result["attention"].numpy()[n, :length], attention[n, :length], atol=1e-5
        )
        assert np.all(result["attention"].numpy()[n, length:] == 0)


def assert_result_types(result):
    """The keys and dtypes the serving signature relies on."""
    assert sorted(result) == ["attention", "lengths", "log_probs", "scores", "tokens"]
    for key, dtype in [("tokens", tf.int32), ("lengths", tf.int32)]:
        assert result[key].dtype == dtype
    for key in ("log_probs", "scores", "attention"):
        assert result[key].dtype == tf.float32


def flatten_beams(result):
    """`[B, K, ...]` results -> `[B * K, ...]`."""
    return {
        key: tf.reshape(value, [-1] + value.shape[2:].as_list()) for key, value in result.items()
    }


# --------------------------------------------------------------------------- #
# Greedy search
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("model_name", ["bigram", "seq2seq"])
def test_greedy_matches_step_by_step_argmax(model_name):
    batch, max_length = 4, 7
    if model_name == "bigram":
        model, state = BigramLM(seed=0), ()
    else:
        model = ToySeq2Seq(seed=1)
        state = model.initial_state(make_source(batch, seed=2))

    result = greedy_search(model.step, state, batch, max_length)

    assert_result_types(result)
    assert result["tokens"].shape == (batch, max_length)
    expected_width = 0 if model_name == "bigram" else SOURCE_LENGTH
    assert result["attention"].shape == (batch, max_length, expected_width)
    reference = reference_greedy(model.step, state, batch, max_length)
    for b, (tokens, total, attention) in enumerate(reference):
        padded = tokens + [0] * (max_length - len(tokens))
        assert result["tokens"].numpy()[b].tolist() == padded
        assert result["lengths"].numpy()[b] == len(tokens)
        np.testing.assert_allclose(result["log_probs"].numpy()[b], total, rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(
            result["attention"].numpy()[b, : len(tokens)], attention, atol=1e-6
        )
    np.testing.assert_array_equal(result["scores"].numpy(), result["log_probs"].numpy())


# --------------------------------------------------------------------------- #
# Stopping, padding, lengths
# --------------------------------------------------------------------------- #

SCRIPTS = [
    [5, 4, 2, 6, 6, 6, 6, 6, 6, 6],
    [4, 2, 5, 5, 5, 5, 5, 5, 5, 5],
    [6, 6, 6, 6, 5, 2, 4, 4, 4, 4],
]


@pytest.mark.parametrize(
    "decode",
    [
        lambda model, state, n: greedy_search(model.step, state, 3, n),
        lambda model, state, n: beam_search(model.step, state, 3, n, beam_size=3),
        lambda model, state, n: sample(model.step, state, 3, n, seed=0),
    ],
    ids=["greedy", "beam", "sample"],
)
def test_stops_at_end_token_and_pads(decode):
    state = {"script": tf.constant(SCRIPTS, tf.int32)}

    model = ScriptedModel()
    result = decode(model, state, 10)
    # The longest script ends at step 5: the loop must stop there, not run 10 steps.
    assert model.calls == 6
    assert result["tokens"].numpy().tolist() == [
        [5, 4, 2, 0, 0, 0, 0, 0, 0, 0],
        [4, 2, 0, 0, 0, 0, 0, 0, 0, 0],
        [6, 6, 6, 6, 5, 2, 0, 0, 0, 0],
    ]
    assert result["lengths"].numpy().tolist() == [3, 2, 6]
    attention = result["attention"].numpy()
    for b, length in enumerate([3, 2, 6]):
        expected = np.eye(SOURCE_LENGTH)[np.arange(length) % SOURCE_LENGTH]
        np.testing.assert_array_equal(attention[b, :length], expected)
        assert np.all(attention[b, length:] == 0)

    # A sequence that does not end within max_length keeps all of its tokens.
    model = ScriptedModel()
    result = decode(model, state, 4)
    assert model.calls == 4
    assert result["tokens"].numpy().tolist() == [[5, 4, 2, 0], [4, 2, 0, 0], [6, 6, 6, 6]]
    assert result["lengths"].numpy().tolist() == [3, 2, 4]


# --------------------------------------------------------------------------- #
# Beam search
# --------------------------------------------------------------------------- #


def test_beam_size_one_equals_greedy():
    model = ToySeq2Seq(seed=3)
    state = model.initial_state(make_source(5, seed=4))
    greedy = greedy_search(model.step, state, 5, CACHE_LENGTH)
    beam = beam_search(model.step, state, 5, CACHE_LENGTH, beam_size=1, length_penalty=0.0)
    np.testing.assert_array_equal(beam["tokens"].numpy(), greedy["tokens"].numpy())
    np.testing.assert_array_equal(beam["lengths"].numpy(), greedy["lengths"].numpy())
    np.testing.assert_allclose(beam["log_probs"].numpy(), greedy["log_probs"].numpy(), rtol=1e-6)
    np.testing.assert_allclose(beam["attention"].numpy(), greedy["attention"].numpy(), atol=1e-7)


def exhaustive_best(step_fn, state, max_length, alpha):
    """Best complete hypothesis of one example by enumerating every token sequence."""
    sequences = np.array(list(itertools.product(range(VOCAB), repeat=max_length)), np.int32)
    rows = take_rows(state, np.zeros(len(sequences), np.int32))
    step_log_probs, _ = replay(step_fn, rows, sequences)
    best = (-np.inf, None)
    for sequence, log_probs in zip(sequences, step_log_probs):
        length = sequence_length(sequence)
        total = log_probs[np.arange(length), sequence[:length]].sum()
        score = total / gnmt_penalty(length, alpha)
        if score > best[0]:
            padding = np.zeros(max_length - length, np.int32)
            best = (score, np.concatenate([sequence[:length], padding]))
    return best


# With max_length=2 and K=V, or max_length=3 and K=V*V, no hypothesis that could be
# the best one is ever pruned, so beam search must be exact.
@pytest.mark.parametrize("max_length, beam_size", [(2, VOCAB), (3, VOCAB * VOCAB)])
@pytest.mark.parametrize("alpha", [0.0, 0.6, 2.0])
def test_beam_search_finds_exhaustive_optimum(max_length, beam_size, alpha):
    model = ToySeq2Seq(seed=5)
    batch = 2
    state = model.initial_state(make_source(batch, seed=6))
    result = beam_search(
        model.step, state, batch, max_length, beam_size=beam_size, length_penalty=alpha
    )
    for b in range(batch):
        example = take_rows(state, [b])
        best_score, best_tokens = exhaustive_best(model.step, example, max_length, alpha)
        assert result["tokens"].numpy()[b].tolist() == best_tokens.tolist()
        np.testing.assert_allclose(result["scores"].numpy()[b], best_score, rtol=1e-5, atol=1e-4)


def test_beams_are_sorted_distinct_and_match_replay():
    model = ToySeq2Seq(seed=7)
    batch, beam_size, alpha = 3, 4, 0.6
    state = model.initial_state(make_source(batch, seed=8))
    settings = {"beam_size": beam_size, "length_penalty": alpha}
    beams = beam_search(
        model.step, state, batch, CACHE_LENGTH, return_all_beams=True, **settings
    )

    assert beams["tokens"].shape == (batch, beam_size, CACHE_LENGTH)
    assert beams["attention"].shape == (batch, beam_size, CACHE_LENGTH, SOURCE_LENGTH)
    scores = beams["scores"].numpy()
    assert np.all(np.isfinite(scores))
    assert np.all(np.diff(scores, axis=1) <= 0)
    lengths = beams["lengths"].numpy()
    normalized = beams["log_probs"].numpy() / gnmt_penalty(lengths, alpha)
    np.testing.assert_allclose(scores, normalized, rtol=1e-6)
    for b in range(batch):
        assert len({tuple(row) for row in beams["tokens"].numpy()[b]}) == beam_size

    # Each beam's log_probs and attention are those of its own token history.
    rows = np.repeat(np.arange(batch), beam_size)
    check_against_replay(model.step, take_rows(state, rows), flatten_beams(beams))

    best = beam_search(model.step, state, batch, CACHE_LENGTH, **settings)
    for key in ("tokens", "lengths", "log_probs", "scores", "attention"):
        np.testing.assert_array_equal(best[key].numpy(), beams[key].numpy()[:, 0])


def test_length_penalty_decides_the_final_order():
    # From the start: end with p=0.55, or word 4 with p=0.45 and then surely end.
    # Raw log-probs prefer [2] (-0.60 > -0.80); with alpha=2, lp(2) = (7/6)**2 and
    # [4, 2] wins (-0.80 / 1.36 = -0.59 > -0.60).
    table = np.full((VOCAB, VOCAB), -np.inf)
    table[START, END], table[START, 4] = np.log(0.55), np.log(0.45)
    table[4, END] = 0.0
    model = BigramLM(table=table)
    short, long = [END, 0, 0], [4, END, 0]

    def decode(alpha):
        return beam_search(
            model.step, (), 1, 3, beam_size=2, length_penalty=alpha, return_all_beams=True
        )

    assert decode(0.0)["tokens"].numpy()[0].tolist() == [short, long]
    penalized = decode(2.0)
    assert penalized["tokens"].numpy()[0].tolist() == [long, short]
    np.testing.assert_allclose(
        penalized["scores"].numpy()[0], [np.log(0.45) / (7 / 6) ** 2, np.log(0.55)], rtol=1e-6
    )
    np.testing.assert_array_equal(penalized["lengths"].numpy()[0], [2, 1])


def test_surplus_beams_have_minus_infinity():
    # Only VOCAB one-token hypotheses exist, so a wider beam must pad with -inf.
    model = ToySeq2Seq(seed=9)
    state = model.initial_state(make_source(1, seed=10))
    beams = beam_search(model.step, state, 1, 1, beam_size=VOCAB + 2, return_all_beams=True)
    log_probs = beams["log_probs"].numpy()[0]
    assert np.all(np.isfinite(log_probs[:VOCAB]))
    assert np.all(log_probs[VOCAB:] == -np.inf)
    assert sorted(beams["tokens"].numpy()[0, :VOCAB, 0].tolist()) == list(range(VOCAB))


@pytest.mark.parametrize("method", ["greedy", "beam"])
def test_batch_results_equal_single_example_results(method):
    model = ToySeq2Seq(seed=21)
    batch = 3
    state = model.initial_state(make_source(batch, seed=22))

    def decode(state, batch_size):
        if method == "greedy":
            return greedy_search(model.step, state, batch_size, CACHE_LENGTH)
        return beam_search(
            model.step, state, batch_size, CACHE_LENGTH, beam_size=3, return_all_beams=True
        )

    together = decode(state, batch)
    for b in range(batch):
        alone = decode(take_rows(state, [b]), 1)
        for key, value in alone.items():
            np.testing.assert_allclose(
                together[key].numpy()[b], value.numpy()[0], rtol=1e-5, atol=1e-6
            )
    # Different sources must give different outputs, or this test proves nothing.
    assert len({tuple(row.ravel()) for row in together["tokens"].numpy()}) == batch


# --------------------------------------------------------------------------- #
# Sampling
# --------------------------------------------------------------------------- #


def seq2seq_batch(batch, seed):
    model = ToySeq2Seq(seed=seed)
    return model, model.initial_state(make_source(batch, seed=seed + 1))


def test_sample_top_k_one_and_tiny_temperature_equal_greedy():
    model, state = seq2seq_batch(6, seed=13)
    greedy = greedy_search(model.step, state, 6, CACHE_LENGTH)
    for kwargs in ({"top_k": 1, "temperature": 5.0}, {"temperature": 1e-4}):
        sampled = sample(model.step, state, 6, CACHE_LENGTH, seed=3, **kwargs)
        np.testing.assert_array_equal(sampled["tokens"].numpy(), greedy["tokens"].numpy())
        np.testing.assert_allclose(
            sampled["log_probs"].numpy(), greedy["log_probs"].numpy(), rtol=1e-6
        )


def test_sample_is_reproducible_by_seed_and_reports_model_log_probs():
    model, state = seq2seq_batch(16, seed=15)
    first = sample(model.step, state, 16, CACHE_LENGTH, temperature=1.5, seed=42)
    again = sample(model.step, state, 16, CACHE_LENGTH, temperature=1.5, seed=42)
    other = sample(model.step, state, 16, CACHE_LENGTH, temperature=1.5, seed=43)
    for key in first:
        np.testing.assert_array_equal(first[key].numpy(), again[key].numpy())
    assert not np.array_equal(first["tokens"].numpy(), other["tokens"].numpy())
    # log_probs are under the model (temperature 1), whatever the sampling temperature.
    check_against_replay(model.step, state, first)


def test_sample_draws_only_from_top_k():
    model, state = seq2seq_batch(32, seed=17)
    top_k = 2
    result = sample(model.step, state, 32, CACHE_LENGTH, temperature=3.0, top_k=top_k, seed=7)
    tokens, lengths = result["tokens"].numpy(), result["lengths"].numpy()
    step_log_probs, _ = replay(model.step, state, tokens)
    chosen = np.take_along_axis(step_log_probs, tokens[:, :, None], axis=2)
    ranks = (step_log_probs > chosen).sum(axis=2)
    live = np.arange(CACHE_LENGTH)[None] < lengths[:, None]
    assert np.all(ranks[live] < top_k)
    # At temperature 3 the second choice must show up, or top_k=2 was not exercised.
    assert np.any(ranks[live] == 1)


def test_sample_follows_tempered_top_k_distribution():
    model = BigramLM(seed=19)
    draws, temperature, top_k = 4000, 2.0, 3
    result = sample(model.step, (), draws, 1, temperature=temperature, top_k=top_k, seed=11)
    logits = model.table.numpy()[START] / temperature
    kept = np.argsort(-logits)[:top_k]
    expected = np.zeros(VOCAB)
    expected[kept] = np.exp(log_softmax(logits[kept]))
    observed = np.bincount(result["tokens"].numpy()[:, 0], minlength=VOCAB) / draws
    np.testing.assert_allclose(observed, expected, atol=0.03)


def test_sample_draws_fresh_noise_at_every_step():
    # Uniform over the three words at every step: with the same noise reused at
    # each step, every row would repeat one word.
    table = np.full((VOCAB, VOCAB), -np.inf)
    table[:, 4:] = 0.0
    model = BigramLM(table=table)
    tokens = sample(model.step, (), 200, 6, seed=13)["tokens"].numpy()
    constant_rows = np.mean([len(set(row)) == 1 for row in tokens])
    assert constant_rows < 0.05  # 1/243 expected
    frequencies = np.bincount(tokens.ravel(), minlength=VOCAB) / tokens.size
    np.testing.assert_allclose(frequencies[4:], 1 / 3, atol=0.03)


# --------------------------------------------------------------------------- #
# Tracing: tf.function with a tensor max_length, XLA with an int max_length
# --------------------------------------------------------------------------- #


def graph_op_types(concrete_function):
    graph_def = concrete_function.graph.as_graph_def()
    types = {node.op for node in graph_def.node}
    for function in graph_def.library.function:
        types.update(node.op for node in function.node_def)
    return types


DECODERS = {
    "greedy": (greedy_search, {}),
    "beam": (beam_search, {"beam_size": 3, "return_all_beams": True}),
    "sample": (sample, {"temperature": 1.3, "top_k": 4, "seed": 5}),
}


def run_decoder(method, step_fn, state, batch_size, max_length):
    decoder, kwargs = DECODERS[method]
    return decoder(step_fn, state, batch_size, max_length, **kwargs)


def assert_same_results(actual, expected):
    assert actual.keys() == expected.keys()
    for key in expected:
        np.testing.assert_allclose(actual[key].numpy(), expected[key].numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("method", sorted(DECODERS))
def test_serving_style_tf_function_with_tensor_max_length(method):
    model = ToySeq2Seq(seed=21)
    source = make_source(3, seed=22)

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, SOURCE_LENGTH], tf.int64),
            tf.TensorSpec([], tf.int32),
        ]
    )
    def serve(source_ids, max_length):
        state = model.initial_state(source_ids)
        return run_decoder(method, model.step, state, tf.shape(source_ids)[0], max_length)

    concrete = serve.get_concrete_function()
    op_types = graph_op_types(concrete)
    assert op_types & {"While", "StatelessWhile"}
    assert not op_types & {"PyFunc", "PyFuncStateless", "EagerPyFunc"}

    eager = run_decoder(method, model.step, model.initial_state(source), 3, 6)
    served = serve(source, tf.constant(6))
    assert_result_types(served)
    assert_same_results(served, eager)


@pytest.mark.parametrize("method", sorted(DECODERS))
def test_xla_with_int_max_length_matches_eager(method):
    model = ToySeq2Seq(seed=23)
    state = model.initial_state(make_source(2, seed=24))

    @tf.function(jit_compile=True)
    def compiled(state):
        return run_decoder(method, model.step, state, 2, CACHE_LENGTH)

    result = compiled(state)
    assert result["tokens"].shape[-1] == CACHE_LENGTH
    assert_same_results(result, run_decoder(method, model.step, state, 2, CACHE_LENGTH))


def test_beam_search_survives_a_saved_model_round_trip(tmp_path):
    model = ToySeq2Seq(seed=21)

    class Translator(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, SOURCE_LENGTH], tf.int64)])
        def translate(self, source_ids):
            state = model.initial_state(source_ids)
            # Serving-style dynamic bound; the toy cache holds CACHE_LENGTH slots.
            max_length = tf.minimum(tf.shape(source_ids)[1] + 2, CACHE_LENGTH)
            result = beam_search(model.step, state, tf.shape(source_ids)[0], max_length)
            return {
                "tokens": result["tokens"],
                "scores": result["log_probs"],
                "attention": result["attention"],
            }

    translator = Translator()
    tf.saved_model.save(translator, str(tmp_path), signatures=translator.translate)
    serving = tf.saved_model.load(str(tmp_path)).signatures["serving_default"]
    source = make_source(2, seed=26)
    served = serving(source_ids=source)
    expected = beam_search(model.step, model.initial_state(source), 2, SOURCE_LENGTH + 2)
    np.testing.assert_array_equal(served["tokens"].numpy(), expected["tokens"].numpy())
    np.testing.assert_allclose(served["scores"].numpy(), expected["log_probs"].numpy(), rtol=1e-5)
    np.testing.assert_allclose(
        served["attention"].numpy(), expected["attention"].numpy(), atol=1e-6
    )


def test_unseeded_sampling_varies_between_calls_of_one_trace():
    model = BigramLM(seed=25)
    draw = tf.function(lambda: sample(model.step, (), 64, 4, temperature=2.0)["tokens"])
    assert not np.array_equal(draw().numpy(), draw().numpy())


# --------------------------------------------------------------------------- #
# Argument and contract errors
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "decoder, overrides, argument, shown",
    [
        (greedy_search, {"max_length": 0}, "max_length", "0"),
        (greedy_search, {"max_length": tf.constant(-2)}, "max_length", "-2"),
        (beam_search, {"max_length": -1}, "max_length", "-1"),
        (beam_search, {"beam_size": 0}, "beam_size", "0"),
        (beam_search, {"beam_size": 2.5}, "beam_size", "2.5"),
        (beam_search, {"length_penalty": -0.5}, "length_penalty", "-0.5"),
        (sample, {"temperature": 0.0}, "temperature", "0.0"),
        (sample, {"temperature": -1.0}, "temperature", "-1.0"),
        (sample, {"top_k": 0}, "top_k", "0"),
        (sample, {"batch_size": 0}, "batch_size", "0"),
    ],
)
def test_bad_arguments_raise_value_error(decoder, overrides, argument, shown):
    model = BigramLM(seed=0)
    kwargs = {"batch_size": 2, "max_length": 3, **overrides}
    with pytest.raises(ValueError, match=rf"^{decoder.__name__}: {argument} .*got {shown}$"):
        decoder(model.step, (), **kwargs)


def test_state_leaf_that_changes_shape_is_rejected():
    def growing_step(token_ids, state, index):
        history = tf.concat([state["history"], token_ids[:, None]], axis=1)
        return tf.zeros([2, VOCAB]), {"history": history}, None

    with pytest.raises(ValueError, match="greedy_search: step_fn must keep every state leaf"):
        greedy_search(growing_step, {"history": tf.zeros([2, 0], tf.int32)}, 2, 4)


def test_state_without_batch_axis_is_rejected():
    model = ToySeq2Seq(seed=0)
    state = model.initial_state(make_source(3, seed=0))
    with pytest.raises(ValueError, match=r"beam_search: every state leaf must have batch_size=2"):
        beam_search(model.step, state, 2, 4)
    with pytest.raises(ValueError, match=r"sample: every state leaf .* shape \(\)"):
        sample(model.step, {"scalar": tf.constant(1.0)}, 3, 4)


def test_length_penalty_formula():
    lengths = tf.constant([1, 7, 20])
    np.testing.assert_allclose(decoding.gnmt_length_penalty(lengths, 0.0).numpy(), [1.0, 1.0, 1.0])
    expected = gnmt_penalty(np.array([1, 7, 20]), 0.6)
    np.testing.assert_allclose(
        decoding.gnmt_length_penalty(lengths, 0.6).numpy(), expected, rtol=1e-6
    )


def test_teacher_forced_attention_follows_the_step_contract():
    from keras_attn import models

    model = models.seq2seq(12, 9, cell="gru", units=8, embedding_dim=4, bidirectional=True)
    source = np.array([[4, 5, 6, 2], [7, 2, 0, 0]], "int32")
    target_in = np.array([[1, 4, 5], [1, 6, 0]], "int32")
    weights = decoding.teacher_forced_attention(model, source, target_in).numpy()
    assert weights.shape == (2, 3, 4)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert np.all(weights[1, :, 2:] == 0)  # padding gets no weight
    # Row t is the attention of the step fed target_in[:, t].
    state = model.initial_state(source)
    for t in range(3):
        _, state, attention = model.step(target_in[:, t], state, t)
        np.testing.assert_allclose(weights[:, t], attention, atol=1e-6)


def test_decode_sizes_the_transformer_cache_to_the_decoding_length():
    """Decoding 70 tokens from a 3-token source must not run past the KV cache
    (whose default size is the source length + 50)."""
    from keras_attn import models

    model = models.transformer(12, 12, num_layers=1, d_model=8, num_heads=2, d_ff=16)
    logits = model.get_layer("logits")
    bias = logits.get_weights()[1]
    bias[decoding.END_ID] = -1e4  # never ends: every sentence decodes the full length
    logits.set_weights([logits.get_weights()[0], bias])
    source = np.array([[5, 6, decoding.END_ID]], "int32")
    assert model.initial_state(source, max_length=70)["layers"][0]["self_key"].shape[2] == 70
    result = decoding.generate(model, source, tf.constant(70))
    assert result["tokens"].shape == (1, 70)


def test_decode_refuses_an_unknown_strategy():
    with pytest.raises(ValueError, match="strategy must be one of"):
        decoding.decode(None, [[1]], strategy="nucleus")
