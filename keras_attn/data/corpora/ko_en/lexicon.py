"""The words of the ko-en grammar: Korean lemmas with their English translations.

Entries are keyed by their Korean dictionary form (밥, 먹다, 덥다, 빨리). Nouns and
verbs carry semantic tags so that the grammar only builds sensible sentences: 먹다
takes "food" objects, 마시다 takes "drink" objects, 덥다 is said of "weather",
"room" or "human" subjects, and so on.
"""

import dataclasses

from keras_attn.data.corpora.ko_en.korean import Predicate

HUMAN = frozenset({"human"})
ANIMATE = frozenset({"human", "animal"})


@dataclasses.dataclass(frozen=True)
class Noun:
    """A common noun or a name.

    Attributes:
        korean: the Korean noun ("사과").
        english: the English singular, possibly several words ("police officer").
        plural: the English plural (`None` for mass nouns and names).
        tags: semantic classes used by selectional restrictions.
        article: "a" for countable nouns (a/an is chosen from the next English
            word), "mass" for nouns without article ("rice"), "the" for nouns that
            are always definite ("the weather"), "none" for nouns that never take
            an article, a determiner or an adjective (names, school subjects).
    """

    korean: str
    english: str
    plural: str | None
    tags: frozenset
    article: str = "a"


@dataclasses.dataclass(frozen=True)
class Pronoun:
    """A personal pronoun; `agreement` is "i", "3sg" or "other" (you, we, they)."""

    korean: str
    subject: str
    object: str
    agreement: str
    plural: bool = False
    tags: frozenset = HUMAN


@dataclasses.dataclass(frozen=True)
class Verb:
    """A verb and the frames it appears in.

    Attributes:
        predicate: the Korean stem and its conjugation class.
        english: English (base, third person singular, past), possibly several
            words each ("listen to").
        objects: tags of the nouns it takes as direct object; empty for verbs that
            are only intransitive.
        intransitive: English forms when used without an object, for verbs that
            are both (기다리다: "wait for" / "wait"); `None` if it needs its object.
        subjects: tags of its possible subjects.
        adverbs: the manner adverbs (Korean) that go with it.
        motion: takes a destination (학교에 갔다, "went to school").
        generic: like/love/hate: a countable object without determiner becomes an
            English bare plural ("i like apples").
        separable: the noun part of a noun + 하다 verb (공부하다), which negation
            splits: 공부 안 했다.
    """

    predicate: Predicate
    english: tuple
    objects: frozenset = frozenset()
    intransitive: tuple | None = None
    subjects: frozenset = HUMAN
    adverbs: frozenset = frozenset()
    motion: bool = False
    generic: bool = False
    separable: str | None = None

    @property
    def lemma(self):
        return self.predicate.lemma

    @property
    def takes_object(self):
        return bool(self.objects)

    @property
    def intransitive_english(self):
        """English forms without an object, or `None` when an object is required."""
        if not self.objects:
            return self.english
        return self.intransitive


@dataclasses.dataclass(frozen=True)
class Adjective:
    """An adjective, used as predicate ("the weather is hot") and/or attribute.

    Attributes:
        predicate: the Korean stem and its conjugation class.
        english: the English adjective.
        subjects: tags of the nouns it can be said of; empty if only attributive.
        modifies: tags of the nouns it can modify inside a noun phrase.
        negatable: whether 안 + adjective is natural Korean.
        attributive: the Korean noun-modifier form when no rule gives it (오래된).
    """

    predicate: Predicate
    english: str
    subjects: frozenset = frozenset()
    modifies: frozenset = frozenset()
    negatable: bool = True
    attributive: str | None = None

    @property
    def lemma(self):
        return self.predicate.lemma

    def attributive_form(self):
        return self.attributive or self.predicate.attributive()


@dataclasses.dataclass(frozen=True)
class Place:
    """A place: `to` is the English destination phrase, `at` the location phrase."""

    korean: str
    to: str
    at: str


@dataclasses.dataclass(frozen=True)
class Adverb:
    """An adverb; time adverbs list the tenses they agree with."""

    korean: str
    english: str
    tenses: frozenset = frozenset({"past", "present", "future"})


def _nouns(tags, article, entries):
    return [Noun(korean, english, plural, frozenset(tags), article) for korean, english, plural in entries]


