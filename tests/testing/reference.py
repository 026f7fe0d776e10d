"""Independent numpy implementations of each layer, written from the papers' equations.

They share no code with keras_attn: a bug in the library cannot hide in them.
"""

import numpy as np


def softmax(scores, mask=None):
    """Softmax over the last axis; rows with no unmasked entry come back as NaN."""
    scores = np.asarray(scores, dtype=np.float64)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    peak = np.max(scores, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        exp = np.exp(scores - peak)
        return exp / exp.sum(axis=-1, keepdims=True)


def bottom_right_causal(tq, tk):
    return np.arange(tk)[None, :] <= np.arange(tq)[:, None] + (tk - tq)


def scaled_dot_product(q, k, v, mask=None):
    """Vaswani et al. 2017, eq. 1. Returns (output, weights)."""
    scores = q.astype(np.float64) @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        mask = np.broadcast_to(mask, scores.shape)
    weights = softmax(scores, mask)
    return weights @ v, weights


def bahdanau(q, k, v, w_q, w_k, b, att_v, mask=None, g=None):
    """e_ij = vᵀ tanh(W_q q_i + W_k k_j + b); q [B, Tq, Dq]."""
    hidden = np.tanh((q @ w_q)[:, :, None, :] + (k @ w_k)[:, None, :, :] + (0 if b is None else b))
    if g is not None:
        att_v = g * att_v / np.linalg.norm(att_v)
    weights = softmax(hidden @ att_v, mask)
    return weights @ v, weights


def luong(q, k, v, score, w=None, att_v=None, g=None, mask=None):
    """Luong et al. 2015, eq. 8; q [B, Tq, Dq]."""
    if score == "dot":
        scores = q @ np.swapaxes(k, 1, 2)
    elif score == "general":
        scores = np.einsum("bqi,ij,bkj->bqk", q, w, k)
    else:
        tq, tk = q.shape[1], k.shape[1]
        pairs = np.concatenate(
            [np.repeat(q[:, :, None, :], tk, 2), np.repeat(k[:, None, :, :], tq, 1)], axis=-1
        )
        scores = np.tanh(pairs @ w) @ att_v
    if g is not None:
        scores = g * scores
    weights = softmax(scores, mask)
    return weights @ v, weights


def multi_head(query, key, value, weights, num_heads, mask=None):
    """Concat(head_1..head_H) W^O with head_h = Attention(Q W^Q_h, K W^K_h, V W^V_h).

    `weights` is keras' layout: wq [D, H, k], bq [H, k], ..., wo [H, dv, Dout], bo.
    The heads are computed one at a time, as the paper writes them.
    """
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    heads = []
    all_weights = []
    for h in range(num_heads):
        out, w = scaled_dot_product(
            query @ wq[:, h] + bq[h], key @ wk[:, h] + bk[h], value @ wv[:, h] + bv[h], mask
        )
        heads.append(np.nan_to_num(out))
        all_weights.append(w)
    concat = np.concatenate(heads, axis=-1)
    w_out = wo.reshape(-1, wo.shape[-1])  # rows ordered head by head
    return concat @ w_out + bo, np.stack(all_weights, axis=1)


def positional_encoding(length, depth, max_wavelength=10000.0, start=0):
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d))."""
    table = np.zeros((length, depth))
    for pos in range(start, start + length):
        for feature in range(depth):
            two_i = feature - feature % 2
            angle = pos / max_wavelength ** (two_i / depth)
            table[pos - start, feature] = np.sin(angle) if feature % 2 == 0 else np.cos(angle)
    return table


def padding_mask(batch, length, rng, fully_masked_row=None):
    """Random [B, T] padding mask with at least one kept position per row."""
    lengths = rng.integers(1, length + 1, size=batch)
    mask = np.arange(length)[None, :] < lengths[:, None]
    if fully_masked_row is not None:
        mask[fully_masked_row] = False
    return mask
