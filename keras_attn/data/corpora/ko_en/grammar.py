"""Korean→English sentence pairs generated from a small grammar, with word alignments.

The grammar models the reordering a translation model must learn: Korean is
subject-object-verb with case particles (나는 밥을 먹었다), English is
subject-verb-object with articles, do-support and agreement (i ate rice). Clauses
can be transitive, intransitive, motion (학교에 갔다, "went to school"), copula (학생이다,
"am a student"), adjective (날씨가 덥다, "the weather is hot") or existence (집에 있다,
"am at home"), in three tenses, negated (안 먹었다, "did not eat") or as questions
(먹었니 ?, "did ... eat ?"), with time and manner adverbs, locations, determiners and
adjectives. Clauses chain with -고 / -지만 ("and" / "but"), so sentences can be made as
long as needed.

The English side is a function of the Korean side: every choice that changes the
English (articles, number, tense) is visible in the Korean, and choices that do not
(topic 은/는 vs subject 이/가, plain 다 vs informal 어 style, adverb position) are only
made on the Korean side. A perfect model can therefore reach BLEU 100.

Alignment convention (all links are "sure" links): a sorted tuple of
`(target_index, source_index)` pairs over the whitespace tokens of the normalised
sentences. Every English word is linked to at least one Korean word:

- nouns, pronouns, names, adjectives and adverbs link to the Korean word that
  carries them (with its particle): i ↔ 나는, rice ↔ 밥을, to/school ↔ 학교에;
- articles link to the determiner (이/그/저) when there is one, else to their noun;
- main verbs link to the Korean predicate word(s) (ate ↔ 먹었다; study ↔ 공부, 했다);
- auxiliaries that carry tense (did, does, do, will, am, is, are, was, were) link to
  the Korean word that carries the tense: the verb word, or 것이다/거야/거니 in the
  future (will ↔ 것이다, eat ↔ 먹을); the future "be" links to the predicate word;
- "not" links to 안, or to the negative predicate 아니다 / 없다;
- "and" / "but" link to the Korean word carrying -고 / -지만; "?" links to "?".

Example:

>>> from keras_attn.data.corpora.ko_en import Clause, Sentence, realize
>>> realize(Sentence([Clause("나", "먹다", object="밥", tense="past")]))
Example(source='나는 밥을 먹었다', target='i ate rice', alignment=((0, 0), (1, 2), (2, 1)))
"""

import dataclasses
from typing import NamedTuple

from keras_attn.data.corpora.ko_en import korean
from keras_attn.data.corpora.ko_en import lexicon
from keras_attn.data.example import Example
from keras_attn.data.task import Task
from keras_attn.data.task import check_int
from keras_attn.data.task import check_range
from keras_attn.data.task import check_rate


def _index(entries, key, what):
    table = {}
    for entry in entries:
        name = getattr(entry, key)
        if name in table:
            raise ValueError(f"Duplicate {what} {name!r} in the ko-en lexicon.")
        table[name] = entry
    return table


_PRONOUNS = _index(lexicon.PRONOUNS, "korean", "pronoun")
_NOUNS = _index(lexicon.NOUNS, "korean", "noun")
_VERBS = _index(lexicon.VERBS, "lemma", "verb")
_ADJECTIVES = _index(lexicon.ADJECTIVES, "lemma", "adjective")
_PLACES = _index(lexicon.PLACES, "korean", "place")
_TIME_ADVERBS = _index(lexicon.TIME_ADVERBS, "korean", "time adverb")
_MANNER_ADVERBS = _index(lexicon.MANNER_ADVERBS, "korean", "manner adverb")
_DEGREE_ADVERBS = _index(lexicon.DEGREE_ADVERBS, "korean", "degree adverb")
_COMPLEMENTS = _index(lexicon.PEOPLE, "korean", "predicate noun")
EXISTENCE_LEMMA = lexicon.EXISTENCE.lemma
_HA = korean.Predicate("하")

_BE = {
    "present": {"i": "am", "3sg": "is", "other": "are"},
    "past": {"i": "was", "3sg": "was", "other": "were"},
}


