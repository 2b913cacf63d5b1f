"""Writing systems: where words may end, and how much text a character holds.

Two facts about a script change how a passage is measured and cut:

* **Scripts written without spaces between words** (Chinese, Japanese, Thai, Lao, Khmer, Myanmar,
  Tibetan): a run of them between two spaces is a clause or a sentence, not a word. A passage
  may end between any two of their characters (not before a combining mark, which belongs to
  the character before it), where in other scripts it ends at a space.
* **Characters that stand for a syllable or a word** (Han ideographs, kana, Hangul syllables)
  hold as much text as several letters: the same news paragraph takes about a third as many code
  points in Chinese as in English. Lengths (``min_length``, ``gap``...) are counted in letters;
  :func:`width` says how many letters a document's characters stand for on average.

Example:
    >>> from dedup.scripts import breaks, width
    >>> text = "据新华社报道 NATO said"
    >>> breaks(text).tolist()
    [0, 1, 2, 3, 4, 5, 6]
    >>> round(width("据新华社报道"), 2), width("NATO said")
    (3.0, 1.0)
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import numpy.typing as npt

__all__ = ["breaks", "measure", "tokens", "width"]

# Character classes (a table over the Basic Multilingual Plane; ideographs beyond it are Han).
_OTHER, _HAN, _KANA, _HANGUL, _SOLID, _MARK = 0, 1, 2, 3, 4, 5
# Letters a character of each class stands for, rounded down from the length of one news paragraph
# in English against its translations (benchmarks/dedup_bench/scripts.py: an ideograph ~3.4
# letters, a kana ~2.3, a Hangul syllable ~2.8, spaces and punctuation one); scripts written
# letter by letter (Thai, Arabic, Cyrillic...) count one, as Latin does.
_WEIGHT = np.array([1.0, 3.0, 2.0, 2.5, 1.0, 1.0])

_RANGES = (
    (0x3400, 0x4DBF, _HAN),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF, _HAN),
    (0xF900, 0xFAFF, _HAN),  # compatibility ideographs
    (0x3005, 0x3007, _HAN),  # iteration mark, closing mark, ideographic zero
    (0x3040, 0x309F, _KANA),
    (0x30A0, 0x30FF, _KANA),
    (0x31F0, 0x31FF, _KANA),
    (0xFF66, 0xFF9F, _KANA),  # halfwidth katakana
    (0xAC00, 0xD7A3, _HANGUL),
    (0x0E00, 0x0E7F, _SOLID),  # Thai
    (0x0E80, 0x0EFF, _SOLID),  # Lao
    (0x0F00, 0x0FFF, _SOLID),  # Tibetan
    (0x1000, 0x109F, _SOLID),  # Myanmar
    (0x1780, 0x17FF, _SOLID),  # Khmer
)
_BEYOND = 0x20000  # from here to 0x3FFFF: ideographs of the supplementary planes
_BEYOND_END = 0x3FFFF


def _table() -> npt.NDArray[np.uint8]:
    table = np.zeros(0x10000, dtype=np.uint8)
    for first, last, kind in _RANGES:
        table[first : last + 1] = kind
        if kind == _SOLID:
            for cp in range(first, last + 1):
                if unicodedata.category(chr(cp)) in ("Mn", "Mc"):
                    table[cp] = _MARK
    return table


_CLASS = _table()


def _codepoints(text: str) -> npt.NDArray[np.uint32]:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _classes(cps: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
    classes = _CLASS[np.minimum(cps, 0xFFFF)]
    beyond = cps >= 0x10000
    if beyond.any():
        classes = np.where(beyond, np.where((cps >= _BEYOND) & (cps <= _BEYOND_END), _HAN, _OTHER), classes)
    return classes.astype(np.uint8)


def breaks(text: str) -> npt.NDArray[np.int64]:
    """Positions between characters where a word may end that no space marks, sorted.

    A position counts when a character of a script written without spaces lies on either side of
    it, and the character after it is not a combining mark. Empty for text in other scripts.

    Example:
        >>> breaks("the 北京 office").tolist(), breaks("plain text").tolist()
        ([4, 5, 6], [])
    """
    return _breaks(_classes(_codepoints(text)))


def _solid(classes: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    solid: npt.NDArray[np.bool_] = (classes == _HAN) | (classes == _KANA) | (classes == _SOLID) | (classes == _MARK)
    return solid


def _breaks(classes: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    solid = _solid(classes)
    if not solid.any():
        return np.zeros(0, dtype=np.int64)
    n = len(classes)
    edge = np.zeros(n + 1, dtype=np.bool_)
    edge[:n] |= solid  # before a character of such a script
    edge[1:] |= solid  # after one
    edge[:n] &= classes != _MARK
    return np.flatnonzero(edge).astype(np.int64)


def width(text: str) -> float:
    """Letters a character of ``text`` stands for, on average (1.0 for alphabetic scripts).

    Example:
        >>> width("北京"), width("서울"), width("Paris"), width("")
        (3.0, 2.5, 1.0, 1.0)
    """
    return _width(_classes(_codepoints(text)))


def _width(classes: npt.NDArray[np.uint8]) -> float:
    if not len(classes):
        return 1.0
    return float(_WEIGHT[classes].sum() / len(classes))


def measure(codepoints: npt.NDArray[np.uint32]) -> tuple[npt.NDArray[np.int64], float]:
    """:func:`breaks` and :func:`width` of a text given as its code points, classifying them once.

    Example:
        >>> import numpy as np
        >>> where, letters = measure(np.frombuffer("北京 is".encode("utf-32-le"), dtype=np.uint32))
        >>> where.tolist(), round(letters, 2)
        ([0, 1, 2], 1.8)
    """
    classes = _classes(codepoints)
    if not classes.any():  # (alphabetic text, most of it: nothing to find, every character a letter)
        return np.zeros(0, dtype=np.int64), 1.0
    return _breaks(classes), _width(classes)


def tokens(text: str) -> list[str]:
    """The words of ``text`` for comparing two passages' wording: runs of three or more word characters.

    A run in a script written without spaces is a clause, not a word: it gives its overlapping
    three-character pieces instead (a one-character edit changes three of them, not the clause).

    Example:
        >>> tokens("the 国防部星期一 said it")
        ['the', '国防部', '防部星', '部星期', '星期一', 'said']
    """
    if not _ANY_SOLID.search(text):
        return _words(text)
    out: list[str] = []
    for word in _words(text):
        if not _ANY_SOLID.search(word):
            out.append(word)
        else:
            out.extend(word[i : i + _PIECE] for i in range(len(word) - _PIECE + 1))
    return out


def _words(text: str) -> list[str]:
    """``_WORD.findall(text)``, split at spaces first: most words are whole word characters.

    The regular expression tests every character against ``\\w``, which costs the word-share check
    of every passage (docs/performance.md); a space-delimited word of word characters alone (what
    ``str.isalnum`` says, ``_`` aside) is one run, and only the others are searched.

    Example:
        >>> _words("the state-run agency's 2,500 troops")
        ['the', 'state', 'run', 'agency', '500', 'troops']
    """
    out: list[str] = []
    for word in text.split():
        if word.isalnum():
            if len(word) >= _SHORTEST:
                out.append(word)
        else:
            out.extend(_WORD.findall(word))
    return out


_PIECE = 3
_SHORTEST = 3
_WORD = re.compile(rf"\w{{{_SHORTEST},}}")
_ANY_SOLID = re.compile(
    "["
    + "".join(f"{chr(first)}-{chr(last)}" for first, last, kind in _RANGES if kind != _HANGUL)
    + f"{chr(_BEYOND)}-{chr(_BEYOND_END)}]"
)
