"""Korean morphology for the ko-en grammar: case particles and predicate endings.

Particles pick their allomorph from the final consonant (batchim) of the noun
(밥을 / 사과를). Predicates are conjugated from their stem with the regular rules
(vowel harmony, vowel contraction) and the irregular classes the lexicon uses:
ㅂ (덥다 → 더워), ㄷ (듣다 → 들어), 르 (부르다 → 불러), ㅎ (빨갛다 → 빨간) and
the stems ending in ㄹ, which lose it before ㄴ (살다 → 산다).

Tenses are "past", "present" and "future"; endings are:

- "plain": declarative, plain style (먹었다),
- "informal": declarative or question, intimate style (먹었어),
- "question": plain-style question (먹었니),
- "and" / "but": clause connectives -고 / -지만 (먹었고, 먹었지만).

The future is periphrastic (먹을 것이다) and so takes two words.
"""

from keras_attn.data.corpora.ko_en import hangul

TENSES = ("past", "present", "future")
ENDINGS = ("plain", "informal", "question", "and", "but")

_PARTICLES = {
    # role: (after a final consonant, after a vowel)
    "topic": ("은", "는"),
    "subject": ("이", "가"),
    "object": ("을", "를"),
}
# Pronouns whose subject form is irregular: 나 + 가 → 내가.
_IRREGULAR_SUBJECTS = {"나": "내가", "너": "네가", "저": "제가"}
_BRIGHT_VOWELS = ("ㅏ", "ㅗ", "ㅑ")
# Vowel contraction of a vowel-final stem with the 아/어 ending.
_CONTRACTIONS = {"ㅗ": "ㅘ", "ㅜ": "ㅝ", "ㅣ": "ㅕ", "ㅚ": "ㅙ"}
_NO_CONTRACTION = ("ㅏ", "ㅓ", "ㅕ", "ㅐ", "ㅔ")
# The second word of a future: 먹을 것이다, 먹을 거야, 먹을 거니, 먹을 것이고 ...
_FUTURE_AUXILIARY = {
    "plain": "것이다",
    "informal": "거야",
    "question": "거니",
    "and": "것이고",
    "but": "것이지만",
}
_IRREGULAR_CLASSES = (None, "ㅂ", "ㄷ", "르", "ㅎ")
_KINDS = ("verb", "adjective", "existence")


def with_particle(noun, role):
    """Attaches a case particle to a noun, choosing the allomorph by batchim.

    Args:
        noun: a Korean noun or pronoun, e.g. "밥".
        role: "topic" (은/는), "subject" (이/가) or "object" (을/를).

    Returns:
        The noun with its particle, as one word.

    Example:

    >>> with_particle("밥", "object"), with_particle("사과", "object")
    ('밥을', '사과를')
    >>> with_particle("나", "subject")
    '내가'
    """
    if role not in _PARTICLES:
        raise ValueError(f"Unknown particle role {role!r}: expected one of {sorted(_PARTICLES)}.")
    if role == "subject" and noun in _IRREGULAR_SUBJECTS:
        return _IRREGULAR_SUBJECTS[noun]
    after_consonant, after_vowel = _PARTICLES[role]
    return noun + (after_consonant if hangul.has_final_consonant(noun) else after_vowel)


def _check(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"Unknown {name} {value!r}: expected one of {list(allowed)}.")


