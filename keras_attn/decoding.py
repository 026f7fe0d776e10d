"""Autoregressive decoding shared by every model family and by the serving graph.

Every model that generates text exposes the same one-step contract:

    initial_state(source_ids) -> state
    step(token_ids, state, index) -> (logits, state, attention)

with `token_ids` int32 `[B]`, `index` the int32 scalar position of `token_ids` in the
target sequence (0 for the start token), `logits` `[B, V]`, `attention` `[B, Ts]`
(or `None` for a model without attention) and `state` a nested structure of tensors
that all have the batch as their first axis. The decoders below take the `step`
callable and an already computed state; they know nothing else about the model.

Three strategies are provided, all written with TensorFlow ops only so that they
trace in a plain `tf.function` (for the exported SavedModel) and compile under
`tf.function(jit_compile=True)` when `max_length` is a Python int:

- `greedy_search`: the most likely token at each step.
- `beam_search`: beam search with the GNMT length penalty.
- `sample`: temperature and top-k sampling with stateless, seeded randomness.

All three return a dict with the same keys:

- `"tokens"`: int32 `[B, T]`, the generated ids without the start token, including
  the end token, padded with 0 after it. `T == max_length`.
- `"lengths"`: int32 `[B]`, number of tokens including the end token (`T` for a
  sequence that never ended).
- `"log_probs"`: float32 `[B]`, sum of the log-softmax of the chosen tokens.
- `"scores"`: float32 `[B]`, the score the result was ranked by: `log_probs`
  divided by the length penalty for beam search, equal to `log_probs` otherwise.
- `"attention"`: float32 `[B, T, Ts]`, the attention returned by `step` for each
  generated token, zero on padding steps.

`beam_search(..., return_all_beams=True)` adds a beam axis after the batch axis:
`[B, K, T]`, `[B, K]`, ..., `[B, K, T, Ts]`, beams sorted best first.

How the loop is built:

- Step 0 runs once before the loop. Its outputs give the vocabulary size and the
  attention width `Ts`, which are needed to preallocate the result buffers; the
  remaining steps run in a `tf.while_loop` that stops as soon as every sequence has
  produced the end token (or after `max_length` steps).
- Results are written into buffers preallocated to `max_length` (one slot per
  step), never grown, so that shapes are fixed and XLA can compile the loop.
- A finished sequence keeps being fed to `step` with the padding id (the batch
  moves in lock step), but it may only be extended with padding, at no cost.
"""

import numbers
import weakref

import tensorflow as tf

PAD_ID = 0
START_ID = 1
END_ID = 2

# Random integers are drawn with 23 bits so that `(bits + 0.5) / 2**23` is exact in
# float32 and strictly inside (0, 1): the Gumbel noise built from it is finite.
_UNIFORM_BITS = 23


# --------------------------------------------------------------------------- #
# Public API
# --------------------------------------------------------------------------- #


STRATEGIES = ("greedy", "beam", "sample")


