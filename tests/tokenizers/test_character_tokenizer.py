"""Character tokenizer: one id per character, spaces as "[SPACE]"."""

from keras_attn import tokenizers


def test_character_tokenizer_marks_spaces():
    tokenizer = tokenizers.CharacterTokenizer.from_corpus(["밥 먹어"])
    tokens = tokenizer.ids_to_tokens(tokenizer.tokenize("밥 먹어"))
    assert tokens == ["밥", "[SPACE]", "먹", "어"]
    assert tokenizer.detokenize(tokenizer.tokenize("밥 x")).numpy().decode() == "밥 [UNK]"
