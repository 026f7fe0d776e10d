"""Word tokenizer: one id per word of the normalised text."""

from keras_attn import tokenizers


def test_word_tokenizer_ids_follow_words():
    tokenizer = tokenizers.WordTokenizer(list(tokenizers.RESERVED_TOKENS) + ["i", "ate", "rice", "."])
    assert tokenizer.tokenize("I ate rice.").numpy().tolist() == [4, 5, 6, 7]
    assert tokenizer.tokenize("I ate bread").numpy().tolist() == [4, 5, tokenizers.UNK_ID]
    assert tokenizer.detokenize([4, 5, tokenizers.UNK_ID]).numpy().decode() == "i ate [UNK]"
    assert tokenizer.vocabulary_size() == 8
    assert tokenizer.id_to_token(6) == "rice" and tokenizer.token_to_id("rice") == 6
    assert tokenizer.token_to_id("bread") == tokenizers.UNK_ID