@dataclasses.dataclass(frozen=True)
class Clause:
    """One clause, described by Korean lemmas; `realize` turns it into both languages.

    Attributes:
        subject: a pronoun (나), name (철수) or noun (학생, 개, 날씨).
        predicate: a verb (먹다), an adjective (덥다), 있다 (to be somewhere), or a
            person noun (학생) for the copula "to be a ...".
        object: the direct object of a transitive verb (pronoun, name or noun).
        place: the destination of a motion verb or the position with 있다 (학교).
        location: where the action of a verb takes place (도서관 → 도서관에서).
        tense: "past", "present" or "future".
        negated: negate the predicate (안 먹었다, 학생이 아니다, 없다).
        time: a time adverb (어제).
        manner: a manner adverb (빨리), for verbs.
        degree: a degree adverb (아주), for adjective predicates.
        subject_determiner, object_determiner: 이, 그 or 저 (this, the, that).
        object_adjective: an adjective lemma modifying the object (크다 → 큰).
        complement_adjective: an adjective lemma modifying the copula noun.
        topic: mark the subject as topic (은/는) rather than subject (이/가).
        drop_subject: omit the subject in both languages (not in the first clause).
        time_first: put the time adverb before the subject in Korean.
        manner_first: put the manner adverb before the object/destination in Korean.
    """

    subject: str
    predicate: str
    object: str | None = None
    place: str | None = None
    location: str | None = None
    tense: str = "present"
    negated: bool = False
    time: str | None = None
    manner: str | None = None
    degree: str | None = None
    subject_determiner: str | None = None
    object_determiner: str | None = None
    object_adjective: str | None = None
    complement_adjective: str | None = None
    topic: bool = True
    drop_subject: bool = False
    time_first: bool = False
    manner_first: bool = False


@dataclasses.dataclass(frozen=True)
class Sentence:
    """Clauses joined by connectives.

    Attributes:
        clauses: one or more `Clause`s.
        connectives: "and" (-고) or "but" (-지만) between consecutive clauses.
        question: make the (single) clause a yes/no question.
        informal: end in the intimate style (먹었어, 학생이야) instead of the plain
            style (먹었다, 학생이다); English is the same.
    """

    clauses: tuple
    connectives: tuple = ()
    question: bool = False
    informal: bool = False


def _lookup(table, key, what):
    try:
        return table[key]
    except KeyError:
        raise ValueError(
            f"Unknown {what} {key!r} in the ko-en lexicon; known: {', '.join(sorted(table))}."
        ) from None