class Predicate:
    """A verb or adjective stem that knows how to conjugate itself.

    Args:
        stem: the stem, i.e. the dictionary form without 다 ("먹" for 먹다).
        kind: "verb" (먹는다), "adjective" (덥다) or "existence" (있다/없다:
            declares like an adjective, modifies nouns like a verb).
        irregular: `None` or the irregular class: "ㅂ", "ㄷ", "르" or "ㅎ".
        infinitive: the 아/어 form when no rule gives it (only needed for "ㅎ").

    Example:

    >>> eat = Predicate("먹")
    >>> eat.conjugate("past", "plain"), eat.conjugate("future", "plain")
    (['먹었다'], ['먹을', '것이다'])
    """

    def __init__(self, stem, kind="verb", irregular=None, infinitive=None):
        if not stem or not all(hangul.is_syllable(char) for char in stem):
            raise ValueError(f"A predicate stem must be Hangul syllables, got {stem!r}.")
        _check("predicate kind", kind, _KINDS)
        _check("irregular class", irregular, _IRREGULAR_CLASSES)
        final = hangul.final_consonant(stem)
        expected_final = {"ㅂ": "ㅂ", "ㄷ": "ㄷ", "ㅎ": "ㅎ"}.get(irregular)
        if expected_final and final != expected_final:
            raise ValueError(f"Stem {stem!r} is in irregular class {irregular!r} but does not end in it.")
        if irregular == "르" and not stem.endswith("르"):
            raise ValueError(f"Stem {stem!r} is in irregular class '르' but does not end in 르.")
        if irregular == "ㅎ" and infinitive is None:
            raise ValueError(f"ㅎ-irregular stem {stem!r} needs its `infinitive` spelled out.")
        self.stem = stem
        self.kind = kind
        self.irregular = irregular
        self._infinitive = infinitive

    @property
    def lemma(self):
        """The dictionary form, e.g. "먹다"."""
        return self.stem + "다"

    def __repr__(self):
        return f"Predicate({self.lemma!r})"

    def infinitive(self):
        """The 아/어 form (먹어, 가, 해, 더워, 들어, 불러), which is also the informal present."""
        if self._infinitive:
            return self._infinitive
        stem = self.stem
        if stem.endswith("하"):
            return stem[:-1] + "해"
        if self.irregular == "ㅂ":
            return hangul.with_final(stem, "") + "워"
        if self.irregular == "ㄷ":
            stem = hangul.with_final(stem, "ㄹ")
        if self.irregular == "르":
            # 부르 → 불러: the ㄹ moves into the previous syllable.
            before = hangul.with_final(stem[:-1], "ㄹ")
            ending = "라" if hangul.last_vowel(stem[:-1]) in _BRIGHT_VOWELS else "러"
            return before + ending
        vowel = hangul.last_vowel(stem)
        if hangul.has_final_consonant(stem):
            return stem + ("아" if vowel in _BRIGHT_VOWELS else "어")
        if vowel in _NO_CONTRACTION:
            return stem
        if vowel in _CONTRACTIONS:
            return hangul.with_vowel(stem, _CONTRACTIONS[vowel])
        if vowel == "ㅡ":
            # 쓰 → 써, 바쁘 → 바빠: ㅡ drops, harmony follows the previous syllable.
            bright = len(stem) > 1 and hangul.last_vowel(stem[:-1]) in _BRIGHT_VOWELS
            return hangul.with_vowel(stem, "ㅏ" if bright else "ㅓ")
        return stem + "어"

    def _past_stem(self):
        return hangul.with_final(self.infinitive(), "ㅆ")

    def _without_final(self, final):
        """The stem for endings that drop a final ㄹ/ㅎ/ㅂ (산다, 빨간, 더운)."""
        return hangul.with_final(self.stem, "") if hangul.final_consonant(self.stem) == final else None

    def _present(self, ending):
        stem = self.stem
        if ending == "informal":
            return self.infinitive()
        if ending in ("and", "but"):
            return stem + ("고" if ending == "and" else "지만")
        if ending == "question":
            # ㄹ and ㅎ drop before 니: 사니, 빨가니.
            if self.irregular == "ㅎ":
                return self._without_final("ㅎ") + "니"
            return (self._without_final("ㄹ") or stem) + "니"
        # Plain declarative.
        if self.kind != "verb":
            return stem + "다"
        if not hangul.has_final_consonant(stem):
            return hangul.with_final(stem, "ㄴ") + "다"
        if hangul.final_consonant(stem) == "ㄹ":
            return hangul.with_final(stem, "ㄴ") + "다"
        return stem + "는다"

    def _prospective(self):
        """The future modifier form before 것: 먹을, 갈, 살, 더울, 들을, 빨갈."""
        stem = self.stem
        if self.irregular == "ㅂ":
            return hangul.with_final(stem, "") + "울"
        if self.irregular == "ㄷ":
            return hangul.with_final(stem, "ㄹ") + "을"
        if self.irregular == "ㅎ":
            return hangul.with_final(stem, "ㄹ")
        final = hangul.final_consonant(stem)
        if final == "":
            return hangul.with_final(stem, "ㄹ")
        if final == "ㄹ":
            return stem
        return stem + "을"

    def conjugate(self, tense, ending):
        """The predicate's words for a tense and an ending (see the module docstring).

        Returns:
            A list of one word, or two for the future (먹을 것이다).
        """
        _check("tense", tense, TENSES)
        _check("ending", ending, ENDINGS)
        if tense == "present":
            return [self._present(ending)]
        if tense == "past":
            suffix = {"plain": "다", "informal": "어", "question": "니", "and": "고", "but": "지만"}
            return [self._past_stem() + suffix[ending]]
        return [self._prospective(), _FUTURE_AUXILIARY[ending]]

    def attributive(self):
        """The present noun-modifier form: 큰 (크다), 작은, 더운, 빨간, 맛있는."""
        stem = self.stem
        if self.kind != "adjective" or stem.endswith("있") or stem.endswith("없"):
            return stem + "는"
        if self.irregular == "ㅂ":
            return hangul.with_final(stem, "") + "운"
        if self.irregular == "ㅎ":
            return hangul.with_final(stem, "ㄴ")
        final = hangul.final_consonant(stem)
        if final in ("", "ㄹ"):
            return hangul.with_final(stem, "ㄴ")
        return stem + "은"