def decode(model, inputs, max_length=None, strategy="greedy", beam_size=4, length_penalty=0.6, temperature=1.0,
           top_k=None, seed=None, **state_options):
    """Runs one decoding strategy over `model`'s one-step contract, untraced.

    The plain function behind `generate` and the serving graph: call it inside a
    `tf.function` of your own (as `keras_attn.Translator.serving_fn` does), or use
    `generate`, which keeps one traced copy per model and settings.

    Args:
        model: provides `initial_state(inputs, max_length=...)`, `step(token_ids,
            state, index)` and `default_max_length(inputs)` (`keras_attn.models`'
            `GenerativeModel` states this contract).
        inputs: int ids `[B, T]`: the source of an encoder-decoder, the prompt of a
            language model.
        max_length: generated tokens at most, end token included (default: the
            model's `default_max_length(inputs)`); a Python int or int32 scalar.
        strategy: `"greedy"`, `"beam"` or `"sample"`.
        beam_size, length_penalty: for `"beam"` (see `beam_search`).
        temperature, top_k, seed: for `"sample"` (see `sample`).
        **state_options: more arguments of the model's `initial_state` (e.g.
            `use_cache=False` for a Transformer's uncached reference).

    Returns:
        The result dict every strategy returns (see the module docstring).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"decode: strategy must be one of {STRATEGIES}, got {strategy!r}")
    inputs = tf.convert_to_tensor(inputs, tf.int32)
    if max_length is None:
        max_length = model.default_max_length(inputs)
    state = model.initial_state(inputs, max_length=max_length, **state_options)
    batch_size = tf.shape(inputs)[0]
    if strategy == "beam":
        return beam_search(model.step, state, batch_size, max_length, beam_size=beam_size,
                           length_penalty=length_penalty)
    if strategy == "sample":
        return sample(model.step, state, batch_size, max_length, temperature=temperature, top_k=top_k, seed=seed)
    return greedy_search(model.step, state, batch_size, max_length)


def generate(model, inputs, max_length=None, strategy="greedy", beam_size=4, length_penalty=0.6, temperature=1.0,
             top_k=None, seed=None, **state_options):
    """`decode` in a `tf.function` traced once per model, settings and input shape.

    Every family's `generate` method lands here. The traced function is kept with
    the model (see `generation_function`), so a second call with the same shapes
    and settings runs the same graph instead of tracing again.

    Args and returns: as `decode`; `max_length` given as a Python int is part of
    the traced signature, as an int32 tensor it is not.
    """
    function = generation_function(model, strategy=strategy, beam_size=beam_size, length_penalty=length_penalty,
                                   temperature=temperature, top_k=top_k, seed=seed, **state_options)
    return function(tf.convert_to_tensor(inputs, tf.int32), max_length)


def generation_function(model, **settings):
    """The cached `tf.function` `(inputs, max_length) -> result` of `decode(model, **settings)`.

    One function per model and settings, created on first use and kept as long as
    the model lives; its `experimental_get_tracing_count()` tells how often it traced.
    """
    model_ref = weakref.ref(model)
    return cached_function(model, ("decode", tuple(sorted(settings.items()))),
                           lambda inputs, max_length: decode(model_ref(), inputs, max_length, **settings))


def teacher_forced_attention(model, source_ids, target_in):
    """The attention `[B, Tt, Ts]` of `model` fed the gold `target_in` through `step`.

    Row `t` is the attention the model uses to predict target token `t` (the map to
    compare with gold alignments). Traced once per model, for any shapes.

    Args:
        model: as in `decode`.
        source_ids: int `[B, Ts]`.
        target_in: int `[B, Tt]`, the start id followed by the gold target.
    """
    function = cached_function(model, ("teacher_forced_attention",), _teacher_forced_attention_fn(model),
                               input_signature=[tf.TensorSpec([None, None], tf.int32)] * 2)
    return function(tf.convert_to_tensor(source_ids, tf.int32), tf.convert_to_tensor(target_in, tf.int32))


def _teacher_forced_attention_fn(model):
    model_ref = weakref.ref(model)

    def attend(source_ids, target_in):
        model = model_ref()
        steps = tf.shape(target_in)[1]
        rows = tf.TensorArray(tf.float32, size=steps)

        def body(t, state, rows):
            _, state, attention = model.step(target_in[:, t], state, t)
            return t + 1, state, rows.write(t, attention)

        initial = (tf.constant(0), model.initial_state(source_ids, max_length=steps), rows)
        _, _, rows = tf.while_loop(lambda t, *_: t < steps, body, initial)
        return tf.transpose(rows.stack(), [1, 0, 2])

    return attend


# Traced functions per owner, dropped with the owner.
_FUNCTIONS = weakref.WeakKeyDictionary()


def cached_function(owner, key, python_function, input_signature=None, autograph=True):
    """The `tf.function` of `python_function` kept for `owner` under `key`, made on first use.

    Every generation graph of the project is traced here, once per owner (a model,
    a `Translator`) and key (its settings), and then once per shape signature.
    `python_function` must hold `owner` by a weak reference only (`weakref.ref`):
    a function that referred to its owner would keep it alive.
    """
    functions = _FUNCTIONS.setdefault(owner, {})
    if key not in functions:
        functions[key] = tf.function(python_function, input_signature=input_signature, autograph=autograph)
    return functions[key]


def greedy_search(step_fn, state, batch_size, max_length, start_id=START_ID, end_id=END_ID):
    """Decodes by taking the most likely token at every step.

    Args:
        step_fn: callable `(token_ids [B] int32, state, index int32 scalar) ->
            (logits [B, V], state, attention [B, Ts] or None)`.
        state: nested structure of tensors, each with the batch as first axis, as
            returned by the model's `initial_state`.
        batch_size: Python int or int32 scalar tensor, the `B` of `state`.
        max_length: Python int (static shapes, XLA-compatible) or int32 scalar tensor
            (buffers sized at run time); the maximum number of generated tokens,
            end token included.
        start_id: id fed at step 0.
        end_id: id that ends a sequence.

    Returns:
        A dict with `tokens` int32 `[B, T]`, `lengths` int32 `[B]`, `log_probs`
        float32 `[B]`, `scores` float32 `[B]` (equal to `log_probs`) and `attention`
        float32 `[B, T, Ts]`, where `T == max_length`.

    Example:

    >>> state = model.initial_state(source_ids)
    >>> result = greedy_search(model.step, state, batch_size=2, max_length=20)
    >>> result["tokens"].shape
    TensorShape([2, 20])
    """
    name = "greedy_search"
    batch_size = _check_batch_size(name, batch_size)
    max_length = _check_max_length(name, max_length)

    def select(log_probs, scores, index):
        tokens = tf.argmax(log_probs, axis=-1, output_type=tf.int32)
        return tf.zeros_like(tokens), tokens, scores + _pick(log_probs, tokens)

    beams = _decode(name, step_fn, state, batch_size, max_length, 1, select, start_id, end_id)
    result = {key: value[:, 0] for key, value in beams.items()}
    result["scores"] = result["log_probs"]
    return result


def beam_search(
    step_fn,
    state,
    batch_size,
    max_length,
    beam_size=4,
    length_penalty=0.6,
    start_id=START_ID,
    end_id=END_ID,
    return_all_beams=False,
):
    """Decodes with beam search and ranks the final beams with the GNMT length penalty.

    Each example keeps `beam_size` hypotheses, stored as `batch_size * beam_size`
    rows: rows `b * K ... b * K + K - 1` belong to example `b`. At each step the `K`
    best of the `K * V` one-token extensions, by accumulated log-probability, are
    kept, and every state leaf is reordered with one gather so that row `i` carries
    the state of the hypothesis it now holds. A hypothesis that produced the end
    token stays in the beam, extended only by padding at zero cost, so it competes
    with the live ones until the end. Once every hypothesis has finished the loop
    stops. The final beams are sorted by `log_probs / lp(lengths)` with
    `lp(n) = ((5 + n) / 6) ** length_penalty` (Wu et al., 2016), `n` counting the
    end token.

    If fewer than `beam_size` hypotheses of non-zero probability exist (a beam
    wider than the number of possible sequences), the surplus beams have
    `log_probs == -inf` and are sorted last; their tokens are not meaningful.

    Args:
        step_fn: callable `(token_ids [B*K] int32, state, index int32 scalar) ->
            (logits [B*K, V], state, attention [B*K, Ts] or None)`.
        state: nested structure of tensors with batch `B` as first axis; every leaf
            is repeated `beam_size` times along axis 0 before the first step.
        batch_size: Python int or int32 scalar tensor, the `B` of `state`.
        max_length: Python int or int32 scalar tensor, maximum number of generated
            tokens, end token included.
        beam_size: Python int `K >= 1`. `beam_size=1` is greedy search.
        length_penalty: `alpha >= 0` of the GNMT length penalty; 0 ranks by
            log-probability alone.
        start_id: id fed at step 0.
        end_id: id that ends a hypothesis.
        return_all_beams: if True, return every beam instead of the best one.

    Returns:
        A dict with `tokens` int32 `[B, T]`, `lengths` int32 `[B]`, `log_probs`
        float32 `[B]`, `scores` float32 `[B]` (length-normalized) and `attention`
        float32 `[B, T, Ts]` for the best beam; with `return_all_beams=True` the
        same keys with a beam axis after the batch axis (`[B, K, T]`, `[B, K]`,
        `[B, K, T, Ts]`), beams sorted best first by `scores`.

    Example:

    >>> state = model.initial_state(source_ids)
    >>> result = beam_search(model.step, state, batch_size=2, max_length=20,
    ...                      beam_size=4, length_penalty=0.6)
    >>> result["tokens"].shape
    TensorShape([2, 20])
    """
    name = "beam_search"
    batch_size = _check_batch_size(name, batch_size)
    max_length = _check_max_length(name, max_length)
    beam_size = _check_int(name, "beam_size", beam_size, minimum=1)
    length_penalty = _check_number(name, "length_penalty", length_penalty, strict=False)

    def select(log_probs, scores, index):
        # Top K of all K * V extensions of the example's hypotheses.
        vocab = _dim(log_probs, 2)
        candidates = tf.reshape(scores[:, :, None] + log_probs, [-1, beam_size * vocab])
        best, flat_ids = tf.math.top_k(candidates, k=beam_size)
        return flat_ids // vocab, flat_ids % vocab, best

    beams = _decode(
        name, step_fn, state, batch_size, max_length, beam_size, select, start_id, end_id
    )
    beams["scores"] = beams["log_probs"] / gnmt_length_penalty(beams["lengths"], length_penalty)
    order = tf.math.top_k(beams["scores"], k=beam_size).indices
    beams = {key: tf.gather(value, order, batch_dims=1) for key, value in beams.items()}
    if return_all_beams:
        return beams
    return {key: value[:, 0] for key, value in beams.items()}


def sample(
    step_fn,
    state,
    batch_size,
    max_length,
    temperature=1.0,
    top_k=None,
    seed=None,
    start_id=START_ID,
    end_id=END_ID,
):
    """Decodes by sampling each token from the (tempered, top-k truncated) softmax.

    Randomness is stateless: the noise of step `t` is a function of `(seed, t)`
    only, so a fixed seed gives the same output eagerly, in `tf.function` and under
    XLA. Tokens are drawn with the Gumbel-max trick (argmax of logits plus Gumbel
    noise), which samples exactly from the softmax and compiles everywhere.

    `log_probs` reports the model's own log-probabilities of the drawn tokens
    (log-softmax of the raw logits), not those of the tempered distribution.

    Args:
        step_fn: callable `(token_ids [B] int32, state, index int32 scalar) ->
            (logits [B, V], state, attention [B, Ts] or None)`.
        state: nested structure of tensors, each with the batch as first axis.
        batch_size: Python int or int32 scalar tensor, the `B` of `state`.
        max_length: Python int or int32 scalar tensor, maximum number of generated
            tokens, end token included.
        temperature: `> 0`; logits are divided by it. Below 1 sharpens towards
            greedy, above 1 flattens.
        top_k: Python int `>= 1` to sample only among the `top_k` most likely
            tokens (values above the vocabulary size keep every token), or None.
        seed: Python int, int scalar tensor or int tensor of shape `[2]`. None draws
            a fresh seed each time the decoding runs (also inside a traced graph).
        start_id: id fed at step 0.
        end_id: id that ends a sequence.

    Returns:
        A dict with `tokens` int32 `[B, T]`, `lengths` int32 `[B]`, `log_probs`
        float32 `[B]`, `scores` float32 `[B]` (equal to `log_probs`) and `attention`
        float32 `[B, T, Ts]`.

    Example:

    >>> state = lm.initial_state(prompt_ids)
    >>> result = sample(lm.step, state, batch_size=8, max_length=50,
    ...                 temperature=0.8, top_k=40, seed=1234)
    >>> result["tokens"].shape
    TensorShape([8, 50])
    """
    name = "sample"
    batch_size = _check_batch_size(name, batch_size)
    max_length = _check_max_length(name, max_length)
    temperature = _check_number(name, "temperature", temperature, strict=True)
    if top_k is not None:
        top_k = _check_int(name, "top_k", top_k, minimum=1)
    seed = _as_seed(seed)

    def select(log_probs, scores, index):
        # log_probs / temperature has the same softmax as logits / temperature.
        tempered = log_probs / temperature
        vocab = _dim(log_probs, 2)
        if top_k is None:
            candidates, candidate_ids = tempered, None
        else:
            k = min(top_k, vocab) if isinstance(vocab, int) else tf.minimum(top_k, vocab)
            candidates, candidate_ids = tf.math.top_k(tempered, k=k)
        step_seed = tf.random.experimental.stateless_fold_in(seed, index, alg="philox")
        noise = _gumbel_noise(tf.shape(candidates), step_seed)
        choice = tf.argmax(candidates + noise, axis=-1, output_type=tf.int32)
        tokens = choice if candidate_ids is None else _pick(candidate_ids, choice)
        return tf.zeros_like(tokens), tokens, scores + _pick(log_probs, tokens)

    beams = _decode(name, step_fn, state, batch_size, max_length, 1, select, start_id, end_id)
    result = {key: value[:, 0] for key, value in beams.items()}
    result["scores"] = result["log_probs"]
    return result


def gnmt_length_penalty(lengths, alpha):
    """GNMT length penalty `((5 + |Y|) / 6) ** alpha` (Wu et al., 2016).

    Args:
        lengths: int tensor of hypothesis lengths, end token included.
        alpha: float `>= 0`; 0 gives a penalty of 1 (no normalization).

    Returns:
        float32 tensor shaped like `lengths`.

    Example:

    >>> float(gnmt_length_penalty(tf.constant(7), 1.0))
    2.0
    """
    lengths = tf.cast(lengths, tf.float32)
    return tf.pow((5.0 + lengths) / 6.0, tf.cast(alpha, tf.float32))


# --------------------------------------------------------------------------- #
# The shared loop
# --------------------------------------------------------------------------- #


def _decode(name, step_fn, state, batch_size, max_length, beam_size, select, start_id, end_id):
    """Runs `step_fn` until every hypothesis ends; returns per-beam results.

    `select(log_probs [B, K, V], scores [B, K], index) -> (parent [B, K],
    token [B, K], scores [B, K])` chooses, for each new hypothesis slot, the
    hypothesis it extends, the token it appends and its accumulated log-probability.
    Hypotheses that already ended see a distribution that only allows padding.

    Returns a dict of `tokens [B, K, T]`, `lengths [B, K]`, `log_probs [B, K]` and
    `attention [B, K, T, Ts]`, beams in search order.
    """
    state = tf.nest.map_structure(tf.convert_to_tensor, state)
    _check_state(name, state, batch_size)
    if beam_size > 1:
        state = tf.nest.map_structure(lambda leaf: tf.repeat(leaf, beam_size, axis=0), state)
    rows = batch_size * beam_size

    index = tf.constant(0, tf.int32)
    start = tf.fill([rows], tf.cast(start_id, tf.int32))
    logits, state, attention = _call_step(name, step_fn, start, state, index)

    # All beams start as the same empty hypothesis: only beam 0 may be extended at
    # step 0, or the beam would fill up with K copies of the same sequence.
    first_scores = tf.where(tf.range(beam_size) == 0, 0.0, -float("inf"))
    carry = {
        "index": index,
        "last": start,
        "state": state,
        "scores": tf.zeros([batch_size, 1]) + first_scores,
        "finished": tf.zeros([batch_size, beam_size], tf.bool),
        "lengths": tf.zeros([batch_size, beam_size], tf.int32),
        # Time-major so that step t writes one slice.
        "tokens": tf.zeros([max_length, rows], tf.int32),
        "attention": tf.zeros([max_length, rows, _dim(attention, 1)], tf.float32),
    }
    carry = _advance(carry, logits, state, attention, select, beam_size, end_id)

    def cond(carry):
        return (carry["index"] < max_length) & ~tf.reduce_all(carry["finished"])

    def body(carry):
        logits, state, attention = _call_step(
            name, step_fn, carry["last"], carry["state"], carry["index"]
        )
        new = _advance(carry, logits, state, attention, select, beam_size, end_id)
        return (_keep_shapes(name, new, carry),)

    (carry,) = tf.while_loop(cond, body, (carry,))

    def split_beams(rows_first):
        return tf.reshape(rows_first, [-1, beam_size] + _shape(rows_first)[1:])

    return {
        "tokens": split_beams(tf.transpose(carry["tokens"])),
        "lengths": carry["lengths"],
        "log_probs": carry["scores"],
        "attention": split_beams(tf.transpose(carry["attention"], [1, 0, 2])),
    }


def _advance(carry, logits, state, attention, select, beam_size, end_id):
    """Folds the outputs of step `carry["index"]` into the decoding carry."""
    index, finished = carry["index"], carry["finished"]
    vocab = _dim(logits, 1)
    log_probs = tf.reshape(tf.nn.log_softmax(logits), [-1, beam_size, vocab])
    # An ended hypothesis may only be extended with padding, at zero cost.
    pad_only = tf.where(tf.range(vocab) == PAD_ID, 0.0, -float("inf"))
    log_probs = tf.where(finished[:, :, None], pad_only, log_probs)
    parent, tokens, scores = select(log_probs, carry["scores"], index)

    # This step's attention belongs to the row that was fed, so it is written
    # before rows are reordered; ended rows get zeros.
    live_rows = tf.cast(~tf.reshape(finished, [-1]), tf.float32)
    attention_history = _write(carry["attention"], index, attention * live_rows[:, None])
    token_history, lengths = carry["tokens"], carry["lengths"]
    if beam_size > 1:
        # Row i now holds a child of row `source_rows[i]`: one gather per leaf.
        source_rows = tf.reshape(
            tf.range(tf.shape(parent)[0])[:, None] * beam_size + parent, [-1]
        )
        state = tf.nest.map_structure(lambda leaf: tf.gather(leaf, source_rows), state)
        token_history = tf.gather(token_history, source_rows, axis=1)
        attention_history = tf.gather(attention_history, source_rows, axis=1)
        finished = tf.gather(finished, parent, batch_dims=1)
        lengths = tf.gather(lengths, parent, batch_dims=1)

    # A slot whose best candidate has probability 0 (the beam is wider than the
    # number of possible hypotheses, or the model masked every token with -inf)
    # holds no hypothesis: it is closed at once, so it cannot keep the loop running.
    dead = tf.math.is_inf(scores)
    tokens = tf.where(finished | dead, PAD_ID, tokens)
    flat_tokens = tf.reshape(tokens, [-1])
    return {
        "index": index + 1,
        "last": flat_tokens,
        "state": state,
        "scores": scores,
        "finished": finished | dead | (tokens == end_id),
        "lengths": lengths + tf.cast(~(finished | dead), tf.int32),
        "tokens": _write(token_history, index, flat_tokens),
        "attention": attention_history,
    }


def _call_step(name, step_fn, tokens, state, index):
    """Calls the model step and normalizes its outputs to float32 tensors."""
    outputs = step_fn(tokens, state, index)
    if not isinstance(outputs, (tuple, list)) or len(outputs) != 3:
        raise ValueError(
            f"{name}: step_fn must return (logits, state, attention), got {outputs!r}"
        )
    logits, state, attention = outputs
    logits = tf.cast(tf.convert_to_tensor(logits), tf.float32)
    if logits.shape.rank != 2:
        raise ValueError(
            f"{name}: step_fn must return logits of shape [batch, vocab], "
            f"got shape {logits.shape}"
        )
    if attention is None:
        attention = tf.zeros([tf.shape(logits)[0], 0], tf.float32)
    attention = tf.cast(tf.convert_to_tensor(attention), tf.float32)
    if attention.shape.rank != 2:
        raise ValueError(
            f"{name}: step_fn must return attention of shape [batch, source_length] "
            f"or None, got shape {attention.shape}"
        )
    state = tf.nest.map_structure(tf.convert_to_tensor, state)
    return logits, state, attention


def _keep_shapes(name, new, old):
    """Checks that the loop carry keeps its dtypes and shapes, restoring static dims.

    Ops such as `tf.gather` with a computed index lose static sizes; the
    `tf.while_loop` shape invariants (and XLA) need them back.
    """

    def keep(new_leaf, old_leaf):
        if new_leaf.dtype != old_leaf.dtype or not new_leaf.shape.is_compatible_with(
            old_leaf.shape
        ):
            raise ValueError(
                f"{name}: step_fn must keep every state leaf's dtype and shape across "
                f"steps (preallocate caches to max_length); a leaf changed from "
                f"{old_leaf.dtype} {old_leaf.shape} to {new_leaf.dtype} {new_leaf.shape}"
            )
        new_leaf.set_shape(old_leaf.shape)
        return new_leaf

    return tf.nest.map_structure(keep, new, old)


# --------------------------------------------------------------------------- #
# Small tensor helpers
# --------------------------------------------------------------------------- #


def _write(buffer, index, value):
    """Returns the time-major `buffer` with slice `index` replaced by `value`.

    A mask rather than `tensor_scatter_nd_update`, which rejects empty buffers (a
    model without attention has `Ts == 0`); both compile under XLA.
    """
    at_index = tf.range(tf.shape(buffer)[0]) == index
    at_index = tf.reshape(at_index, [-1] + [1] * (buffer.shape.rank - 1))
    return tf.where(at_index, value[None], buffer)


def _pick(values, ids):
    """`values[..., ids]` for `values [B, K, N]` and `ids [B, K]` -> `[B, K]`."""
    return tf.gather(values, ids[:, :, None], batch_dims=2)[:, :, 0]


def _gumbel_noise(shape, seed):
    """Standard Gumbel noise from stateless random integers.

    Integers rather than `stateless_uniform` floats, because the float path gives
    different numbers under XLA than in TensorFlow kernels on this stack, which
    would make a seeded sample depend on `jit_compile`.
    """
    bits = tf.random.stateless_uniform(
        shape, seed, minval=0, maxval=1 << _UNIFORM_BITS, dtype=tf.int32, alg="philox"
    )
    uniform = (tf.cast(bits, tf.float32) + 0.5) * (2.0**-_UNIFORM_BITS)
    return -tf.math.log(-tf.math.log(uniform))


def _shape(x):
    """Shape as a list of Python ints where static, scalar tensors otherwise."""
    dynamic = tf.shape(x)
    return [dim if dim is not None else dynamic[i] for i, dim in enumerate(x.shape.as_list())]


def _dim(x, axis):
    return _shape(x)[axis]


def _as_seed(seed):
    """Converts `seed` to the int64 `[2]` tensor that stateless random ops take."""
    if seed is None:
        # Drawn when the graph runs, so a traced or exported function still varies.
        return tf.random.uniform([2], maxval=tf.int64.max, dtype=tf.int64)
    seed = tf.cast(seed, tf.int64)
    if seed.shape.rank == 0:
        return tf.stack([seed, tf.constant(0, tf.int64)])
    return tf.reshape(seed, [2])


# --------------------------------------------------------------------------- #
# Argument checks
# --------------------------------------------------------------------------- #


def _check_int(name, argument, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: {argument} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_number(name, argument, value, strict):
    """Checks `value > 0` (strict) or `>= 0` when the value is known while tracing."""
    known = value if isinstance(value, numbers.Real) else tf.get_static_value(value)
    bound = "> 0" if strict else ">= 0"
    if known is not None and (known <= 0 if strict else known < 0):
        raise ValueError(f"{name}: {argument} must be {bound}, got {float(known)!r}")
    return value if isinstance(value, numbers.Real) else tf.cast(value, tf.float32)


def _check_state(name, state, batch_size):
    """Every state leaf must have the batch as first axis (beam search tiles it)."""
    for leaf in tf.nest.flatten(state):
        rows = leaf.shape[0] if leaf.shape.rank else None
        if not leaf.shape.rank or (
            isinstance(batch_size, int) and rows is not None and rows != batch_size
        ):
            raise ValueError(
                f"{name}: every state leaf must have batch_size={batch_size} as its first "
                f"axis, got a leaf of shape {leaf.shape}"
            )


def _check_batch_size(name, batch_size):
    if tf.is_tensor(batch_size):
        return _check_tensor_int(name, "batch_size", batch_size)
    return _check_int(name, "batch_size", batch_size, minimum=1)


def _check_max_length(name, max_length):
    if tf.is_tensor(max_length):
        return _check_tensor_int(name, "max_length", max_length)
    return _check_int(name, "max_length", max_length, minimum=1)


def _check_tensor_int(name, argument, value):
    """Validates an int scalar tensor now if its value is known, else at run time."""
    value = tf.cast(value, tf.int32)
    known = tf.get_static_value(value)
    if known is not None:
        if known < 1:
            raise ValueError(f"{name}: {argument} must be an integer >= 1, got {int(known)}")
        return value
    check = tf.debugging.assert_positive(
        value, message=f"{name}: {argument} must be an integer >= 1"
    )
    with tf.control_dependencies([check]):
        return tf.identity(value)