class _Word:
    """A Korean word; English words link to these objects, not to positions."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


class _Builder:
    def __init__(self):
        self.korean = []
        self.english = []

    def ko(self, text):
        word = _Word(text)
        self.korean.append(word)
        return word

    def en(self, text, *links):
        links = tuple(link for link in links if link is not None)
        if not links:
            raise RuntimeError(f"English word {text!r} has no Korean word to align to.")
        for token in text.split():
            self.english.append((token, links))

    def example(self):
        position = {id(word): index for index, word in enumerate(self.korean)}
        alignment = sorted(
            {(t, position[id(word)]) for t, (_, links) in enumerate(self.english) for word in links}
        )
        return Example(
            " ".join(word.text for word in self.korean),
            " ".join(token for token, _ in self.english),
            tuple(alignment),
        )


def _indefinite(next_word):
    return "an" if next_word[0] in "aeiou" else "a"


def _subject(clause):
    if clause.subject in _PRONOUNS:
        if clause.subject_determiner:
            raise ValueError(f"Pronoun subject {clause.subject!r} cannot take a determiner.")
        return _PRONOUNS[clause.subject]
    noun = _lookup(_NOUNS, clause.subject, "subject")
    if clause.subject_determiner and noun.article == "none":
        raise ValueError(f"{clause.subject!r} (a name or bare noun) cannot take a determiner.")
    return noun


def _agreement(subject):
    return subject.agreement if isinstance(subject, lexicon.Pronoun) else "3sg"


def _verb_group(forms, agreement, tense, negated, question):
    """English (auxiliary, main verb) for a lexical verb; either may be `None`."""
    base, third_person, past = forms
    if tense == "future":
        return "will", base
    if negated or question:
        if tense == "past":
            return "did", base
        return ("does" if agreement == "3sg" else "do"), base
    if tense == "past":
        return None, past
    return None, (third_person if agreement == "3sg" else base)


def _be_group(agreement, tense):
    """English (auxiliary, main verb) for "to be"."""
    if tense == "future":
        return "will", "be"
    return _BE[tense][agreement], None


def _check_clause(clause, kind):
    if clause.tense not in korean.TENSES:
        raise ValueError(f"Unknown tense {clause.tense!r}: expected one of {korean.TENSES}.")
    allowed = {
        "verb": {"object", "place", "location", "manner", "object_determiner", "object_adjective"},
        "adjective": {"degree"},
        "copula": {"complement_adjective"},
        "existence": {"place"},
    }[kind]
    for field in ("object", "place", "location", "manner", "degree", "object_determiner",
                  "object_adjective", "complement_adjective"):
        if getattr(clause, field) is not None and field not in allowed:
            raise ValueError(
                f"Clause with predicate {clause.predicate!r} ({kind}) cannot have "
                f"`{field}`={getattr(clause, field)!r}."
            )


def _predicate_kind(clause):
    if clause.predicate in _VERBS:
        return "verb", _VERBS[clause.predicate]
    if clause.predicate in _ADJECTIVES:
        return "adjective", _ADJECTIVES[clause.predicate]
    if clause.predicate == EXISTENCE_LEMMA:
        return "existence", None
    if clause.predicate in _COMPLEMENTS:
        return "copula", _COMPLEMENTS[clause.predicate]
    raise ValueError(
        f"Unknown predicate {clause.predicate!r}: expected a verb or adjective lemma "
        f"ending in 다, {EXISTENCE_LEMMA!r}, or a person noun for the copula."
    )


def _object_phrase(out, clause, verb):
    """Builds the Korean object phrase; returns a function emitting its English."""
    determiner = clause.object_determiner
    if determiner is not None and determiner not in lexicon.DETERMINERS:
        raise ValueError(f"Unknown determiner {determiner!r}: expected one of {list(lexicon.DETERMINERS)}.")
    if clause.object in _PRONOUNS:
        if determiner or clause.object_adjective:
            raise ValueError(f"Pronoun object {clause.object!r} cannot take a determiner or adjective.")
        pronoun = _PRONOUNS[clause.object]
        word = out.ko(korean.with_particle(pronoun.korean, "object"))
        return lambda: out.en(pronoun.object, word)
    noun = _lookup(_NOUNS, clause.object, "object")
    if noun.article == "none" and (determiner or clause.object_adjective):
        raise ValueError(
            f"{clause.object!r} (a name or bare noun) cannot take a determiner or adjective."
        )
    determiner_word = out.ko(determiner) if determiner else None
    adjective = adjective_word = None
    if clause.object_adjective:
        adjective = _lookup(_ADJECTIVES, clause.object_adjective, "adjective")
        adjective_word = out.ko(adjective.attributive_form())
    noun_word = out.ko(korean.with_particle(noun.korean, "object"))

    def english():
        plural = verb.generic and noun.article == "a" and not determiner
        head = noun.plural if plural else noun.english
        first = adjective.english if adjective else head
        if determiner:
            out.en(lexicon.DETERMINERS[determiner], determiner_word)
        elif noun.article == "a" and not plural:
            out.en(_indefinite(first), noun_word)
        elif noun.article == "the":
            out.en("the", noun_word)
        if adjective:
            out.en(adjective.english, adjective_word)
        out.en(head, noun_word)

    return english


class _PredicatePhrase(NamedTuple):
    """A clause's predicate: its Korean words, and how to say it in English."""

    words: list  # Korean predicate words; the last one carries tense and ending
    negation: object  # the Korean word "not" links to, or None
    auxiliary: str | None  # English word carrying tense (did, will, is, ...)
    main: str | None  # English main verb (eat, be, ...)
    complements: list  # callables emitting the English after the verb group


