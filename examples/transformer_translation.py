"""A Transformer (Vaswani et al. 2017) on Korean→English, with per-head attention maps.

Trains `tiny_transformer` on the built-in `ko-en` corpus with `keras_attn.runs`
(what `keras-attn train` runs), reports BLEU and exact match, translates
"나는 밥을 먹었다", and draws every head of the last decoder layer's
cross-attention and of the first encoder layer's self-attention.

    python examples/transformer_translation.py           # ~5 min on 2 CPU cores
    python examples/transformer_translation.py --smoke   # seconds
"""

import argparse
import os

from keras_attn import data
from keras_attn import runs
from keras_attn import viz

SENTENCE = "나는 밥을 먹었다"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default="runs/transformer_ko_en")
    parser.add_argument("--smoke", action="store_true", help="tiny data, one epoch")
    args = parser.parse_args(argv)
    settings = dict(train_size=300, validation_size=50, epochs=1, d_model=32, d_ff=64) if args.smoke else dict(
        train_size=12_000, epochs=6, learning_rate=1e-3, dropout=0.0)
    translator = runs.train(args.output_dir, preset="tiny_transformer", overwrite=True,
                              verbose=0 if args.smoke else 2, **settings)
    scores = runs.evaluate(args.output_dir, size=50 if args.smoke else 500)
    print(", ".join(f"{k} {v}" for k, v in scores.items()))
    translation = translator.translate([SENTENCE])[0]
    print(f"{SENTENCE} → {translation}")

    # Teacher-forced on the model's own translation, so the maps show what it did.
    inputs, _ = next(iter(data.make_dataset([(SENTENCE, translation)], translator.source_tokenizer,
                                            translator.target_tokenizer, bucket_boundaries=None)))
    weights = translator.model.attention_weights(inputs)
    source = translator.source_tokenizer.ids_to_tokens(inputs["source"][0].numpy())
    target = translator.target_tokenizer.ids_to_tokens(inputs["target_in"][0].numpy())
    paths = [os.path.join(args.output_dir, name) for name in ("cross_attention_heads.png", "encoder_self_heads.png")]
    viz.multi_head_heatmaps(weights["cross"][-1][0].numpy(), source, target, path=paths[0],
                            title="last decoder layer, cross-attention")
    viz.multi_head_heatmaps(weights["encoder_self"][0][0].numpy(), source, path=paths[1],
                            title="first encoder layer, self-attention")
    print("wrote", *paths)
    return scores


if __name__ == "__main__":
    main()