def _tagged(base_tags, entries):
    """Countable nouns with per-entry extra tags: (korean, english, plural, extra_tags)."""
    return [
        Noun(korean, english, plural, frozenset(base_tags) | frozenset(extra))
        for korean, english, plural, extra in entries
    ]


PRONOUNS = [
    Pronoun("나", "i", "me", "i"),
    Pronoun("너", "you", "you", "other"),
    Pronoun("그", "he", "him", "3sg"),
    Pronoun("그녀", "she", "her", "3sg"),
    Pronoun("우리", "we", "us", "other", plural=True),
    Pronoun("너희", "you", "you", "other", plural=True),
    Pronoun("그들", "they", "them", "other", plural=True),
]

NAMES = _nouns(
    {"human", "name"},
    "none",
    [
        ("철수", "cheolsu", None),
        ("영희", "younghee", None),
        ("민수", "minsu", None),
        ("지민", "jimin", None),
        ("수진", "sujin", None),
        ("민준", "minjun", None),
        ("서연", "seoyeon", None),
        ("지우", "jiwoo", None),
        ("하준", "hajun", None),
        ("유나", "yuna", None),
        ("현우", "hyunwoo", None),
        ("은지", "eunji", None),
    ],
)

PEOPLE = _nouns(
    {"human", "person"},
    "a",
    [
        ("학생", "student", "students"),
        ("선생님", "teacher", "teachers"),
        ("의사", "doctor", "doctors"),
        ("간호사", "nurse", "nurses"),
        ("경찰관", "police officer", "police officers"),
        ("요리사", "chef", "chefs"),
        ("가수", "singer", "singers"),
        ("친구", "friend", "friends"),
        ("작가", "writer", "writers"),
        ("기자", "reporter", "reporters"),
        ("군인", "soldier", "soldiers"),
        ("농부", "farmer", "farmers"),
        ("화가", "painter", "painters"),
        ("배우", "actor", "actors"),
        ("엔지니어", "engineer", "engineers"),
        ("남자", "man", "men"),
        ("여자", "woman", "women"),
        ("소년", "boy", "boys"),
        ("소녀", "girl", "girls"),
    ],
) + _nouns(
    {"human", "person", "young"},
    "a",
    [
        ("아이", "child", "children"),
        ("아기", "baby", "babies"),
    ],
)

ANIMALS = _tagged(
    {"animal"},
    [
        ("개", "dog", "dogs", ()),
        ("고양이", "cat", "cats", ()),
        ("새", "bird", "birds", ()),
        ("토끼", "rabbit", "rabbits", ()),
        ("말", "horse", "horses", ("rideable",)),
        ("소", "cow", "cows", ()),
        ("돼지", "pig", "pigs", ()),
        ("곰", "bear", "bears", ()),
        ("사자", "lion", "lions", ()),
        ("호랑이", "tiger", "tigers", ()),
        ("원숭이", "monkey", "monkeys", ()),
        ("오리", "duck", "ducks", ()),
        ("코끼리", "elephant", "elephants", ()),
        ("물고기", "fish", "fish", ()),
    ],
)

FOODS = _tagged(
    {"food"},
    [
        ("사과", "apple", "apples", ("fruit", "red")),
        ("바나나", "banana", "bananas", ("fruit",)),
        ("오렌지", "orange", "oranges", ("fruit",)),
        ("수박", "watermelon", "watermelons", ("fruit",)),
        ("감자", "potato", "potatoes", ("cookable",)),
        ("계란", "egg", "eggs", ("cookable",)),
        ("케이크", "cake", "cakes", ("dish",)),
        ("샌드위치", "sandwich", "sandwiches", ("dish",)),
        ("햄버거", "hamburger", "hamburgers", ("dish",)),
        ("떡", "rice cake", "rice cakes", ("dish",)),
    ],
) + [
    Noun(korean, english, None, frozenset({"food"}) | frozenset(extra), "mass")
    for korean, english, extra in [
        ("밥", "rice", ()),
        ("빵", "bread", ("dish",)),
        ("김치", "kimchi", ("dish",)),
        ("고기", "meat", ("cookable",)),
        ("생선", "fish", ("cookable",)),
        ("피자", "pizza", ("dish",)),
        ("라면", "ramen", ("cookable",)),
        ("국수", "noodles", ("cookable",)),
        ("수프", "soup", ("dish", "cookable")),
        ("김밥", "gimbap", ("dish",)),
        ("아이스크림", "ice cream", ()),
        ("치즈", "cheese", ()),
        ("초콜릿", "chocolate", ()),
    ]
]