def copula(noun, tense, ending, negated=False):
    """The copula "to be" with a predicate noun: 학생이다, 의사였다, 학생이 아니다.

    After a vowel the copula 이 contracts (의사다, 의사였다) except before ㄹ (의사일).
    The negative is a separate word, 아니다, with the noun in the subject case.

    Args:
        noun: the predicate noun.
        tense: "past", "present" or "future".
        ending: one of `ENDINGS`.
        negated: build the negative (학생이 아니다).

    Returns:
        The list of words; with `negated` the first word is the noun + 이/가.

    Example:

    >>> copula("학생", "present", "plain"), copula("의사", "past", "plain")
    (['학생이다'], ['의사였다'])
    >>> copula("학생", "present", "plain", negated=True)
    ['학생이', '아니다']
    """
    _check("tense", tense, TENSES)
    _check("ending", ending, ENDINGS)
    if negated:
        return [with_particle(noun, "subject")] + _NEGATIVE_COPULA.conjugate(tense, ending)
    consonant = hangul.has_final_consonant(noun)
    if tense == "future":
        return [noun + "일", _FUTURE_AUXILIARY[ending]]
    if tense == "past":
        stem = noun + ("이었" if consonant else "였")
        suffix = {"plain": "다", "informal": "어", "question": "니", "and": "고", "but": "지만"}
        return [stem + suffix[ending]]
    suffix = {"plain": "다", "informal": "야", "question": "니", "and": "고", "but": "지만"}
    return [noun + ("이" if consonant else "") + suffix[ending]]


class _NegativeCopula(Predicate):
    """아니다, whose informal form is 아니야 rather than the regular 아니어."""

    def __init__(self):
        super().__init__("아니", kind="adjective", infinitive="아니어")

    def _present(self, ending):
        return "아니야" if ending == "informal" else super()._present(ending)


_NEGATIVE_COPULA = _NegativeCopula()
