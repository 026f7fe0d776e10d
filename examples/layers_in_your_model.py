"""keras_attn's layers in your own Keras models: a text classifier and a forecaster.

1. A classifier over token sequences: Embedding → PositionalEncoding →
   MultiHeadSelfAttention → masked average → Dense. The label (does token 5 come
   before token 9?) depends on word order, so it needs the positional encoding.
2. A time-series forecaster: the next value of a noisy sine wave from the last 32,
   with causal self-attention over the window.

    python examples/layers_in_your_model.py           # ~1 min on 2 CPU cores
    python examples/layers_in_your_model.py --smoke   # seconds
"""

import argparse

import keras
import numpy as np

import keras_attn


def order_task(size, rng, vocabulary=20, max_length=24):
    """Random token sequences (ids 4.., 0-padded); label: 5 occurs before 9."""
    tokens = np.zeros((size, max_length), "int32")
    labels = np.zeros((size,), "float32")
    fillers = [t for t in range(4, vocabulary) if t not in (5, 9)]
    for i in range(size):
        length = rng.integers(6, max_length + 1)
        row = rng.choice(fillers, length)
        row[rng.choice(length, 2, replace=False)] = rng.permutation([5, 9])  # each once, in random order
        tokens[i, :length] = row
        labels[i] = np.argmax(row == 5) < np.argmax(row == 9)
    return tokens, labels


def text_classifier(vocabulary=20):
    tokens = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(vocabulary, 32, mask_zero=True)(tokens)
    x = keras_attn.PositionalEncoding()(x)
    x = keras_attn.MultiHeadSelfAttention(num_heads=4, key_dim=8)(x)  # padding masked via the Keras mask
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(tokens, keras.layers.Dense(1, activation="sigmoid")(x))


def sine_windows(size, rng, window=32):
    start = rng.uniform(0, 2 * np.pi, (size, 1))
    t = start + 0.2 * np.arange(window + 1)
    series = (np.sin(t) + 0.05 * rng.normal(size=t.shape)).astype("float32")
    return series[:, :window, None], series[:, window]


def forecaster(window=32):
    values = keras.Input((window, 1))
    x = keras.layers.Dense(32)(values)
    x = keras_attn.PositionalEncoding()(x)
    x = keras_attn.MultiHeadSelfAttention(num_heads=4, key_dim=8)(x, use_causal_mask=True)
    return keras.Model(values, keras.layers.Dense(1)(x[:, -1]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny data, one epoch")
    args = parser.parse_args(argv)
    size, epochs = (256, 1) if args.smoke else (8000, 10)
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)

    classifier = text_classifier()
    classifier.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    x, y = order_task(size, rng)
    classifier.fit(x, y, epochs=epochs, batch_size=64, verbose=0)
    x_test, y_test = order_task(1000, rng)
    accuracy = classifier.evaluate(x_test, y_test, verbose=0)[1]
    print(f"text classifier (5 before 9?): held-out accuracy {accuracy:.3f} (chance 0.5)")

    model = forecaster()
    model.compile("adam", "mse")
    x, y = sine_windows(size, rng)
    model.fit(x, y, epochs=epochs, batch_size=64, verbose=0)
    x_test, y_test = sine_windows(1000, rng)
    mse = model.evaluate(x_test, y_test, verbose=0)
    naive = float(np.mean((x_test[:, -1, 0] - y_test) ** 2))
    print(f"forecaster: held-out MSE {mse:.4f} vs {naive:.4f} for repeating the last value")
    return {"accuracy": accuracy, "mse": mse, "naive_mse": naive}


if __name__ == "__main__":
    main()
