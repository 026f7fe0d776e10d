"""The ko-en grammar: seed sentences, alignments, determinism of the English side."""

import collections
import random
import re

import pytest

from keras_attn.data import normalize
from keras_attn.data.corpora.ko_en import Clause
from keras_attn.data.corpora.ko_en import KoEnTask
from keras_attn.data.corpora.ko_en import Sentence
from keras_attn.data.corpora.ko_en import lexicon
from keras_attn.data.corpora.ko_en import realize


def _links(example):
    """{(target word, source word)} of an example's alignment."""
    source, target = example.source.split(), example.target.split()
    return {(target[t], source[s]) for t, s in example.alignment}


@pytest.mark.parametrize(
    "sentence, source, target, links",
    [
        (
            Sentence([Clause("나", "먹다", object="밥", tense="past")]),
            "나는 밥을 먹었다",
            "i ate rice",
            {("i", "나는"), ("rice", "밥을"), ("ate", "먹었다")},
        ),
        (
            Sentence([Clause("나", "사랑하다", object="철수")], informal=True),
            "나는 철수를 사랑해",
            "i love cheolsu",
            {("i", "나는"), ("cheolsu", "철수를"), ("love", "사랑해")},
        ),
        (
            Sentence([Clause("나", "학생")]),
            "나는 학생이다",
            "i am a student",
            {("i", "나는"), ("am", "학생이다"), ("a", "학생이다"), ("student", "학생이다")},
        ),
    ],
)
def test_seed_sentences(sentence, source, target, links):
    example = realize(sentence)
    assert (example.source, example.target) == (source, target)
    assert _links(example) == links


@pytest.mark.parametrize(
    "sentence, source, target",
    [
        (
            Sentence([Clause("그", "먹다", object="사과", tense="present", negated=True)]),
            "그는 사과를 안 먹는다",
            "he does not eat an apple",
        ),
        (
            Sentence([Clause("너", "먹다", object="밥", tense="past")], question=True),
            "너는 밥을 먹었니 ?",
            "did you eat rice ?",
        ),
        (
            Sentence([Clause("우리", "학생", tense="past")], informal=True),
            "우리는 학생이었어",
            "we were students",
        ),
        (
            Sentence([Clause("날씨", "덥다", degree="아주", topic=False, time="내일", time_first=True, tense="future")]),
            "내일 날씨가 아주 더울 것이다",
            "the weather will be very hot tomorrow",
        ),
        (
            Sentence([Clause("철수", "가다", place="학교", tense="past", manner="빨리")]),
            "철수는 학교에 빨리 갔다",
            "cheolsu went to school quickly",
        ),
        (
            Sentence([Clause("영희", "있다", place="집", negated=True, tense="past")]),
            "영희는 집에 없었다",
            "younghee was not at home",
        ),
        (
            Sentence([Clause("나", "공부하다", negated=True, tense="past")]),
            "나는 공부 안 했다",
            "i did not study",
        ),
        (
            Sentence([Clause("그녀", "좋아하다", object="고양이")]),
            "그녀는 고양이를 좋아한다",
            "she likes cats",
        ),
        (
            Sentence(
                [
                    Clause("나", "읽다", object="책", object_determiner="그", location="도서관", tense="past"),
                    Clause("나", "마시다", object="커피", drop_subject=True, tense="past"),
                ],
                connectives=("and",),
            ),
            "나는 도서관에서 그 책을 읽었고 커피를 마셨다",
            "i read the book at the library and drank coffee",
        ),
        (
            Sentence([Clause("민수", "사다", object="자동차", object_adjective="비싸다", tense="future")]),
            "민수는 비싼 자동차를 살 것이다",
            "minsu will buy an expensive car",
        ),
    ],
)
def test_reordering_and_english_morphology(sentence, source, target):
    example = realize(sentence)
    assert (example.source, example.target) == (source, target)


def test_alignment_of_auxiliaries_negation_and_connectives():
    example = realize(
        Sentence(
            [
                Clause("나", "먹다", object="밥", tense="future", negated=True),
                Clause("철수", "가다", place="학교", tense="past"),
            ],
            connectives=("but",),
        )
    )
    assert example.source == "나는 밥을 안 먹을 것이지만 철수는 학교에 갔다"
    assert example.target == "i will not eat rice but cheolsu went to school"
    assert _links(example) == {
        ("i", "나는"),
        ("will", "것이지만"),
        ("not", "안"),
        ("eat", "먹을"),
        ("rice", "밥을"),
        ("but", "것이지만"),
        ("cheolsu", "철수는"),
        ("went", "갔다"),
        ("to", "학교에"),
        ("school", "학교에"),
    }


@pytest.fixture(scope="module")
def samples():
    task = KoEnTask()
    rng = random.Random(7)
    return [task.sample(rng) for _ in range(4000)]


