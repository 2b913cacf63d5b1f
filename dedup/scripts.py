"""Writing systems: where words and sentences end, and how much text a character holds.

Facts about a script that change how a passage is measured and cut:

* **Scripts written without spaces between words** (Chinese, Japanese, Thai, Lao, Khmer, Myanmar,
  Tibetan): a run of them between two spaces is a clause or a sentence, not a word. A passage
  may end between any two of their characters (not before a combining mark, which belongs to
  the character before it), where in other scripts it ends at a space.
* **Characters that stand for a syllable or a word** (Han ideographs, kana, Hangul syllables)
  hold as much text as several letters: the same news paragraph takes about a third as many code
  points in Chinese as in English. Lengths (``min_length``, ``gap``...) are counted in letters;
  :func:`width` says how many letters a document's characters stand for on average.
* **Sentence ends** are marked differently from script to script (``.``, ``؟``, Urdu's full
  stop U+06D4, Devanagari's danda U+0964, ``。``...): :func:`sentence_ends` finds them in the raw
  text, for a normalised text that no longer holds punctuation.

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
from numba import njit

from .checks import check_str
from .errors import ParameterError

__all__ = [
    "breaks", "check_text", "letter_count", "lone_surrogate", "measure", "sentence_ends", "surrogate_reason", "tokens",
    "width",
]  # fmt: skip

# Half of a UTF-16 surrogate pair on its own: a Python string may hold one (from a JSON escape such
# as "\ud800" that is not a pair), but no encoding can write it, and it is no character of any text.
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(text: object, name: str = "text") -> None:
    """Raise :class:`~dedup.errors.ParameterError` unless ``text`` is a str holding no lone surrogate.

    Example:
        >>> check_text("نص")
        >>> check_text("a\\udc80")
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: text must hold no lone surrogate; got U+DC80 at character 1
    """
    checked = check_str(name, text)
    lone = lone_surrogate(checked)
    if lone >= 0:
        raise ParameterError(surrogate_reason(name, checked, lone))


def surrogate_reason(name: str, text: str, at: int) -> str:
    """Why ``text``, holding a lone surrogate at ``at``, is refused: the rule in the words every check uses.

    Example:
        >>> surrogate_reason("source", "ab\\ud800", 2)
        'source must hold no lone surrogate; got U+D800 at character 2'
    """
    return f"{name} must hold no lone surrogate; got U+{ord(text[at]):04X} at character {at}"


def lone_surrogate(text: str) -> int:
    """The offset of the first lone surrogate code point in ``text``, or -1 when it has none.

    Example:
        >>> lone_surrogate("fine text"), lone_surrogate("ab\\ud800c")
        (-1, 2)
    """
    if text.isascii():  # most text of the Latin script: a check at memory speed
        return -1
    found = _SURROGATE.search(text)
    return found.start() if found is not None else -1


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
_FIRST_CLASSED = int(np.flatnonzero(_CLASS)[0])  # (the code points below it are letters of width 1)


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


def letter_count(text: str) -> float:
    """Letters ``text`` stands for: each character's, summed (an ideograph 3, a kana 2, a Hangul syllable 2.5).

    Example:
        >>> letter_count("北京 is"), letter_count("")
        (9.0, 0.0)
    """
    return float(_WEIGHT[_classes(_codepoints(text))].sum())


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
    # Alphabetic text, most of it: nothing to find, every character a letter. Below the first
    # code point of a class (Thai's) none has one: the text's largest code point says so, where
    # classifying took a table look-up a character (every document prepared for alignment).
    if not len(codepoints) or int(codepoints.max()) < _FIRST_CLASSED:
        return np.zeros(0, dtype=np.int64), 1.0
    classes = _classes(codepoints)
    if not classes.any():
        return np.zeros(0, dtype=np.int64), 1.0
    return _breaks(classes), _width(classes)


# Marks that end a sentence wherever they stand: the question mark of Arabic script, the Urdu full
# stop, Devanagari's danda and double danda, Armenian, Ethiopic and Georgian full stops, the CJK
# full stop, question and exclamation marks (full and half width); line and paragraph breaks.
_ALWAYS = "\u061f\u06d4\u0964\u0965\u0589\u1362\u10fb\u3002\uff01\uff1f\uff61\n\r\u2028\u2029"
# Marks that end a sentence only before a space, a closing quote or bracket, or the end of the
# text: a full stop is also a decimal point ("2.5") and an abbreviation's inside ("U.S.A").
_BEFORE_SPACE = ".!?\u2026"
_CLOSING = "\"'\u201d\u2019\u00bb\u203a)]}\u300d\u300f\uff09"


def _stop_table() -> npt.NDArray[np.uint8]:
    """For each code point of the Basic Multilingual Plane: ``_ENDS`` (ends a sentence),
    ``_ENDS_BEFORE`` (only before what ``_FOLLOWS`` marks) and ``_FOLLOWS`` (a space, a closing quote or bracket)."""
    table = np.zeros(0x10000, dtype=np.uint8)
    table[[ord(c) for c in _ALWAYS]] |= _ENDS
    table[[ord(c) for c in _BEFORE_SPACE]] |= _ENDS_BEFORE
    table[[cp for cp in range(0x10000) if chr(cp).isspace()]] |= _FOLLOWS
    table[[ord(c) for c in _CLOSING]] |= _FOLLOWS
    return table


_ENDS, _ENDS_BEFORE, _FOLLOWS = 1, 2, 4
_STOP = _stop_table()


def sentence_ends(text: str, offsets: npt.NDArray[np.integer], normalized: str) -> npt.NDArray[np.int64]:
    """Where the sentences of raw ``text`` end in its normalised text: after the last word before each stop.

    ``normalized`` is ``text`` normalised, and ``offsets[i]`` the raw offset of its character
    ``i`` (:class:`dedup.normalize.Normalized`). Sorted, distinct, above 0; the end of the text
    is the last. A stop after an abbreviation counts ("U.S. officials"), which only ends a
    sentence early; one inside a number does not.

    Example:
        >>> from dedup.normalize import normalize
        >>> raw = 'He said: "It is 2.5 km." Then he left!\\n\\nNext'
        >>> n = normalize(raw)
        >>> [n.text[:e] for e in sentence_ends(raw, n.offsets, n.text)]
        ['he said it is 2 5 km', 'he said it is 2 5 km then he left', 'he said it is 2 5 km then he left next']
    """
    # One pass of a compiled loop: every document prepared for alignment is read for its stops,
    # and the array expressions over the whole raw text were most of the preparation's Python.
    return _sentence_ends(_codepoints(text), np.asarray(offsets), _codepoints(normalized), _STOP)


@njit(cache=True, nogil=True)
def _sentence_ends(
    cps: npt.NDArray[np.uint32], offsets: npt.NDArray[np.integer], normalized: npt.NDArray[np.uint32],
    table: npt.NDArray[np.uint8],
) -> npt.NDArray[np.int64]:  # fmt: skip
    n = len(normalized)
    ends = np.empty(len(cps) + 1, dtype=np.int64)
    count = last = 0
    at = 0  # the normalised characters lying before raw offset r: offsets[:at] < r
    for r in range(len(cps)):
        kind = table[cps[r]] if cps[r] <= 0xFFFF else 0  # (no mark lies beyond the Basic Multilingual Plane)
        if not kind & (_ENDS | _ENDS_BEFORE):
            continue
        followed = r + 1 == len(cps) or (cps[r + 1] <= 0xFFFF and table[cps[r + 1]] & _FOLLOWS)
        if not kind & _ENDS and not followed:  # (the end of the text follows the last character)
            continue
        # A stop at raw offset r ends the sentence after the normalised characters lying before r,
        # less the space that stands for the stop's neighbours. (Ends only grow with r.)
        while at < n and offsets[at] < r:
            at += 1
        end = at - 1 if at > 0 and normalized[at - 1] == 32 else at
        if end > last:
            ends[count] = end
            count += 1
            last = end
    if n and last != n:
        ends[count] = n
        count += 1
    return ends[:count].copy()


def tokens(text: str) -> list[str]:
    """The words of ``text`` for comparing two passages' wording: runs of three or more word characters.

    A word's combining marks are part of it: the vowel signs and viramas of Devanagari, Bengali,
    Tamil, Thai... (``\\w`` alone splits "रक्षा" into letters). A run in a script written without
    spaces is a clause, not a word: it gives its overlapping three-character pieces instead (a
    one-character edit changes three of them, not the clause).

    Example:
        >>> tokens("the 国防部星期一 said it")
        ['the', '国防部', '防部星', '部星期', '星期一', 'said']
        >>> tokens("रक्षा मंत्रालय ने कहा")
        ['रक्षा', 'मंत्रालय', 'कहा']
    """
    if text.isascii() or not _ANY_SOLID.search(text):  # (isascii: a flag of the string, no scan)
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
    words = text.split()
    if "".join(words).isalnum():  # (normalised text, mostly: every word one run, none searched)
        return [word for word in words if len(word) >= _SHORTEST]
    out: list[str] = []
    for word in words:
        if word.isalnum():
            if len(word) >= _SHORTEST:
                out.append(word)
        else:
            out.extend(_WORD.findall(word))
    return out


def _mark_class() -> str:
    """The combining marks of the Basic Multilingual Plane, as the body of a regular-expression class."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x0300, 0x10000):
        if unicodedata.category(chr(cp))[0] == "M":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(chr(first) if first == last else f"{chr(first)}-{chr(last)}" for first, last in ranges)


# Format characters that sit inside words: the zero-width non-joiner and joiner (Persian's
# compound words, Arabic joining forms, emoji sequences) and the soft hyphen.
_JOINERS = "\u200c\u200d"
_IN_WORD = frozenset(_JOINERS + "\u00ad")


def _in_word(char: str) -> bool:
    """Whether ``char`` is part of a word: a letter, a digit, a combining mark, a joiner or a soft hyphen.

    Example:
        >>> [_in_word(c) for c in ("a", "7", "\u093e", "\u200c", " ", ".")]
        [True, True, True, True, False, False]
    """
    return char.isalnum() or unicodedata.category(char)[0] == "M" or char in _IN_WORD


_PIECE = 3
_SHORTEST = 3
# A word: a word character, then word characters and combining marks (a mark does not start one).
_WORD = re.compile(rf"\w[\w{_mark_class()}]{{{_SHORTEST - 1},}}")
_ANY_SOLID = re.compile(
    "["
    + "".join(f"{chr(first)}-{chr(last)}" for first, last, kind in _RANGES if kind != _HANGUL)
    + f"{chr(_BEYOND)}-{chr(_BEYOND_END)}]"
)