def _verb_phrase(out, clause, verb, agreement, tense, ending, question):
    """Korean: [location] [manner] [object | destination] [manner] [안] verb."""
    manner = _lookup(_MANNER_ADVERBS, clause.manner, "manner adverb") if clause.manner else None
    location = _lookup(_PLACES, clause.location, "location") if clause.location else None
    location_word = out.ko(location.korean + "에서") if location else None
    manner_word = out.ko(manner.korean) if manner and clause.manner_first else None
    complements = []
    if clause.object is not None:
        if not verb.takes_object:
            raise ValueError(f"Verb {verb.lemma!r} takes no object, got {clause.object!r}.")
        complements.append(_object_phrase(out, clause, verb))
        forms = verb.english
    else:
        if verb.intransitive_english is None:
            raise ValueError(f"Verb {verb.lemma!r} needs an object.")
        forms = verb.intransitive_english
    if verb.motion:
        if clause.place is None:
            raise ValueError(f"Motion verb {verb.lemma!r} needs a `place` (destination).")
        place = _lookup(_PLACES, clause.place, "place")
        place_word = out.ko(place.korean + "에")
        complements.append(lambda: out.en(place.to, place_word))
    elif clause.place is not None:
        raise ValueError(
            f"Only motion verbs take a destination; {verb.lemma!r} got {clause.place!r}."
        )
    if manner and not clause.manner_first:
        manner_word = out.ko(manner.korean)
    if manner:
        complements.append(lambda: out.en(manner.english, manner_word))
    if location:
        complements.append(lambda: out.en(location.at, location_word))
    negation = None
    if clause.negated and verb.separable:
        # 공부 안 했다: negation goes between the noun and 하다.
        words = [out.ko(verb.separable)]
        negation = out.ko("안")
        words += [out.ko(word) for word in _HA.conjugate(tense, ending)]
    else:
        if clause.negated:
            negation = out.ko("안")
        words = [out.ko(word) for word in verb.predicate.conjugate(tense, ending)]
    auxiliary, main = _verb_group(forms, agreement, tense, clause.negated, question)
    return _PredicatePhrase(words, negation, auxiliary, main, complements)


def _adjective_phrase(out, clause, adjective, agreement, tense, ending):
    """Korean: [degree] [안] adjective. English: be [not] [degree] adjective."""
    if not adjective.subjects:
        raise ValueError(f"Adjective {adjective.lemma!r} is only used attributively.")
    degree = _lookup(_DEGREE_ADVERBS, clause.degree, "degree adverb") if clause.degree else None
    degree_word = out.ko(degree.korean) if degree else None
    negation = out.ko("안") if clause.negated else None
    words = [out.ko(word) for word in adjective.predicate.conjugate(tense, ending)]
    complements = []
    if degree:
        complements.append(lambda: out.en(degree.english, degree_word))
    complements.append(lambda: out.en(adjective.english, words[0]))
    return _PredicatePhrase(words, negation, *_be_group(agreement, tense), complements)


def _existence_phrase(out, clause, agreement, tense, ending):
    """Korean: place에 있다 (없다 when negated). English: be [not] at the place."""
    if clause.place is None:
        raise ValueError(f"{EXISTENCE_LEMMA!r} needs a `place`.")
    place = _lookup(_PLACES, clause.place, "place")
    place_word = out.ko(place.korean + "에")
    predicate = lexicon.NONEXISTENCE if clause.negated else lexicon.EXISTENCE
    words = [out.ko(word) for word in predicate.conjugate(tense, ending)]
    negation = words[0] if clause.negated else None
    complements = [lambda: out.en(place.at, place_word)]
    return _PredicatePhrase(words, negation, *_be_group(agreement, tense), complements)


