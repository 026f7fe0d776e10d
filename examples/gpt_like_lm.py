"""A GPT-like causal language model trained on generated English, then `generate()`.

The decoder-only Transformer (`transformer_decoder_lm`, preset `tiny_gpt_like`)
learns the English side of the built-in `ko-en` corpus (sentences from a small
grammar: "the chef is tired today and teaches math well"). It reports held-out
perplexity, then continues prompts with greedy decoding and with temperature /
top-k sampling; decoding reuses cached keys/values, one position per token.

    python examples/gpt_like_lm.py           # full run (a few CPU minutes)
    python examples/gpt_like_lm.py --smoke   # seconds
"""

import argparse
import math

import keras

from keras_attn import data
from keras_attn import models

PROMPTS = ["the chef", "you ran to the", "she", ""]


def language_model_batches(sentences, tokenizer, batch_size, shuffle):
    """`([START] + ids, ids + [END])` batches (the target side of `make_dataset`)."""
    pairs = sentences.map(lambda sentence: (sentence, sentence))
    batches = data.make_dataset(
        pairs, tokenizer, tokenizer, batch_size=batch_size, shuffle=shuffle, seed=0, cache=True,
        bucket_boundaries=(16, 32, 64), pad_to_bucket_boundary=True, max_source_length=63,
        max_target_length=63,
    )
    return batches.map(lambda inputs, target_out: (inputs["target_in"], target_out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny data, one epoch")
    parser.add_argument("--train-size", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    if args.smoke:
        args.train_size, args.epochs = 512, 1

    english = lambda split, size: data.load("ko-en", split, size=size, seed=0).map(lambda ko, en: en)
    train, test = english("train", args.train_size), english("test", 500 if not args.smoke else 64)
    tokenizer = data.WordTokenizer.from_corpus(train)
    keras.utils.set_random_seed(0)
    lm = models.from_preset("tiny_gpt_like", tokenizer.vocabulary_size())
    lm.compile(**lm.default_compile_kwargs(warmup_steps=300, schedule_scale=0.5, label_smoothing=0.0))
    lm.fit(language_model_batches(train, tokenizer, 64, shuffle=True), epochs=args.epochs, verbose=2)
    loss, accuracy = lm.evaluate(language_model_batches(test, tokenizer, 64, shuffle=False), verbose=0)
    print(f"held-out perplexity {math.exp(loss):.2f}, next-token accuracy {accuracy:.3f}")

    prompt_ids = tokenizer.tokenize(PROMPTS).to_tensor()
    detokenize = lambda result: [t.decode("utf-8") for t in tokenizer.detokenize(result["tokens"]).numpy()]
    greedy = lm.generate(prompt_ids, max_length=30)
    sampled = lm.generate(prompt_ids, max_length=30, strategy="sample", temperature=0.8, top_k=10, seed=1)
    for prompt, g, s in zip(PROMPTS, detokenize(greedy), detokenize(sampled)):
        print(f"{prompt!r:18} greedy → {prompt} {g}\n{'':18} sample → {prompt} {s}")


if __name__ == "__main__":
    main()