DRINKS = _nouns(
    {"drink"},
    "mass",
    [
        ("물", "water", None),
        ("우유", "milk", None),
        ("커피", "coffee", None),
        ("녹차", "green tea", None),
        ("주스", "juice", None),
        ("맥주", "beer", None),
        ("와인", "wine", None),
        ("콜라", "cola", None),
    ],
)

THINGS = _tagged(
    {"thing", "physical"},
    [
        ("책", "book", "books", ("reading", "writing", "borrowable", "heavy")),
        ("편지", "letter", "letters", ("reading", "writing")),
        ("신문", "newspaper", "newspapers", ("reading",)),
        ("잡지", "magazine", "magazines", ("reading",)),
        ("소설", "novel", "novels", ("reading", "writing", "story")),
        ("가방", "bag", "bags", ("openable", "losable", "heavy", "makeable", "colored")),
        ("모자", "hat", "hats", ("losable", "makeable", "colored")),
        ("우산", "umbrella", "umbrellas", ("losable", "borrowable", "colored")),
        ("시계", "watch", "watches", ("losable", "fixable")),
        ("컴퓨터", "computer", "computers", ("fixable", "heavy")),
        ("휴대폰", "phone", "phones", ("losable", "fixable", "colored")),
        ("카메라", "camera", "cameras", ("losable", "fixable", "borrowable")),
        ("자동차", "car", "cars", ("fixable", "borrowable", "vehicle", "colored")),
        ("자전거", "bicycle", "bicycles", ("fixable", "borrowable", "vehicle", "rideable", "colored")),
        ("펜", "pen", "pens", ("losable", "borrowable")),
        ("연필", "pencil", "pencils", ("losable", "borrowable")),
        ("열쇠", "key", "keys", ("losable",)),
        ("지갑", "wallet", "wallets", ("losable",)),
        ("공", "ball", "balls", ("colored",)),
        ("의자", "chair", "chairs", ("fixable", "makeable", "heavy", "colored")),
        ("책상", "desk", "desks", ("fixable", "makeable", "heavy")),
        ("상자", "box", "boxes", ("openable", "makeable", "heavy", "colored")),
        ("선물", "gift", "gifts", ()),
        ("꽃", "flower", "flowers", ("flower", "pretty", "colored")),
        ("그림", "picture", "pictures", ("drawable", "pretty")),
        ("사진", "photo", "photos", ("photo", "pretty")),
    ],
) + [
    Noun("옷", "clothes", None, frozenset({"thing", "physical", "clothes", "pretty", "colored"}), "mass"),
    Noun("신발", "shoes", None, frozenset({"thing", "physical", "colored"}), "mass"),
]

MEDIA = _tagged(
    {"media"},
    [
        ("노래", "song", "songs", ("song", "writing", "story")),
        ("영화", "movie", "movies", ("movie", "story")),
    ],
) + [Noun("음악", "music", None, frozenset({"media", "song", "school_subject"}), "none")]

# Like names, school subjects never take an article ("math is difficult").
SCHOOL_SUBJECTS = _nouns(
    {"school_subject"},
    "none",
    [
        ("수학", "math", None),
        ("영어", "english", None),
        ("한국어", "korean", None),
        ("역사", "history", None),
        ("과학", "science", None),
    ],
)

DEFINITE = _nouns(
    {"room"},
    "the",
    [
        ("방", "room", "rooms"),
        ("부엌", "kitchen", "kitchens"),
        ("교실", "classroom", "classrooms"),
    ],
) + _nouns(
    {"openable", "fixable"},
    "the",
    [
        ("창문", "window", "windows"),
        ("문", "door", "doors"),
    ],
) + [Noun("날씨", "weather", None, frozenset({"weather"}), "the")]

NOUNS = NAMES + PEOPLE + ANIMALS + FOODS + DRINKS + THINGS + MEDIA + SCHOOL_SUBJECTS + DEFINITE