def _copula_phrase(out, clause, noun, subject, agreement, tense, ending):
    """Korean: [adjective] noun이다 / noun이 아니다. English: be [not] a [adjective] noun."""
    adjective = adjective_word = None
    if clause.complement_adjective:
        adjective = _lookup(_ADJECTIVES, clause.complement_adjective, "adjective")
        adjective_word = out.ko(adjective.attributive_form())
    all_words = [out.ko(word) for word in korean.copula(noun.korean, tense, ending, clause.negated)]
    noun_word = all_words[0]
    words = all_words[1:] if clause.negated else all_words
    negation = words[0] if clause.negated else None
    plural = isinstance(subject, lexicon.Pronoun) and subject.plural

    def complement():
        head = noun.plural if plural else noun.english
        if not plural:
            out.en(_indefinite(adjective.english if adjective else head), noun_word)
        if adjective:
            out.en(adjective.english, adjective_word)
        out.en(head, noun_word)

    return _PredicatePhrase(words, negation, *_be_group(agreement, tense), [complement])


def _realize_clause(out, clause, ending, question):
    """Appends one clause to `out`; returns the Korean word that carries the ending."""
    kind, entry = _predicate_kind(clause)
    _check_clause(clause, kind)
    subject = _subject(clause)
    agreement = _agreement(subject)
    tense = clause.tense
    time = _lookup(_TIME_ADVERBS, clause.time, "time adverb") if clause.time else None

    # Korean, in Korean order: [time] subject [time] predicate phrase.
    time_word = out.ko(time.korean) if time and clause.time_first else None
    subject_determiner_word = subject_word = None
    if not clause.drop_subject:
        if clause.subject_determiner:
            if clause.subject_determiner not in lexicon.DETERMINERS:
                raise ValueError(f"Unknown determiner {clause.subject_determiner!r}.")
            subject_determiner_word = out.ko(clause.subject_determiner)
        role = "topic" if clause.topic else "subject"
        subject_word = out.ko(korean.with_particle(subject.korean, role))
    if time and not clause.time_first:
        time_word = out.ko(time.korean)
    if kind == "verb":
        phrase = _verb_phrase(out, clause, entry, agreement, tense, ending, question)
    elif kind == "adjective":
        phrase = _adjective_phrase(out, clause, entry, agreement, tense, ending)
    elif kind == "existence":
        phrase = _existence_phrase(out, clause, agreement, tense, ending)
    else:
        phrase = _copula_phrase(out, clause, entry, subject, agreement, tense, ending)

    # The tense lives on the future auxiliary (것이다) or on the last predicate word.
    tense_word = phrase.words[-1]
    main_links = [word for word in phrase.words if word is not tense_word or tense != "future"]

    # English, in English order: [aux] subject [aux] [not] [main] complements [time].
    def emit_subject():
        if clause.drop_subject:
            return
        if isinstance(subject, lexicon.Pronoun):
            out.en(subject.subject, subject_word)
            return
        if subject.article != "none":
            determiner = lexicon.DETERMINERS.get(clause.subject_determiner, "the")
            out.en(determiner, subject_determiner_word or subject_word)
        out.en(subject.english, subject_word)

    if question:
        out.en(phrase.auxiliary, tense_word)
        emit_subject()
    else:
        emit_subject()
        if phrase.auxiliary:
            out.en(phrase.auxiliary, tense_word)
    if clause.negated:
        out.en("not", phrase.negation)
    if phrase.main:
        out.en(phrase.main, *main_links)
    for emit in phrase.complements:
        emit()
    if time:
        out.en(time.english, time_word)
    return tense_word


