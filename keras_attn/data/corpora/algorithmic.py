"""Algorithmic sequence tasks with exact answers: copy, reverse, sort and addition.

Sources are space-separated tokens whose number is controlled exactly, which is what
length-generalisation experiments need (train on 10..40 symbols, test on 41..80).
Symbols are the integers `0 .. vocabulary_size - 1` written in decimal.

copy, reverse and sort also carry their exact alignment: target position `t` is
linked to the source position its symbol comes from (for sort, equal symbols keep
their source order).
"""

from keras_attn.data.example import Example
from keras_attn.data.task import Task
from keras_attn.data.task import check_int
from keras_attn.data.task import check_range


class _SymbolSequenceTask(Task):
    """A random sequence of symbols mapped to a permutation of itself."""

    has_alignments = True

    def __init__(self, min_length=1, max_length=20, vocabulary_size=10):
        check_int(self.name, "min_length", min_length, 0)
        check_int(self.name, "max_length", max_length, 0)
        check_range(self.name, "min_length", min_length, "max_length", max_length)
        check_int(self.name, "vocabulary_size", vocabulary_size, 1)
        self.min_length = min_length
        self.max_length = max_length
        self.vocabulary_size = vocabulary_size

    def get_config(self):
        return {
            "min_length": self.min_length,
            "max_length": self.max_length,
            "vocabulary_size": self.vocabulary_size,
        }

    def order(self, symbols):
        """The source positions in target order."""
        raise NotImplementedError

    def sample(self, rng):
        length = rng.randint(self.min_length, self.max_length)
        symbols = [rng.randrange(self.vocabulary_size) for _ in range(length)]
        order = self.order(symbols)
        return Example(
            " ".join(str(symbol) for symbol in symbols),
            " ".join(str(symbols[position]) for position in order),
            tuple((target, source) for target, source in enumerate(order)),
        )


class CopyTask(_SymbolSequenceTask):
    """Copy the source: "3 1 2" → "3 1 2".

    Args:
        min_length: fewest symbols in a source (0 allows the empty sentence).
        max_length: most symbols in a source; lengths are uniform in between.
        vocabulary_size: number of distinct symbols, written "0", "1", ...

    Example:

    >>> import random
    >>> CopyTask(min_length=3, max_length=3).sample(random.Random(0)).target
    '6 0 4'
    """

    name = "copy"

    def order(self, symbols):
        return list(range(len(symbols)))


class ReverseTask(_SymbolSequenceTask):
    """Reverse the source: "3 1 2" → "2 1 3". Same arguments as `CopyTask`."""

    name = "reverse"

    def order(self, symbols):
        return list(reversed(range(len(symbols))))


class SortTask(_SymbolSequenceTask):
    """Sort the symbols by value: "3 1 2" → "1 2 3". Same arguments as `CopyTask`."""

    name = "sort"

    def order(self, symbols):
        return sorted(range(len(symbols)), key=lambda position: symbols[position])


class AdditionTask(Task):
    """Add integers written digit by digit: "4 7 + 5" → "5 2".

    Args:
        min_digits: fewest digits per operand.
        max_digits: most digits per operand; each operand's digit count is uniform
            in between and multi-digit operands never start with 0.
        operands: how many integers are added.

    Example:

    >>> import random
    >>> AdditionTask(min_digits=2, max_digits=2).sample(random.Random(1)).source
    '8 2 + 4 2'
    """

    name = "addition"

    def __init__(self, min_digits=1, max_digits=5, operands=2):
        check_int(self.name, "min_digits", min_digits, 1)
        check_int(self.name, "max_digits", max_digits, 1)
        check_range(self.name, "min_digits", min_digits, "max_digits", max_digits)
        check_int(self.name, "operands", operands, 2)
        self.min_digits = min_digits
        self.max_digits = max_digits
        self.operands = operands

    def get_config(self):
        return {"min_digits": self.min_digits, "max_digits": self.max_digits, "operands": self.operands}

    def _operand(self, rng):
        digits = rng.randint(self.min_digits, self.max_digits)
        if digits == 1:
            return rng.randrange(10)
        return rng.randrange(10 ** (digits - 1), 10**digits)

    def sample(self, rng):
        numbers = [self._operand(rng) for _ in range(self.operands)]
        source = " + ".join(" ".join(str(number)) for number in numbers)
        return Example(source, " ".join(str(sum(numbers))))
