"""Wire agencies: the news agencies whose copy outlets run, recognised by the name of a document's source.

An agency's story is where syndicated wording starts. A reuse cluster's origin is its agency
member when dates do not single one out (:mod:`dedup.clusters`), and a pair that dates do not order
is scored as the other document's share of the agency's story (:func:`dedup.pairs.pair_score`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache

from .normalize import normalize

__all__ = ["WIRE_AGENCIES", "wire_agency"]

WIRE_AGENCIES: Mapping[str, tuple[str, ...]] = {
    "Reuters": ("reuters", "rtrs", "رويترز"),
    "AFP": (
        "afp",
        "agence france presse",
        "agence france-presse",
        "france presse",
        "فرانس برس",
        "وكالة الصحافة الفرنسية",
        "وكالة الأنباء الفرنسية",
        "أ ف ب",
        "أ.ف.ب",
    ),
    "AP": ("ap", "associated press", "أسوشيتد برس", "اسوشيتد برس", "أسوشيتدبرس", "أ ب"),
    "dpa": ("dpa", "deutsche presse agentur", "د ب أ", "الوكالة الألمانية"),
    "Xinhua": ("xinhua", "شينخوا"),
    "Anadolu": ("anadolu", "aa", "الأناضول"),
    "EFE": ("efe",),
    "ANSA": ("ansa",),
    "UPI": ("upi", "united press international"),
    "Bloomberg": ("bloomberg", "بلومبرغ"),
    "KUNA": ("kuna", "كونا", "وكالة الأنباء الكويتية"),
    "WAM": ("wam", "وام", "وكالة أنباء الإمارات"),
    "SPA": ("spa", "واس", "وكالة الأنباء السعودية"),
    "QNA": ("qna", "قنا", "وكالة الأنباء القطرية"),
    "MENA": ("mena", "أ ش أ", "وكالة أنباء الشرق الأوسط"),
    "IRNA": ("irna", "إرنا"),
    "APP": ("app", "associated press of pakistan", "اے پی پی"),
    "PPI": ("ppi", "pakistan press international", "پی پی آئی"),
    "NNI": ("nni", "news network international", "این این آئی"),
    "INP": ("inp", "آئی این پی"),
    "INN": ("inn", "آئی این این"),
    "PTI": ("press trust of india",),  # ("pti" alone also names a party of Pakistan)
    "IANS": ("ians",),
    "Kyodo": ("kyodo",),
    "Yonhap": ("yonhap",),
    "TASS": ("tass",),
    "Interfax": ("interfax",),
}
"""Wire agencies recognised in a document's ``source``: canonical name -> names it goes by."""


def _key(text: str) -> str:
    # Normalised and padded so that names match as whole words ("afp" in "afp english", not in "safpa").
    return " " + normalize(text, profile="arabic").text + " "


# A short name (at most this many letters: "AP", "APP", "QNA", "MENA") names the agency only with
# words like these beside it ("AP News", "وكالة قنا"); with any other word it is another name's
# part: "MENA Report", "Daily App", "The Inn", "بوابة قنا" (a city's portal).
_SHORT = 4
_GENERIC = ("news", "agency", "wire", "newswire", "service", "english", "arabic", "french", "urdu", "online",
            "وكالة", "أنباء", "الأنباء", "للأنباء", "نیوز", "ایجنسی")  # fmt: skip


@cache
def _agency_keys() -> tuple[tuple[str, str, bool], ...]:
    """Each name an agency goes by (normalised, padded), its agency, and whether it is short; longest first.

    Longest first: "associated press of pakistan" is APP's, though it holds AP's "associated press".
    """
    keys = [
        (_key(name), canonical, len(_key(name).replace(" ", "")) <= _SHORT)
        for canonical, names in WIRE_AGENCIES.items()
        for name in names
    ]
    return tuple(sorted((k for k in keys if k[0].strip()), key=lambda k: -len(k[0])))


@cache
def _generic() -> frozenset[str]:
    return frozenset(_key(word).strip() for word in _GENERIC)


@lru_cache(maxsize=4096)  # (every document of a source asks; sources are few)
def wire_agency(source: str | None) -> str | None:
    """The canonical name of the wire agency a source names, or None.

    A name matches as whole words; a short one (``AP``, ``QNA``) only alone or beside words such
    as "news" or "agency".

    Example:
        >>> [wire_agency(s) for s in ("Reuters", "وكالة فرانس برس", "أ ف ب", "Japan Times", None)]
        ['Reuters', 'AFP', 'AFP', None, None]
        >>> [wire_agency(s) for s in ("AP News", "Associated Press of Pakistan", "APP", "Daily App", "MENA Report")]
        ['AP', 'APP', 'APP', None, None]
    """
    if not source:
        return None
    key = _key(source)
    for name, canonical, short in _agency_keys():
        if name in key and (not short or set(key.replace(name, " ").split()) <= _generic()):
            return canonical
    return None
