"""A BERT-like encoder with a classification head: is this sequence sorted?

The encoder-only Transformer (`transformer_encoder`, preset `tiny_bert_like`) reads
`[CLS] x_1 ... x_n` and a dense layer on the `[CLS]` state says whether the symbols
are in ascending order. Half of the negatives are random orders, the other half
are sorted sequences with one adjacent pair swapped, so the model must compare
neighbours: that takes attention plus the positional encoding (attention alone
is order-blind). Writes the per-head encoder self-attention of one example with
`keras_attn.viz.multi_head_heatmaps`.

    python examples/bert_like_classifier.py           # full run (a few CPU minutes)
    python examples/bert_like_classifier.py --smoke   # seconds
"""

import argparse
import pathlib

import keras
import numpy as np

from keras_attn import models
from keras_attn import viz

CLS_ID = 1  # the reserved start id serves as [CLS]
FIRST_SYMBOL = 4  # ids 0-3 are reserved
NUM_SYMBOLS = 30


def make_examples(size, min_length=5, max_length=12, seed=0):
    """`[CLS] + symbols` rows (0-padded) and labels (1 = sorted)."""
    rng = np.random.default_rng(seed)
    ids = np.zeros((size, max_length + 1), "int32")
    labels = rng.integers(0, 2, size=size).astype("int32")
    for row in range(size):
        length = int(rng.integers(min_length, max_length + 1))
        symbols = np.sort(rng.choice(NUM_SYMBOLS, size=length, replace=False))
        if not labels[row]:
            if rng.random() < 0.5:
                rng.shuffle(symbols)
                if np.all(np.diff(symbols) > 0):  # a shuffle can come out sorted
                    symbols[[0, 1]] = symbols[[1, 0]]
            else:
                i = int(rng.integers(0, length - 1))
                symbols[[i, i + 1]] = symbols[[i + 1, i]]
        ids[row, 0] = CLS_ID
        ids[row, 1 : length + 1] = symbols + FIRST_SYMBOL
    return ids, labels


def build_classifier(encoder):
    """`encoder` + a binary head on the [CLS] position."""
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    states = encoder(token_ids)
    cls_state = keras.ops.take(states, 0, axis=1)
    probability = keras.layers.Dense(1, activation="sigmoid", name="is_sorted")(cls_state)
    return keras.Model(token_ids, probability, name="bert_like_classifier")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny data, one epoch")
    parser.add_argument("--train-size", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--output-dir", default="build/examples/bert_like_classifier")
    args = parser.parse_args()
    if args.smoke:
        args.train_size, args.epochs = 512, 1

    keras.utils.set_random_seed(0)
    train_ids, train_labels = make_examples(args.train_size, seed=0)
    test_ids, test_labels = make_examples(1000 if not args.smoke else 128, seed=1)
    encoder = models.from_preset("tiny_bert_like", FIRST_SYMBOL + NUM_SYMBOLS)
    classifier = build_classifier(encoder)
    classifier.compile(
        optimizer=models.transformer_optimizer(encoder.d_model, warmup_steps=300, scale=0.5),
        loss="binary_crossentropy", metrics=["accuracy"], jit_compile=True,
    )
    classifier.fit(train_ids, train_labels, batch_size=64, epochs=args.epochs, verbose=2)
    loss, accuracy = classifier.evaluate(test_ids, test_labels, verbose=0)
    print(f"held-out accuracy {accuracy:.3f} (loss {loss:.3f}) on {len(test_labels)} sequences")

    # Per-head self-attention of the last encoder layer for one test sequence.
    length = int(np.sum(test_ids[0] != 0))
    weights = encoder.attention_weights(test_ids[:1, :length])["encoder_self"][-1]
    tokens = ["[CLS]"] + [str(i - FIRST_SYMBOL) for i in test_ids[0, 1:length]]
    path = pathlib.Path(args.output_dir) / "encoder_self_attention.png"
    viz.multi_head_heatmaps(keras.ops.convert_to_numpy(weights)[0], tokens, path=path,
                            title=f"last encoder layer, label {int(test_labels[0])}")
    print(f"attention heads written to {path}")


if __name__ == "__main__":
    main()
