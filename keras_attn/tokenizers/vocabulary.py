"""Vocabularies: reserved tokens, plain-text vocabulary files, frequency cut-offs.

Every vocabulary starts with the reserved tokens, so their ids are the same for all
tokenizers: 0 "[PAD]", 1 "[START]", 2 "[END]", 3 "[UNK]". A vocabulary file is UTF-8
text with one token per line, "\\n" line ends, no byte-order mark; line `i` (from 0)
holds the token of id `i`. That is also the format TensorFlow's
`tf.lookup.TextFileInitializer` reads, so the file can be a SavedModel asset.
"""

import os

PAD_TOKEN = "[PAD]"
START_TOKEN = "[START]"
END_TOKEN = "[END]"
UNK_TOKEN = "[UNK]"
RESERVED_TOKENS = (PAD_TOKEN, START_TOKEN, END_TOKEN, UNK_TOKEN)
PAD_ID, START_ID, END_ID, UNK_ID = range(4)


def check_vocabulary(tokens, where="vocabulary"):
    """Raises `ValueError` unless `tokens` is a valid vocabulary.

    A valid vocabulary starts with `RESERVED_TOKENS`, has no duplicates, and no
    empty token or token containing a line break (it must fit one line of a file).
    """
    tokens = list(tokens)
    if tuple(tokens[: len(RESERVED_TOKENS)]) != RESERVED_TOKENS:
        raise ValueError(
            f"The {where} must start with the reserved tokens {list(RESERVED_TOKENS)}, "
            f"got {tokens[: len(RESERVED_TOKENS)]}."
        )
    seen = {}
    for index, token in enumerate(tokens):
        if not isinstance(token, str):
            raise ValueError(f"Token {index} of the {where} is not a str: {token!r}.")
        if not token or "\n" in token or "\r" in token:
            raise ValueError(f"Token {index} of the {where} is empty or contains a line break: {token!r}.")
        if token in seen:
            raise ValueError(
                f"Token {token!r} appears twice in the {where}, at ids {seen[token]} and {index}."
            )
        seen[token] = index
    return tokens


def write_vocabulary(tokens, path):
    """Writes a vocabulary file, one token per line.

    Args:
        tokens: the tokens in id order, starting with `RESERVED_TOKENS`.
        path: the file to write.

    Returns:
        `path`.
    """
    tokens = check_vocabulary(tokens)
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        file.writelines(token + "\n" for token in tokens)
    return path


def read_vocabulary(path):
    """Reads a vocabulary file written by `write_vocabulary`.

    Args:
        path: the vocabulary file.

    Returns:
        The list of tokens in id order.

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: when the file is not UTF-8, has a byte-order mark, CR line ends,
            an empty line, a duplicate, or does not start with the reserved tokens.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Vocabulary file not found: {path}")
    with open(path, "rb") as file:
        data = file.read()
    if data.startswith(b"\xef\xbb\xbf"):
        raise ValueError(f"Vocabulary file {path} starts with a byte-order mark; save it without.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"Vocabulary file {path} is not valid UTF-8: {error}.") from None
    if "\r" in text:
        raise ValueError(f"Vocabulary file {path} has CR line ends; expected '\\n' only.")
    if text.endswith("\n"):
        text = text[:-1]
    tokens = text.split("\n") if text else []
    for number, token in enumerate(tokens, start=1):
        if not token:
            raise ValueError(f"Vocabulary file {path}, line {number}: empty line.")
    return check_vocabulary(tokens, where=f"vocabulary file {path}")


def vocabulary_from_counts(counts, vocabulary_size=None, min_frequency=1, required=()):
    """Builds a vocabulary from token counts.

    Tokens are ordered by decreasing count, ties broken by the token itself, so the
    result does not depend on the order the corpus was read in.

    Args:
        counts: a mapping token → count.
        vocabulary_size: maximum size of the result, reserved tokens included
            (`None`: no limit).
        min_frequency: drop tokens seen fewer times.
        required: tokens placed right after the reserved ones whatever their count.

    Returns:
        The list of tokens in id order.
    """
    if vocabulary_size is not None:
        minimum = len(RESERVED_TOKENS) + len(required)
        valid = isinstance(vocabulary_size, int) and not isinstance(vocabulary_size, bool)
        if not valid or vocabulary_size < minimum:
            raise ValueError(f"`vocabulary_size` must be an int >= {minimum}, got {vocabulary_size!r}.")
    if isinstance(min_frequency, bool) or not isinstance(min_frequency, int) or min_frequency < 1:
        raise ValueError(f"`min_frequency` must be an int >= 1, got {min_frequency!r}.")
    fixed = list(RESERVED_TOKENS) + [token for token in required if token not in RESERVED_TOKENS]
    skip = set(fixed)
    ranked = sorted(
        (token for token, count in counts.items() if count >= min_frequency and token not in skip),
        key=lambda token: (-counts[token], token),
    )
    tokens = fixed + ranked
    if vocabulary_size is not None:
        tokens = tokens[:vocabulary_size]
    return tokens
