"""Mask and softmax helpers shared by the attention layers.

Masks are boolean, `True` = attend / keep. Everything here is `keras.ops`, so it
runs on every Keras backend.
"""

from keras import ops

# Added to masked scores before the softmax. The softmax runs in float32 whatever the
# layer's compute dtype, so this never overflows under mixed precision.
_MASKED_SCORE = -1e9


def causal_mask(query_length, key_length):
    """Causal mask `[Tq, Tk]`, aligned bottom-right.

    Query `i` may attend key `j` when `j <= i + (Tk - Tq)`: with a cache of earlier
    keys (`Tk > Tq`) the last query is the newest position and sees every key.
    """
    query_positions = ops.expand_dims(ops.arange(query_length), 1)
    key_positions = ops.expand_dims(ops.arange(key_length), 0)
    return key_positions <= query_positions + (key_length - query_length)


def kernel_causal(mask, use_causal_mask, query_length, key_length):
    """`(mask, is_causal)` to hand a fused kernel (`keras.ops.dot_product_attention`).

    The kernel's `is_causal` aligns top-left, which is `causal_mask`'s bottom-right
    alignment when `Tq == Tk`: then, with no other mask, the kernel masks by itself
    (cheaper than a mask tensor). Otherwise the causal mask joins `mask`.
    """
    if not use_causal_mask:
        return mask, False
    if mask is None and isinstance(query_length, int) and query_length == key_length:
        return None, True
    return merge_masks(mask, causal_mask(query_length, key_length)), False


def merge_masks(*masks):
    """Logical AND of the masks that are not `None` (numpy broadcasting)."""
    merged = None
    for mask in masks:
        if mask is None:
            continue
        mask = ops.cast(mask, "bool")
        merged = mask if merged is None else ops.logical_and(merged, mask)
    return merged


def masked_softmax(scores, mask=None):
    """Softmax over the last axis, in float32, that ignores masked positions.

    A row whose positions are all masked gets all-zero weights (not NaN and not a
    uniform distribution), so its context vector is zero.

    Args:
        scores: attention logits `[..., Tq, Tk]`, any float dtype.
        mask: optional boolean mask broadcastable to `scores`.

    Returns:
        float32 weights with the shape of `scores`.
    """
    weights, has_keys = softmax_over_keys(scores, mask)
    return weights if has_keys is None else ops.where(has_keys, weights, 0.0)


def softmax_over_keys(scores, mask=None):
    """`masked_softmax`, but fully masked rows are left uniform and reported instead.

    Masked positions of the other rows get exactly 0 (exp(-1e9) underflows), so
    only the fully masked rows differ. Zeroing what they produce downstream (a
    `[Tq, d]` context rather than the `[Tq, Tk]` weights) saves one pass over the
    weights, forward and backward.

    Returns:
        float32 weights with the shape of `scores`, and `has_keys`: a boolean
        `[..., Tq, 1]`, True for rows with at least one key (`None` without a mask).
    """
    scores = ops.cast(scores, "float32")
    if mask is None:
        return ops.softmax(scores, axis=-1), None
    mask = ops.cast(mask, "bool")
    weights = ops.softmax(ops.where(mask, scores, _MASKED_SCORE), axis=-1)
    return weights, ops.any(mask, axis=-1, keepdims=True)


def sequence_mask_to_rows_and_columns(query_mask=None, key_mask=None):
    """`[B, Tq]` and `[B, Tk]` padding masks as one `[B, Tq, Tk]`-broadcastable mask.

    A padded query position becomes a fully masked row (zero weights, zero context).
    """
    rows = None if query_mask is None else ops.expand_dims(query_mask, -1)
    columns = None if key_mask is None else ops.expand_dims(key_mask, -2)
    return merge_masks(rows, columns)
