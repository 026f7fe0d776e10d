"""Korean particles and predicate conjugation against known forms."""

import pytest

from keras_attn.data.corpora.ko_en import korean
from keras_attn.data.corpora.ko_en.korean import Predicate


@pytest.mark.parametrize(
    "noun, topic, subject, obj",
    [
        ("밥", "밥은", "밥이", "밥을"),
        ("사과", "사과는", "사과가", "사과를"),
        ("철수", "철수는", "철수가", "철수를"),
        ("지민", "지민은", "지민이", "지민을"),
        ("나", "나는", "내가", "나를"),
        ("너", "너는", "네가", "너를"),
        ("그들", "그들은", "그들이", "그들을"),
    ],
)
def test_particles_follow_the_final_consonant(noun, topic, subject, obj):
    assert korean.with_particle(noun, "topic") == topic
    assert korean.with_particle(noun, "subject") == subject
    assert korean.with_particle(noun, "object") == obj


def test_unknown_particle_role():
    with pytest.raises(ValueError, match="particle role"):
        korean.with_particle("밥", "genitive")


# (predicate, past plain, present plain, present informal, future plain, present question)
_KNOWN_FORMS = [
    (Predicate("먹"), "먹었다", "먹는다", "먹어", "먹을 것이다", "먹니"),
    (Predicate("가"), "갔다", "간다", "가", "갈 것이다", "가니"),
    (Predicate("오"), "왔다", "온다", "와", "올 것이다", "오니"),
    (Predicate("보"), "봤다", "본다", "봐", "볼 것이다", "보니"),
    (Predicate("마시"), "마셨다", "마신다", "마셔", "마실 것이다", "마시니"),
    (Predicate("배우"), "배웠다", "배운다", "배워", "배울 것이다", "배우니"),
    (Predicate("사랑하"), "사랑했다", "사랑한다", "사랑해", "사랑할 것이다", "사랑하니"),
    (Predicate("쓰"), "썼다", "쓴다", "써", "쓸 것이다", "쓰니"),
    (Predicate("기다리"), "기다렸다", "기다린다", "기다려", "기다릴 것이다", "기다리니"),
    (Predicate("춤추"), "춤췄다", "춤춘다", "춤춰", "춤출 것이다", "춤추니"),
    (Predicate("쉬"), "쉬었다", "쉰다", "쉬어", "쉴 것이다", "쉬니"),
    (Predicate("닫"), "닫았다", "닫는다", "닫아", "닫을 것이다", "닫니"),
    (Predicate("만들"), "만들었다", "만든다", "만들어", "만들 것이다", "만드니"),
    (Predicate("울"), "울었다", "운다", "울어", "울 것이다", "우니"),
    (Predicate("듣", irregular="ㄷ"), "들었다", "듣는다", "들어", "들을 것이다", "듣니"),
    (Predicate("부르", irregular="르"), "불렀다", "부른다", "불러", "부를 것이다", "부르니"),
    (Predicate("덥", "adjective", irregular="ㅂ"), "더웠다", "덥다", "더워", "더울 것이다", "덥니"),
    (Predicate("바쁘", "adjective"), "바빴다", "바쁘다", "바빠", "바쁠 것이다", "바쁘니"),
    (Predicate("예쁘", "adjective"), "예뻤다", "예쁘다", "예뻐", "예쁠 것이다", "예쁘니"),
    (Predicate("빠르", "adjective", irregular="르"), "빨랐다", "빠르다", "빨라", "빠를 것이다", "빠르니"),
    (Predicate("좋", "adjective"), "좋았다", "좋다", "좋아", "좋을 것이다", "좋니"),
    (Predicate("빨갛", "adjective", irregular="ㅎ", infinitive="빨개"), "빨갰다", "빨갛다", "빨개", "빨갈 것이다", "빨가니"),
    (Predicate("있", "existence"), "있었다", "있다", "있어", "있을 것이다", "있니"),
]


@pytest.mark.parametrize("predicate, past, present, informal, future, question", _KNOWN_FORMS)
def test_conjugation_matches_known_forms(predicate, past, present, informal, future, question):
    assert predicate.conjugate("past", "plain") == [past]
    assert predicate.conjugate("present", "plain") == [present]
    assert predicate.conjugate("present", "informal") == [informal]
    assert predicate.conjugate("future", "plain") == future.split()
    assert predicate.conjugate("present", "question") == [question]
    # Past endings all hang off the past stem (먹었-).
    past_stem = past[:-1]
    assert predicate.conjugate("past", "informal") == [past_stem + "어"]
    assert predicate.conjugate("past", "and") == [past_stem + "고"]
    assert predicate.conjugate("past", "but") == [past_stem + "지만"]
    assert predicate.conjugate("future", "question") == [future.split()[0], "거니"]


@pytest.mark.parametrize(
    "predicate, attributive",
    [
        (Predicate("크", "adjective"), "큰"),
        (Predicate("작", "adjective"), "작은"),
        (Predicate("덥", "adjective", irregular="ㅂ"), "더운"),
        (Predicate("귀엽", "adjective", irregular="ㅂ"), "귀여운"),
        (Predicate("맛있", "adjective"), "맛있는"),
        (Predicate("빨갛", "adjective", irregular="ㅎ", infinitive="빨개"), "빨간"),
        (Predicate("친절하", "adjective"), "친절한"),
        (Predicate("빠르", "adjective", irregular="르"), "빠른"),
        (Predicate("먹"), "먹는"),
    ],
)
def test_attributive_forms(predicate, attributive):
    assert predicate.attributive() == attributive


@pytest.mark.parametrize(
    "noun, tense, ending, negated, words",
    [
        ("학생", "present", "plain", False, ["학생이다"]),
        ("학생", "past", "plain", False, ["학생이었다"]),
        ("학생", "present", "informal", False, ["학생이야"]),
        ("학생", "present", "question", False, ["학생이니"]),
        ("학생", "future", "plain", False, ["학생일", "것이다"]),
        ("학생", "present", "and", False, ["학생이고"]),
        ("의사", "present", "plain", False, ["의사다"]),
        ("의사", "past", "plain", False, ["의사였다"]),
        ("의사", "present", "informal", False, ["의사야"]),
        ("학생", "present", "plain", True, ["학생이", "아니다"]),
        ("의사", "past", "plain", True, ["의사가", "아니었다"]),
        ("의사", "present", "informal", True, ["의사가", "아니야"]),
        ("의사", "future", "plain", True, ["의사가", "아닐", "것이다"]),
    ],
)
def test_copula(noun, tense, ending, negated, words):
    assert korean.copula(noun, tense, ending, negated=negated) == words


def test_predicate_validation():
    with pytest.raises(ValueError, match="Hangul"):
        Predicate("eat")
    with pytest.raises(ValueError, match="irregular class"):
        Predicate("먹", irregular="ㅂ")
    with pytest.raises(ValueError, match="needs its `infinitive`"):
        Predicate("빨갛", "adjective", irregular="ㅎ")
    with pytest.raises(ValueError, match="Unknown tense"):
        Predicate("먹").conjugate("pluperfect", "plain")
    with pytest.raises(ValueError, match="Unknown ending"):
        Predicate("먹").conjugate("past", "polite")