def realize(sentence):
    """Turns a `Sentence` into its Korean source, English target and alignment.

    Args:
        sentence: a `Sentence`.

    Returns:
        An `Example(source, target, alignment)`, both sides normalised.

    Example:

    >>> realize(Sentence([Clause("나", "학생")]))
    Example(source='나는 학생이다', target='i am a student', alignment=((0, 0), (1, 1), (2, 1), (3, 1)))
    """
    clauses = tuple(sentence.clauses)
    if not clauses:
        raise ValueError("A Sentence needs at least one clause.")
    if len(sentence.connectives) != len(clauses) - 1:
        raise ValueError(
            f"A Sentence of {len(clauses)} clauses needs {len(clauses) - 1} connectives, "
            f"got {len(sentence.connectives)}."
        )
    if sentence.question and len(clauses) > 1:
        raise ValueError("Only single-clause sentences can be questions.")
    if clauses[0].drop_subject:
        raise ValueError("The first clause cannot drop its subject.")
    out = _Builder()
    for index, clause in enumerate(clauses):
        if index < len(clauses) - 1:
            connective = sentence.connectives[index]
            if connective not in lexicon.CONNECTIVES:
                raise ValueError(f"Unknown connective {connective!r}: expected 'and' or 'but'.")
            ending = connective
        elif sentence.informal:
            ending = "informal"
        else:
            ending = "question" if sentence.question else "plain"
        last_word = _realize_clause(out, clause, ending, sentence.question)
        if index < len(clauses) - 1:
            out.en(lexicon.CONNECTIVES[connective], last_word)
    if sentence.question:
        out.en("?", out.ko("?"))
    return out.example()


# Sampling weights. Only the Korean-side choices (particle, style, adverb position)
# are free; everything that changes the English is part of the Clause.
_CLAUSE_KINDS = (
    ("transitive", 0.38),
    ("intransitive", 0.12),
    ("motion", 0.14),
    ("copula", 0.10),
    ("adjective", 0.16),
    ("existence", 0.10),
)
_TENSES = (("past", 0.45), ("present", 0.35), ("future", 0.20))
_DEFAULT_MAX_CLAUSES = 3
_MAX_CLAUSES_FOR_LENGTH = 24
_LENGTH_ATTEMPTS = 1000

_TRANSITIVE = [verb for verb in lexicon.VERBS if verb.takes_object]
_INTRANSITIVE = [verb for verb in lexicon.VERBS if not verb.motion and verb.intransitive_english]
_MOTION = [verb for verb in lexicon.VERBS if verb.motion]
_PREDICATIVE = [adjective for adjective in lexicon.ADJECTIVES if adjective.subjects]
_COMMON_NOUNS = [noun for noun in lexicon.NOUNS if "name" not in noun.tags]
_COMMON_NOUNS_BY_KOREAN = {noun.korean for noun in _COMMON_NOUNS}
# Time adverbs that sit well with "to be a ..." (i was a student last year).
_COPULA_TIMES = ("작년에", "지금", "내년에")


def _weighted(rng, choices):
    point = rng.random() * sum(weight for _, weight in choices)
    for value, weight in choices:
        point -= weight
        if point < 0:
            return value
    return choices[-1][0]