_ACTION = frozenset({"빨리", "천천히", "조용히"})
_EFFORT = frozenset({"열심히"})
_SKILL = frozenset({"잘"})
_AMOUNT = frozenset({"많이"})
_TIMING = frozenset({"일찍", "늦게"})


def _verb(stem, english, objects=(), adverbs=_ACTION, **options):
    irregular = options.pop("irregular", None)
    return Verb(
        Predicate(stem, irregular=irregular),
        tuple(english),
        objects=frozenset(objects),
        adverbs=frozenset(adverbs),
        **options,
    )


_ANYTHING = ("human", "animal", "food", "drink", "thing", "media", "school_subject")

VERBS = [
    # Transitive.
    _verb("먹", ("eat", "eats", "ate"), ("food",), _ACTION | _SKILL | _AMOUNT, subjects=ANIMATE),
    _verb("마시", ("drink", "drinks", "drank"), ("drink",), _ACTION | _AMOUNT, subjects=ANIMATE),
    _verb("사", ("buy", "buys", "bought"), ("food", "drink", "physical"), _ACTION | _AMOUNT),
    _verb("팔", ("sell", "sells", "sold"), ("food", "drink", "physical"), _ACTION | _AMOUNT),
    _verb("주문하", ("order", "orders", "ordered"), ("food", "drink"), _ACTION),
    _verb("좋아하", ("like", "likes", "liked"), _ANYTHING, _AMOUNT, subjects=ANIMATE, generic=True),
    _verb("싫어하", ("hate", "hates", "hated"), _ANYTHING, (), generic=True),
    _verb(
        "사랑하", ("love", "loves", "loved"), ("human", "animal", "food", "song"), _AMOUNT, generic=True
    ),
    _verb("만나", ("meet", "meets", "met"), ("human",), _TIMING),
    _verb("보", ("see", "sees", "saw"), ("human", "animal", "movie", "drawable", "photo", "flower"), ()),
    _verb(
        "기다리",
        ("wait for", "waits for", "waited for"),
        ("human",),
        _ACTION | _TIMING,
        intransitive=("wait", "waits", "waited"),
    ),
    _verb("찾", ("look for", "looks for", "looked for"), ("human", "animal", "losable"), _ACTION),
    _verb("읽", ("read", "reads", "read"), ("reading",), _ACTION | _AMOUNT),
    _verb("쓰", ("write", "writes", "wrote"), ("writing",), _ACTION | _SKILL),
    _verb("만들", ("make", "makes", "made"), ("dish", "makeable"), _ACTION | _SKILL),
    _verb(
        "요리하",
        ("cook", "cooks", "cooked"),
        ("cookable",),
        _ACTION | _SKILL,
        intransitive=("cook", "cooks", "cooked"),
        separable="요리",
    ),
    _verb("듣", ("listen to", "listens to", "listened to"), ("song",), _AMOUNT, irregular="ㄷ"),
    _verb("부르", ("sing", "sings", "sang"), ("song",), _SKILL, irregular="르"),
    _verb("그리", ("draw", "draws", "drew"), ("drawable", "animal", "flower"), _ACTION | _SKILL),
    _verb("찍", ("take", "takes", "took"), ("photo",), _ACTION | _AMOUNT),
    _verb("입", ("wear", "wears", "wore"), ("clothes",), ()),
    _verb("빌리", ("borrow", "borrows", "borrowed"), ("borrowable",), ()),
    _verb("고치", ("fix", "fixes", "fixed"), ("fixable",), _ACTION | _SKILL),
    _verb("잃어버리", ("lose", "loses", "lost"), ("losable",), ()),
    _verb("열", ("open", "opens", "opened"), ("openable",), _ACTION),
    _verb("닫", ("close", "closes", "closed"), ("openable",), _ACTION),
    _verb("청소하", ("clean", "cleans", "cleaned"), ("room",), _ACTION | _EFFORT, separable="청소"),
    _verb("가르치", ("teach", "teaches", "taught"), ("school_subject",), _EFFORT | _SKILL),
    _verb("배우", ("learn", "learns", "learned"), ("school_subject",), _EFFORT | _AMOUNT),
    _verb(
        "공부하",
        ("study", "studies", "studied"),
        ("school_subject",),
        _EFFORT | _AMOUNT,
        intransitive=("study", "studies", "studied"),
        separable="공부",
    ),
    _verb("타", ("ride", "rides", "rode"), ("rideable",), _ACTION),
    # Intransitive.
    _verb("자", ("sleep", "sleeps", "slept"), (), _SKILL | _AMOUNT | _TIMING, subjects=ANIMATE),
    _verb("일하", ("work", "works", "worked"), (), _EFFORT | _AMOUNT | _TIMING, separable="일"),
    _verb("운동하", ("exercise", "exercises", "exercised"), (), _EFFORT | _AMOUNT, separable="운동"),
    _verb("노래하", ("sing", "sings", "sang"), (), _SKILL | _ACTION, separable="노래"),
    _verb("수영하", ("swim", "swims", "swam"), (), _SKILL | _ACTION, separable="수영"),
    _verb("웃", ("laugh", "laughs", "laughed"), (), _AMOUNT | {"조용히"}),
    _verb("울", ("cry", "cries", "cried"), (), _AMOUNT | {"조용히"}, subjects=ANIMATE),
    _verb("달리", ("run", "runs", "ran"), (), _ACTION, subjects=ANIMATE),
    _verb("걷", ("walk", "walks", "walked"), (), _ACTION | _AMOUNT, subjects=ANIMATE, irregular="ㄷ"),
    _verb("쉬", ("rest", "rests", "rested"), (), _AMOUNT),
    _verb("춤추", ("dance", "dances", "danced"), (), _SKILL | _ACTION),
    _verb("놀", ("play", "plays", "played"), (), _AMOUNT, subjects=ANIMATE),
    # Motion to a place.
    _verb("가", ("go", "goes", "went"), (), _ACTION | _TIMING, motion=True),
    _verb("오", ("come", "comes", "came"), (), _ACTION | _TIMING, motion=True),
    _verb("걸어가", ("walk", "walks", "walked"), (), _ACTION, motion=True),
    _verb("뛰어가", ("run", "runs", "ran"), (), (), motion=True),
    _verb("돌아가", ("go back", "goes back", "went back"), (), _ACTION | _TIMING, motion=True),
]


