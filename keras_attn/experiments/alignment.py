"""What a model's attention learned on ko-en, against the corpus' gold word alignments."""

import numpy as np

from keras_attn import data
from keras_attn import decoding
from keras_attn import evaluation
from keras_attn.data.corpora import ko_en
from keras_attn.experiments.arms import ARMS
from keras_attn.experiments.arms import build_matched
from keras_attn.experiments.arms import get_arm
from keras_attn.experiments.arms import train_model
from keras_attn.experiments.arms import word_tokenizers

SEED_SENTENCE = (ko_en.SEED_EXAMPLE.source, ko_en.SEED_EXAMPLE.target)


def ko_en_alignment_study(
    arm="bahdanau",
    parameter_budget=500_000,
    train_size=20_000,
    test_size=500,
    epochs=4,
    batch_size=64,
    learning_rate=3e-3,
    embedding_dim=64,
    seed=0,
    verbose=1,
):
    """Trains `arm` on `ko-en`; returns its BLEU, AER and the seed sentence's attention.

    Returns:
        A dict: model, source_tokenizer, target_tokenizer, bleu, exact_match, aer,
        train_seconds, and for "나는 밥을 먹었다": translation, source_tokens,
        target_tokens, attention `[Tt, Ts]` (teacher-forced on "i ate rice") and
        `argmax`: the source word each English word attends to most.
    """
    train = data.load("ko-en", "train", size=train_size, seed=seed)
    tokenizers = word_tokenizers(train)
    vocabulary_sizes = tuple(t.vocabulary_size() for t in tokenizers)
    model, _ = build_matched(arm, vocabulary_sizes, parameter_budget, embedding_dim, seed)
    batches = data.make_training_dataset(train, *tokenizers, batch_size=batch_size, max_length=64, seed=seed)
    seconds = train_model(model, batches, epochs, verbose, **ARMS[arm].policy_overrides(learning_rate))
    test = list(data.generate("ko-en", "test", size=test_size, seed=seed))
    scores = evaluation.score_model(model, [(e.source, e.target) for e in test], *tokenizers)
    has_attention = get_arm(arm).has_attention
    aer = evaluation.alignment_error_rate(model, test, *tokenizers) if has_attention else None

    source, target = SEED_SENTENCE
    inputs, _ = next(iter(data.make_dataset([SEED_SENTENCE], *tokenizers, bucket_boundaries=None)))
    result = model.generate(inputs["source"], max_length=20)
    weights = decoding.teacher_forced_attention(model, inputs["source"], inputs["target_in"]).numpy()[0]
    source_tokens = tokenizers[0].ids_to_tokens(inputs["source"][0].numpy())
    target_tokens = target.split()
    words = weights[: len(target_tokens), : len(source.split())]
    return {
        "model": model,
        "source_tokenizer": tokenizers[0],
        "target_tokenizer": tokenizers[1],
        "train_seconds": round(seconds, 1),
        "bleu": scores["bleu"],
        "exact_match": scores["exact_match"],
        "aer": aer,
        "translation": tokenizers[1].detokenize(result["tokens"]).numpy()[0].decode("utf-8"),
        "source_tokens": source_tokens,
        "target_tokens": target_tokens + ["[END]"],
        "attention": weights,
        "argmax": {word: source.split()[int(np.argmax(row))] for word, row in zip(target_tokens, words)},
    }