class KoEnTask(Task):
    """Korean→English pairs from the grammar of this module, with gold alignments.

    Args:
        min_clauses: fewest clauses per sentence.
        max_clauses: most clauses per sentence; defaults to 3, or to 24 when a
            length bound is given (long sentences need many clauses).
        min_length: fewest Korean words per sentence (`None`: no bound).
        max_length: most Korean words per sentence (`None`: no bound). With
            either bound, a target length is drawn uniformly in the range and
            clauses are added until it is reached.
        question_rate: probability that a one-clause sentence is a question.
        negation_rate: probability that a clause is negated.

    Example:

    >>> import random
    >>> task = KoEnTask(min_length=40, max_length=50)
    >>> 40 <= len(task.sample(random.Random(0)).source.split()) <= 50
    True
    """

    name = "ko-en"
    has_alignments = True

    def __init__(
        self,
        min_clauses=1,
        max_clauses=None,
        min_length=None,
        max_length=None,
        question_rate=0.15,
        negation_rate=0.2,
    ):
        self.bounded = min_length is not None or max_length is not None
        if max_clauses is None:
            max_clauses = _MAX_CLAUSES_FOR_LENGTH if self.bounded else _DEFAULT_MAX_CLAUSES
        check_int(self.name, "min_clauses", min_clauses, 1)
        check_int(self.name, "max_clauses", max_clauses, 1)
        check_range(self.name, "min_clauses", min_clauses, "max_clauses", max_clauses)
        if min_length is None:
            min_length = 1
        if max_length is None:
            max_length = 12 * max_clauses
        check_int(self.name, "min_length", min_length, 1)
        check_int(self.name, "max_length", max_length, 1)
        check_range(self.name, "min_length", min_length, "max_length", max_length)
        check_rate(self.name, "question_rate", question_rate)
        check_rate(self.name, "negation_rate", negation_rate)
        self.min_clauses = min_clauses
        self.max_clauses = max_clauses
        self.min_length = min_length
        self.max_length = max_length
        self.question_rate = question_rate
        self.negation_rate = negation_rate
        self._candidates = {}

    def get_config(self):
        return {
            "min_clauses": self.min_clauses,
            "max_clauses": self.max_clauses,
            "min_length": self.min_length if self.bounded else None,
            "max_length": self.max_length if self.bounded else None,
            "question_rate": self.question_rate,
            "negation_rate": self.negation_rate,
        }

    def sample(self, rng):
        if not self.bounded:
            return realize(self.sample_sentence(rng, rng.randint(self.min_clauses, self.max_clauses)))
        for _ in range(_LENGTH_ATTEMPTS):
            wanted = rng.randint(self.min_length, self.max_length)
            clauses = []
            while True:
                clauses.append(self._clause(rng, clauses[-1] if clauses else None))
                example = realize(self._join(rng, clauses, question=False))
                length = len(example.source.split())
                if length >= wanted or len(clauses) == self.max_clauses:
                    break
            if len(clauses) >= self.min_clauses and self.min_length <= length <= self.max_length:
                return example
        raise ValueError(
            f"{self.name}: no sentence of {self.min_length}..{self.max_length} words with "
            f"{self.min_clauses}..{self.max_clauses} clauses in {_LENGTH_ATTEMPTS} attempts; "
            "widen the length range or allow more clauses."
        )

    def sample_sentence(self, rng, num_clauses):
        """Draws a `Sentence` of `num_clauses` clauses (to inspect or edit before `realize`)."""
        clauses = []
        for _ in range(num_clauses):
            clauses.append(self._clause(rng, clauses[-1] if clauses else None))
        question = num_clauses == 1 and rng.random() < self.question_rate
        return self._join(rng, clauses, question)

    def _join(self, rng, clauses, question):
        connectives = tuple("and" if rng.random() < 0.7 else "but" for _ in clauses[1:])
        return Sentence(tuple(clauses), connectives, question=question, informal=rng.random() < 0.5)

    def _nouns_with(self, tags):
        key = ("nouns", tags)
        if key not in self._candidates:
            self._candidates[key] = [noun for noun in _COMMON_NOUNS if noun.tags & tags]
        return self._candidates[key]

    def _referent(self, rng, tags, exclude=None, commons=True):
        """A pronoun, name or (if `commons`) common noun with one of `tags`."""
        groups = []
        if "human" in tags:
            groups.append([pronoun.korean for pronoun in lexicon.PRONOUNS])
            groups.append([name.korean for name in lexicon.NAMES])
        nouns = [noun.korean for noun in self._nouns_with(tags)] if commons else []
        if nouns:
            groups.append(nouns)
        while True:
            choice = rng.choice(rng.choice(groups))
            if choice != exclude:
                return choice

    def _subject(self, rng, tags, previous, commons=True):
        """(subject, determiner, drop) — sometimes repeating the previous subject."""
        if previous is not None and rng.random() < 0.3:
            repeated = previous.subject
            repeated_tags = (
                lexicon.HUMAN if repeated in _PRONOUNS else _NOUNS[repeated].tags
            )
            if repeated_tags & tags and (commons or repeated not in _COMMON_NOUNS_BY_KOREAN):
                return repeated, previous.subject_determiner, rng.random() < 0.7
        subject = self._referent(rng, tags, commons=commons)
        determiner = None
        if subject in _NOUNS and _NOUNS[subject].article != "none" and rng.random() < 0.15:
            determiner = rng.choice(sorted(lexicon.DETERMINERS))
        return subject, determiner, False

    def _clause(self, rng, previous):
        kind = _weighted(rng, _CLAUSE_KINDS)
        tense = _weighted(rng, _TENSES)
        negated = rng.random() < self.negation_rate
        fields = {}
        if kind in ("transitive", "intransitive", "motion"):
            verbs = {"transitive": _TRANSITIVE, "intransitive": _INTRANSITIVE, "motion": _MOTION}
            verb = rng.choice(verbs[kind])
            predicate, subject_tags = verb.lemma, verb.subjects
        elif kind == "adjective":
            adjective = rng.choice(_PREDICATIVE)
            negated = negated and adjective.negatable
            predicate, subject_tags = adjective.lemma, adjective.subjects
        elif kind == "existence":
            predicate, subject_tags = EXISTENCE_LEMMA, lexicon.ANIMATE
        else:
            predicate, subject_tags = rng.choice(lexicon.PEOPLE).korean, lexicon.HUMAN
        # Copula subjects are people by name or pronoun ("the baby is a boy" is odd).
        subject, subject_determiner, drop = self._subject(
            rng, subject_tags, previous, commons=kind != "copula"
        )

        if kind == "transitive":
            fields.update(self._object(rng, verb, subject))
        if kind == "motion" or kind == "existence":
            fields["place"] = rng.choice(lexicon.PLACES).korean
        if kind in ("transitive", "intransitive", "motion"):
            if verb.adverbs and rng.random() < 0.25:
                fields["manner"] = rng.choice(sorted(verb.adverbs))
                fields["manner_first"] = rng.random() < 0.4
            human = subject in _PRONOUNS or "human" in _NOUNS[subject].tags
            if kind != "motion" and human and rng.random() < 0.15:
                fields["location"] = rng.choice(lexicon.PLACES).korean
        if kind == "adjective" and not negated and rng.random() < 0.25:
            fields["degree"] = rng.choice(lexicon.DEGREE_ADVERBS).korean
        if kind == "copula":
            while predicate == subject:
                predicate = rng.choice(lexicon.PEOPLE).korean
            adjectives = self._adjectives_for(_COMPLEMENTS[predicate].tags)
            if adjectives and rng.random() < 0.2:
                fields["complement_adjective"] = rng.choice(adjectives).lemma
        if rng.random() < 0.3:
            times = [
                time.korean
                for time in lexicon.TIME_ADVERBS
                if tense in time.tenses and (kind != "copula" or time.korean in _COPULA_TIMES)
            ]
            fields["time"] = rng.choice(times)
            fields["time_first"] = rng.random() < 0.4
        return Clause(
            subject,
            predicate,
            tense=tense,
            negated=negated,
            subject_determiner=subject_determiner,
            topic=rng.random() < 0.7,
            drop_subject=drop,
            **fields,
        )

    def _adjectives_for(self, tags):
        key = ("adjectives", tags)
        if key not in self._candidates:
            self._candidates[key] = [a for a in lexicon.ADJECTIVES if a.modifies & tags]
        return self._candidates[key]

    def _object(self, rng, verb, subject):
        noun = self._referent(rng, verb.objects, exclude=subject)
        fields = {"object": noun}
        if noun in _NOUNS and _NOUNS[noun].article != "none":
            if rng.random() < 0.15:
                fields["object_determiner"] = rng.choice(sorted(lexicon.DETERMINERS))
            adjectives = self._adjectives_for(_NOUNS[noun].tags)
            if adjectives and rng.random() < 0.25:
                fields["object_adjective"] = rng.choice(adjectives).lemma
        return fields


# The running example of the README, the quickstart and the docs, realised by the grammar
# (so its gold alignment is the grammar's own): 나는 밥을 먹었다 → i ate rice.
SEED_EXAMPLE = realize(Sentence([Clause("나", "먹다", object="밥", tense="past")]))