def _adjective(stem, english, subjects=(), modifies=(), irregular=None, **options):
    predicate = Predicate(
        stem, kind="adjective", irregular=irregular, infinitive=options.pop("infinitive", None)
    )
    return Adjective(predicate, english, frozenset(subjects), frozenset(modifies), **options)


_WEATHER_LIKE = ("weather", "room")

ADJECTIVES = [
    _adjective("덥", "hot", _WEATHER_LIKE + ("human",), irregular="ㅂ"),
    _adjective("춥", "cold", _WEATHER_LIKE + ("human",), irregular="ㅂ"),
    _adjective("뜨겁", "hot", ("drink",), ("drink",), irregular="ㅂ"),
    _adjective("차갑", "cold", ("drink",), ("drink",), irregular="ㅂ"),
    _adjective("좋", "good", ("weather", "story", "reading"), ("story", "reading", "person")),
    _adjective("나쁘", "bad", ("weather",), ("person",)),
    _adjective("배고프", "hungry", ANIMATE),
    _adjective("피곤하", "tired", HUMAN),
    _adjective("행복하", "happy", ANIMATE, ("young",)),
    _adjective("슬프", "sad", HUMAN, ("story",)),
    _adjective("바쁘", "busy", HUMAN, ("person",)),
    _adjective("아프", "sick", ANIMATE, ("young", "animal")),
    _adjective("친절하", "kind", HUMAN, ("person",)),
    _adjective("똑똑하", "smart", ANIMATE, ("person", "animal")),
    _adjective("귀엽", "cute", ("animal", "young"), ("animal", "young"), irregular="ㅂ"),
    _adjective("크", "big", ("animal", "physical", "room"), ("animal", "physical", "fruit", "room")),
    _adjective("작", "small", ("animal", "physical", "room"), ("animal", "physical", "fruit", "room")),
    _adjective("예쁘", "pretty", ("pretty",), ("pretty",)),
    _adjective("비싸", "expensive", ("physical", "food", "drink"), ("physical",)),
    _adjective("싸", "cheap", ("physical", "food", "drink"), ("physical",)),
    _adjective("맛있", "delicious", ("food", "drink"), ("food",), negatable=False),
    _adjective(
        "재미있",
        "interesting",
        ("story", "reading", "school_subject"),
        ("story", "reading"),
        negatable=False,
    ),
    _adjective("어렵", "difficult", ("school_subject", "reading"), ("reading",), irregular="ㅂ"),
    _adjective("쉽", "easy", ("school_subject", "reading"), ("reading",), irregular="ㅂ"),
    _adjective("무겁", "heavy", ("heavy",), ("heavy",), irregular="ㅂ"),
    _adjective("가볍", "light", ("heavy",), ("heavy",), irregular="ㅂ"),
    _adjective("빠르", "fast", ("vehicle", "animal"), ("vehicle", "animal"), irregular="르"),
    _adjective("느리", "slow", ("vehicle", "animal"), ("vehicle", "animal")),
    _adjective("조용하", "quiet", ("room", "human"), ("room", "person")),
    _adjective("시끄럽", "noisy", ("room", "human", "animal"), ("room", "animal"), irregular="ㅂ"),
    _adjective("깨끗하", "clean", ("room",), ("room", "clothes")),
    _adjective("빨갛", "red", ("red", "colored"), ("red", "colored"), irregular="ㅎ", infinitive="빨개"),
    _adjective("하얗", "white", ("colored",), ("colored",), irregular="ㅎ", infinitive="하얘"),
    _adjective("파랗", "blue", ("colored",), ("colored",), irregular="ㅎ", infinitive="파래"),
    # Attributive only: as predicates they would need a different English tense.
    _adjective("새롭", "new", (), ("physical",), irregular="ㅂ"),
    Adjective(Predicate("오래되"), "old", frozenset(), frozenset({"physical"}), attributive="오래된"),
]