def test_generated_pairs_are_normalised_and_fully_aligned(samples):
    for example in samples:
        source, target = example.source.split(), example.target.split()
        assert normalize(example.source) == example.source
        assert normalize(example.target) == example.target
        assert list(example.alignment) == sorted(set(example.alignment))
        assert all(0 <= t < len(target) and 0 <= s < len(source) for t, s in example.alignment)
        # Every English word translates something.
        assert {t for t, _ in example.alignment} == set(range(len(target)))


def test_english_is_a_function_of_korean():
    # Single clauses repeat often enough to catch a source with two translations.
    task = KoEnTask(max_clauses=1)
    rng = random.Random(3)
    translations = collections.defaultdict(set)
    for _ in range(20000):
        example = task.sample(rng)
        translations[example.source].add(example.target)
    ambiguous = {source: targets for source, targets in translations.items() if len(targets) > 1}
    assert not ambiguous
    assert len(translations) < 20000  # some sources did repeat


def test_indefinite_articles_and_agreement(samples):
    for example in samples:
        words = example.target.split()
        for article, following in zip(words, words[1:]):
            if article == "a":
                assert following[0] not in "aeiou", example
            if article == "an":
                assert following[0] in "aeiou", example
        text = f" {example.target} "
        for wrong in (" i is ", " i are ", " he are ", " she are ", " we is ", " they is ", " he do ", " i does "):
            assert wrong not in text, example


def test_object_particles_follow_batchim_for_every_noun():
    for noun in lexicon.NOUNS + lexicon.PRONOUNS:
        example = realize(Sentence([Clause("철수" if noun.korean != "철수" else "영희", "좋아하다", object=noun.korean)]))
        object_word = example.source.split()[1]
        batchim = (ord(noun.korean[-1]) - 0xAC00) % 28 != 0
        assert object_word == noun.korean + ("을" if batchim else "를")


def test_long_chained_sentences_reach_forty_words():
    task = KoEnTask(min_length=40, max_length=60)
    rng = random.Random(0)
    for _ in range(20):
        example = task.sample(rng)
        assert 40 <= len(example.source.split()) <= 60
        assert len(example.target.split()) >= 40
        assert " and " in f" {example.target} " or " but " in f" {example.target} "


def test_default_options_give_a_varied_corpus(samples):
    sources = {example.source for example in samples}
    assert len(sources) > 0.95 * len(samples)
    source_words = {word for example in samples for word in example.source.split()}
    target_words = {word for example in samples for word in example.target.split()}
    assert len(source_words) > 800 and len(target_words) > 300
    clause_counts = collections.Counter(
        1 + len(re.findall(r" (and|but) ", f" {example.target} ")) for example in samples
    )
    assert set(clause_counts) == {1, 2, 3}
    assert any(example.target.endswith("?") for example in samples)


def test_lexicon_has_a_few_hundred_lemmas():
    lemmas = (
        len(lexicon.NOUNS) + len(lexicon.PRONOUNS) + len(lexicon.VERBS) + len(lexicon.ADJECTIVES)
        + len(lexicon.PLACES) + len(lexicon.TIME_ADVERBS) + len(lexicon.MANNER_ADVERBS)
        + len(lexicon.DEGREE_ADVERBS)
    )
    assert 200 <= lemmas <= 500


@pytest.mark.parametrize(
    "clause, message",
    [
        (Clause("나", "먹다"), "needs an object"),
        (Clause("나", "자다", object="밥"), "takes no object"),
        (Clause("나", "가다"), "needs a `place`"),
        (Clause("나", "날다"), "Unknown predicate"),
        (Clause("나", "먹다", object="돌"), "Unknown object"),
        (Clause("나", "학생", manner="빨리"), "cannot have `manner`"),
        (Clause("나", "먹다", object="밥", tense="someday"), "Unknown tense"),
        (Clause("철수", "먹다", object="밥", subject_determiner="이"), "cannot take a determiner"),
    ],
)
def test_realize_rejects_bad_clauses(clause, message):
    with pytest.raises(ValueError, match=message):
        realize(Sentence([clause]))


def test_realize_rejects_bad_sentences():
    clause = Clause("나", "자다")
    with pytest.raises(ValueError, match="connectives"):
        realize(Sentence([clause, clause]))
    with pytest.raises(ValueError, match="questions"):
        realize(Sentence([clause, clause], connectives=("and",), question=True))
    with pytest.raises(ValueError, match="first clause"):
        realize(Sentence([Clause("나", "자다", drop_subject=True)]))


def test_task_option_validation():
    with pytest.raises(ValueError, match="min_clauses"):
        KoEnTask(min_clauses=0)
    with pytest.raises(ValueError, match="must not exceed"):
        KoEnTask(min_length=30, max_length=10)
    with pytest.raises(ValueError, match="question_rate"):
        KoEnTask(question_rate=2)
    with pytest.raises(ValueError, match="no sentence of"):
        KoEnTask(min_length=50, max_length=50, max_clauses=2).sample(random.Random(0))