PLACES = [
    Place("학교", "to school", "at school"),
    Place("집", "home", "at home"),
    Place("공원", "to the park", "in the park"),
    Place("도서관", "to the library", "at the library"),
    Place("시장", "to the market", "at the market"),
    Place("식당", "to the restaurant", "at the restaurant"),
    Place("병원", "to the hospital", "at the hospital"),
    Place("은행", "to the bank", "at the bank"),
    Place("가게", "to the store", "at the store"),
    Place("카페", "to the cafe", "at the cafe"),
    Place("회사", "to work", "at work"),
    Place("교회", "to church", "at church"),
    Place("서울", "to seoul", "in seoul"),
    Place("부산", "to busan", "in busan"),
    Place("바다", "to the sea", "at the sea"),
    Place("영화관", "to the cinema", "at the cinema"),
    Place("호텔", "to the hotel", "at the hotel"),
    Place("공항", "to the airport", "at the airport"),
]

_PAST = frozenset({"past"})
_PRESENT = frozenset({"present"})
_FUTURE = frozenset({"future"})

TIME_ADVERBS = [
    Adverb("어제", "yesterday", _PAST),
    Adverb("어젯밤에", "last night", _PAST),
    Adverb("작년에", "last year", _PAST),
    Adverb("오늘", "today"),
    Adverb("아침에", "in the morning"),
    Adverb("저녁에", "in the evening"),
    Adverb("주말에", "on the weekend"),
    Adverb("지금", "now", _PRESENT),
    Adverb("매일", "every day", _PRESENT | _PAST),
    Adverb("내일", "tomorrow", _FUTURE),
    Adverb("내년에", "next year", _FUTURE),
]

MANNER_ADVERBS = [
    Adverb("빨리", "quickly"),
    Adverb("천천히", "slowly"),
    Adverb("조용히", "quietly"),
    Adverb("열심히", "hard"),
    Adverb("잘", "well"),
    Adverb("많이", "a lot"),
    Adverb("일찍", "early"),
    Adverb("늦게", "late"),
]

DEGREE_ADVERBS = [
    Adverb("아주", "very"),
    Adverb("정말", "really"),
    Adverb("조금", "a little"),
]

DETERMINERS = {"이": "this", "그": "the", "저": "that"}
CONNECTIVES = {"and": "and", "but": "but"}

EXISTENCE = Predicate("있", kind="existence")
NONEXISTENCE = Predicate("없", kind="existence")
