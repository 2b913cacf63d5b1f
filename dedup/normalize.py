"""Text normalisation that keeps, for every normalised character, its position in the raw text.

Matching runs on normalised text, but a reported passage has to be shown (and cut) in the
article the user gave us, so :func:`normalize` returns the normalised string together with an
offset array mapping each normalised character back to a raw code-point index.

Two profiles exist (see :data:`PROFILES`):

* ``"basic"``: Unicode NFKC, case folding (the Turkish capital dotted I to "i", as Turkic folding
  does, not to "i" and a combining dot), punctuation / separators / control characters to a
  single space (runs collapsed, ends stripped), format controls (bidi marks, zero-width
  characters, soft hyphen, ...) deleted, and so is a combining mark after a space (the accent of
  no letter: NFKC writes the Greek koronis, an elision mark, as a space and a mark).
* ``"arabic"`` (default): ``"basic"`` plus Arabic orthographic unification (harakat, Quranic
  marks and tatweel deleted, with any other mark a tatweel carries; alef forms, alef maqsura,
  teh marbuta, the Urdu and two-eyed hehs, Persian yeh and keheh unified; Arabic-Indic and
  Persian digits to ASCII), and Hebrew points and cantillation marks deleted. Only Arabic- and
  Hebrew-script characters are affected, so it is safe on mixed or other text.

Design, and why:

* The result is defined as "delete the format controls, NFKC the raw text, then map every code
  point through a fixed per-character image (in the arabic profile, with the marks a tatweel
  carries), then collapse spaces". Composing first is what makes precomposed and
  decomposed input (``"\\u00e9"`` vs ``"e\\u0301"``, ``"\\u0623"`` vs ``"\\u0627\\u0654"``,
  and a presentation form followed by a mark, ``"\\ufef4\\u0654"``) normalise alike; the
  per-character image being a fixpoint of itself is what makes the function idempotent.
* The per-character image for the Basic Multilingual Plane lives in numpy tables built once per
  profile, so the common case is a handful of vectorised passes rather than a Python loop over
  the characters. Astral characters are rare and take a cached per-character path.
* Raw text that is not NFKC only pays for the clusters that actually change under NFC; a cluster
  (starter plus following combining characters) is composed (NFKC) as a unit and all its output
  maps to the cluster's raw start (but where a mark of class 0 leads it and comes out as itself:
  then the rest maps to the mark after it, as a bare mark may be dropped).
* HTML character references (``&quot;``, ``&amp;``, ``&nbsp;``, ``&#1604;``, ``&#x627;``) are
  read as the characters they stand for, before anything else, in both profiles: news scraped
  from web pages keeps them, and one outlet's ``&quot;`` against another's ``"`` would otherwise
  put the letters "quot" into the middle of a copied quotation. Only complete references (a
  known name, or a valid code point, and the closing ``;``) are decoded; the characters of a
  reference map to its ``&``.
"""

from __future__ import annotations

import bisect
import codecs
import contextlib
import functools
import hashlib
import html
import operator
import os
import re
import sys
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from html.entities import html5
from pathlib import Path
from typing import TYPE_CHECKING, Final, SupportsIndex, cast

import numpy as np
import numpy.typing as npt

from dedup import _cache
from dedup.checks import check_choice, check_str
from dedup.errors import ParameterError

if TYPE_CHECKING:  # (a type only: normalising needs no numba)
    from dedup._arrays import Positions

__all__ = ["PROFILES", "Normalized", "PackedNormalized", "normalize"]

PROFILES: Final[tuple[str, str]] = ("arabic", "basic")

_U32: Final = np.dtype("<u4")
_BMP: Final = 0x10000
_SPACE: Final = 0x20
# Each fix-up pass only composes what deletions made adjacent; real text needs at most one.
_MAX_FIXUPS: Final = 8

_U32Array = npt.NDArray[np.uint32]
_I64Array = npt.NDArray[np.int64]
_U8Array = npt.NDArray[np.uint8]
_BoolArray = npt.NDArray[np.bool_]

# Blocks whose combining marks are Arabic harakat / Quranic annotation, or Hebrew points and
# cantillation (niqqud, te'amim: a pointed Hebrew text, for learners or of scripture, against the
# unpointed text news prints). The "arabic" profile deletes the combining marks of these blocks,
# which is simpler and more future-proof than listing code points: new Quranic marks get added to
# these blocks in new Unicode versions.
_ARABIC_BLOCKS: Final = (
    (0x0590, 0x05FF),  # Hebrew
    (0xFB1D, 0xFB4F),  # Hebrew presentation forms (their letters decompose to a letter and a point)
    (0x0600, 0x06FF),  # Arabic
    (0x0750, 0x077F),  # Arabic Supplement
    (0x0870, 0x089F),  # Arabic Extended-B
    (0x08A0, 0x08FF),  # Arabic Extended-A
    (0xFB50, 0xFDFF),  # Arabic Presentation Forms-A
    (0xFE70, 0xFEFF),  # Arabic Presentation Forms-B
    (0x10EC0, 0x10EFF),  # Arabic Extended-C
    (0x1EE00, 0x1EEFF),  # Arabic Mathematical Alphabetic Symbols
)
_TATWEEL: Final = "\u0640"
_ARABIC_MAP: Final[dict[str, str]] = {
    "\u0623": "\u0627",  # alef with hamza above
    "\u0625": "\u0627",  # alef with hamza below
    "\u0622": "\u0627",  # alef with madda above
    "\u0671": "\u0627",  # alef wasla
    "\u0672": "\u0627",  # alef with wavy hamza above
    "\u0673": "\u0627",  # alef with wavy hamza below
    "\u0649": "\u064a",  # alef maqsura -> yeh
    "\u0629": "\u0647",  # teh marbuta -> heh
    # Urdu's heh goal, its hamza and teh marbuta forms, and the two-eyed heh: Urdu text keyed on an
    # Arabic layout writes the Arabic heh for them, and Arabic text sets the two-eyed heh for its heh.
    "\u06c1": "\u0647",  # heh goal -> heh
    "\u06c2": "\u0647",  # heh goal with hamza above -> heh
    "\u06c3": "\u0647",  # teh marbuta goal -> heh
    "\u06be": "\u0647",  # heh doachashmee -> heh
    "\u06cc": "\u064a",  # Farsi yeh -> Arabic yeh
    "\u06a9": "\u0643",  # keheh -> kaf
    **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended Arabic-Indic (Persian/Urdu) digits
}
# Case folding as Unicode's full folding does it, but for the Turkish capital dotted I, which it
# folds to "i" and a combining dot above (U+0307) that no lowercase text holds: "İstanbul" and
# "istanbul" shared no n-gram over that letter. Folded as Unicode's Turkic folding does, to "i".
_FOLD_MAP: Final[dict[str, str]] = {"\u0130": "i"}
_FOLD: Final = str.maketrans(_FOLD_MAP)
# Hangul vowel and trailing jamo compose with the preceding syllable but have no canonical
# decomposition entry to discover them from, so they are listed by hand.
_HANGUL_BACKWARD: Final = frozenset([*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)])


@dataclass(frozen=True, slots=True, eq=False)
class Normalized:
    """Normalised text plus, per character, the raw code-point index it came from.

    ``offsets`` has ``len(text) + 1`` entries and is non-decreasing; the last entry is the length
    of the raw text, so the normalised span ``[s, e)`` is ``raw[offsets[s]:offsets[e]]``.

    >>> n = normalize("Hello,  WORLD!")
    >>> n.text
    'hello world'
    >>> n.offsets.tolist()
    [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 14]
    >>> n.raw_span(0, 5)
    (0, 5)
    >>> n.raw_span(6, 11)
    (8, 14)
    """

    text: str
    # normalize() gives int64 offsets; a document prepared for alignment keeps int32 ones
    # (dedup.seeds.prepare), half the bytes for every character the alignment cache holds.
    offsets: Positions

    def __post_init__(self) -> None:
        check_str("text", self.text)
        offsets = self.offsets
        if not isinstance(offsets, np.ndarray) or offsets.dtype not in (np.int64, np.int32) or offsets.ndim != 1:
            raise ParameterError(f"offsets must be a 1-D int64 (or int32) numpy array; got {offsets!r}")
        if offsets.shape[0] != len(self.text) + 1:
            raise ParameterError(
                f"offsets must have len(text) + 1 = {len(self.text) + 1} entries; got {offsets.shape[0]}"
            )

    def raw_span(self, start: SupportsIndex, end: SupportsIndex) -> tuple[int, int]:
        """Return the raw ``(start, end)`` code-point span of the normalised span ``[start, end)``.

        >>> raw = 'قال:  «السلام عليكم»'
        >>> n = normalize(raw)
        >>> n.text[4:10]
        'السلام'
        >>> n.raw_span(4, 10)
        (7, 13)
        >>> raw[7:13]
        'السلام'
        """
        first, last = _span(start, end, len(self.text))
        return int(self.offsets[first]), _raw_end(self.offset, first, last, len(self.text))

    def offset(self, i: SupportsIndex) -> int:
        """The raw code-point index normalised character ``i`` came from (``len(text)``: the raw length).

        >>> normalize("Hello,  WORLD!").offset(6)
        8
        """
        return int(self.offsets[_position(i, len(self.text))])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Normalized):
            return NotImplemented
        return self.text == other.text and bool(np.array_equal(self.offsets, other.offsets))

    def __hash__(self) -> int:
        # (as int64: equal offsets of either width hash alike)
        return hash((self.text, self.offsets.astype(np.int64, copy=False).tobytes()))


@dataclass(frozen=True, slots=True, eq=False)
class PackedNormalized:
    """A :class:`Normalized` whose offsets are kept only where they do not step by one: a few bytes a document.

    Normalisation keeps most characters one for one, so the raw offset of character ``i`` is
    ``value[k] + i - at[k]`` for the last ``at[k] <= i``: the steps are where characters were
    dropped or expanded, a few in a hundred in news and web text. A prepared document is held in
    the scan's alignment cache for many pairs and needs its offsets only for the few that report
    a passage, where the full array would be a large share of what it holds (docs/performance.md,
    Memory).

    >>> n = normalize("Hello,  WORLD!")
    >>> packed = PackedNormalized.pack(n)
    >>> packed.at.tolist(), packed.value.tolist()
    ([0, 6, 11], [0, 8, 14])
    >>> packed.raw_span(6, 11), bool((packed.offsets == n.offsets).all())
    ((8, 14), True)
    """

    text: str
    at: Positions
    """Where the offsets do not step by one from the previous character (always 0 first)."""
    value: Positions
    """The offset at each of those characters."""

    @classmethod
    def pack(cls, normalized: Normalized, dtype: type[np.int32] | type[np.int64] | None = None) -> PackedNormalized:
        """The packed form of ``normalized`` (positions in ``dtype``, by default its offsets' type).

        >>> PackedNormalized.pack(normalize("a b"), np.int32).value.dtype
        dtype('int32')
        """
        offsets = normalized.offsets
        at = np.flatnonzero(np.diff(offsets) != 1) + 1
        at = np.concatenate((np.zeros(1, dtype=at.dtype), at))
        kind = offsets.dtype if dtype is None else np.dtype(dtype)
        return cls(normalized.text, at.astype(kind), offsets[at].astype(kind))

    @property
    def offsets(self) -> Positions:
        """The full offsets (``len(text) + 1`` entries), as :attr:`Normalized.offsets`, made on each call.

        >>> PackedNormalized.pack(normalize("a,  b")).offsets.tolist()
        [0, 1, 4, 5]
        """
        steps = np.ones(len(self.text) + 1, dtype=np.int64)
        steps[self.at] = np.diff(self.value, prepend=0) - np.diff(self.at, prepend=0) + 1
        return cast("Positions", (np.cumsum(steps) - 1).astype(self.value.dtype))

    @property
    def nbytes(self) -> int:
        """Bytes the packed positions and the text take.

        >>> PackedNormalized.pack(normalize("abc")).nbytes > 0
        True
        """
        return int(self.at.nbytes) + int(self.value.nbytes) + sys.getsizeof(self.text)

    def raw_span(self, start: SupportsIndex, end: SupportsIndex) -> tuple[int, int]:
        """Return the raw ``(start, end)`` span of the normalised span ``[start, end)``, as :meth:`Normalized.raw_span`.

        >>> PackedNormalized.pack(normalize('قال:  «السلام عليكم»')).raw_span(4, 10)
        (7, 13)
        """
        first, last = _span(start, end, len(self.text))
        return self._offset(first), _raw_end(self._offset, first, last, len(self.text))

    def offset(self, i: SupportsIndex) -> int:
        """The raw code-point index normalised character ``i`` came from, as :meth:`Normalized.offset`.

        A point lookup: reading a few offsets does not rebuild :attr:`offsets`.

        >>> PackedNormalized.pack(normalize("Hello,  WORLD!")).offset(6)
        8
        """
        return self._offset(_position(i, len(self.text)))

    def unpack(self) -> Normalized:
        """The :class:`Normalized` this was packed from.

        >>> n = normalize("x  y")
        >>> PackedNormalized.pack(n).unpack() == n
        True
        """
        return Normalized(self.text, self.offsets)

    def _offset(self, i: int) -> int:
        # bisect on the array, not np.searchsorted: one lookup a call, where numpy's call costs more
        # than the search (every endpoint of every reported passage comes here).
        k = bisect.bisect_right(self.at, i) - 1
        return int(self.value[k]) + i - int(self.at[k])


def _position(i: SupportsIndex, size: int) -> int:
    at = _index("i", i)
    if not 0 <= at <= size:
        raise ParameterError(f"i must satisfy 0 <= i <= len(text) = {size}; got {at}")
    return at


def _span(start: SupportsIndex, end: SupportsIndex, size: int) -> tuple[int, int]:
    first = _index("start", start)
    last = _index("end", end)
    if not 0 <= first <= size:
        raise ParameterError(f"start must satisfy 0 <= start <= len(text) = {size}; got {first}")
    if not first <= last <= size:
        raise ParameterError(f"end must satisfy start = {first} <= end <= len(text) = {size}; got {last}")
    return first, last


def normalize(text: str, *, profile: str = "arabic") -> Normalized:
    """Normalise ``text`` for matching, keeping offsets back to the raw text.

    >>> normalize("أَهْلاً   وسَهْلاً!").text
    'اهلا وسهلا'
    >>> normalize("Straße — x² ٢٠٢٤", profile="basic").text
    'strasse x2 ٢٠٢٤'
    >>> normalize("Straße — x² ٢٠٢٤").text
    'strasse x2 2024'
    >>> n = normalize("ﻻ شيء")
    >>> n.text, n.offsets.tolist()
    ('لا شيء', [0, 0, 1, 2, 3, 4, 5])
    >>> normalize("AT&amp;T said &quot;caf&eacute;&quot; &#1604;&#x627;").text
    'at t said café لا'
    """
    check_str("text", text)
    check_choice("profile", profile, PROFILES)
    decoded = _references(text)
    if decoded is None:
        out, offsets = _normalized(text, profile)
    else:
        out, inner = _normalized(decoded[0], profile)
        offsets = decoded[1][inner]
    offsets.setflags(write=False)
    return Normalized(out, offsets)


def _normalized(text: str, profile: str) -> tuple[str, _I64Array]:
    """:func:`normalize` of text holding no character reference: the text and its offsets."""
    out, offsets, risky = _pass(text, profile)
    # Deleting a character (a zero-width joiner, a Quranic mark) can leave a base and a combining
    # mark adjacent that NFC would compose; re-running on such output would then change it, so we
    # settle it here to keep normalize idempotent.
    for _ in range(_MAX_FIXUPS):
        if not risky or unicodedata.is_normalized("NFC", out):
            break
        again, again_offsets, risky = _pass(out, profile)
        if again == out:
            break
        out, offsets = again, offsets[again_offsets]
    return out, offsets


# An HTML character reference: a name (the longest is 31 characters) or a decimal or hexadecimal
# code point, closed by ";" (references without it are left as written: "AT&T", "&copy 2024").
_REFERENCE: Final = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


def _reference(match: str) -> str | None:
    """What one reference (``&...;``) stands for, or None if it stands for nothing valid."""
    if match[1] != "#":
        return html5.get(match[1:])
    code = int(match[3:-1], 16) if match[2] in "xX" else int(match[2:-1])
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return None
    # As browsers read it: &#150; is the en dash (Windows-1252), and a control character is itself
    # (html.unescape leaves those out; a deleted character would glue two words).
    return html.unescape(match) or chr(code)


def _references(text: str) -> tuple[str, _I64Array] | None:
    """``text`` with its HTML character references decoded, and each character's raw offset (end included).

    None when ``text`` holds none.

    Example:
        >>> decoded, offsets = _references("a&amp;b")
        >>> decoded, offsets.tolist()
        ('a&b', [0, 1, 6, 7])
    """
    if "&" not in text:
        return None
    pieces: list[str] = []
    starts: list[_I64Array] = []
    done = 0
    for match in _REFERENCE.finditer(text):
        char = _reference(match.group())
        if char is None:
            continue
        pieces += (text[done : match.start()], char)
        starts += (np.arange(done, match.start(), dtype=np.int64), np.full(len(char), match.start(), dtype=np.int64))
        done = match.end()
    if not pieces:
        return None
    pieces.append(text[done:])
    starts += (np.arange(done, len(text), dtype=np.int64), np.array([len(text)], dtype=np.int64))
    return "".join(pieces), np.concatenate(starts)


def _index(name: str, value: SupportsIndex) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise ParameterError(f"{name} must be an integer; got {value!r}") from None


def _raw_end(offset: Callable[[int], int], first: int, last: int, length: int) -> int:
    """The raw end of the normalised span ``[first, last)``: past the whole raw character its last one came from.

    One raw character may give several normalised ones (ﷺ the four words of its blessing, ﻻ two
    letters): a span ending inside them takes the raw character, rather than end before it.
    """
    end = offset(last)
    if last <= first:
        return end
    inside = offset(last - 1)
    while end == inside and last < length:  # (an expansion is a few characters: a short walk)
        last += 1
        end = offset(last)
    return end


def _codepoints(text: str) -> _U32Array:
    # surrogatepass: lone surrogates are legal in a Python str and must not crash the pipeline.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=_U32)


def _decode(codepoints: _U32Array) -> str:
    # The codec function itself: bytes.decode goes through a Python-level wrapper for this codec.
    return codecs.utf_32_le_decode(codepoints.astype(_U32, copy=False).tobytes(), "surrogatepass", True)[0]


def _pass(text: str, profile: str) -> tuple[str, _I64Array, bool]:
    """One application of "NFKC, per-character image, collapse spaces".

    Returns the result, its offsets into ``text`` (end entry included) and whether the result
    may fail to be NFC, the only case in which another pass could change it.
    """
    size = len(text)
    if not size:
        return "", np.zeros(1, dtype=np.int64), False
    cps = _codepoints(text)
    src: _I64Array | None = None
    mapped = _map(cps, profile, composed=False)
    if mapped is None:
        # A character every profile deletes (a soft hyphen, a zero-width space) between a letter
        # and a mark blocks NFC, but once it is deleted the two meet: basic's output composes them
        # ("و\xadٔ" is then ؤ), so it goes first here, and every profile composes the letter as it
        # would over basic's output.
        cps, src = _without_blockers(cps)
        if src is not None:
            text = _decode(cps)
        # NFKC, not NFC: a compatibility character (an Arabic presentation form) can compose with
        # the mark after it once decomposed ("\ufef4\u0654" is yeh with hamza above), and the
        # arabic profile, which deletes such marks, must see the composed letter as basic does.
        if not unicodedata.is_normalized("NFKC", text):
            cps, composed = _compose(text, cps, profile)
            if composed is not None:
                src = composed if src is None else src[composed]
        mapped = _map(cps, profile, composed=True)
        assert mapped is not None  # _map only declines text it was not told is composed
    if profile != "basic" and _may_carry_marks(cps, mapped, profile):
        # A mark on a tatweel goes with it: kept, it would be the accent of whatever precedes the
        # tatweel (a space, which makes it bare, or the start of the text, where it stays), and
        # the arabic profile over basic's output (which keeps the tatweel as its base) would differ.
        cps, without = _without_marks_of_deleted_bases(cps, profile)
        if without is not None:
            src = without if src is None else src[without]
            mapped = _map(cps, profile, composed=True)
            assert mapped is not None
    out, deleted, rep, risky = mapped
    if rep is not None:
        src = rep if src is None else src[rep]
    out, offsets = _finish(out, deleted, src, size)
    return _decode(out), offsets, risky


# --------------------------------------------------------------------------- per-character image


def _in_arabic_block(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _ARABIC_BLOCKS)


def _step(s: str, arabic: bool) -> str:
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", s).translate(_FOLD).casefold():
        cat = unicodedata.category(ch)
        if cat[0] in "PZ" or cat == "Cc" or ch.isspace():
            out.append(" ")
        elif cat == "Cf":
            continue
        elif not arabic:
            out.append(ch)
        elif ch != _TATWEEL and not (cat[0] == "M" and _in_arabic_block(ord(ch))):
            out.append(_ARABIC_MAP.get(ch, ch))
    # Casefolding can decompose (U+0390 -> iota + two marks); recomposing keeps output in NFC
    # like Unicode's NFKC_Casefold, so the next call takes the fast path.
    return unicodedata.normalize("NFC", "".join(out))


def _image(ch: str, profile: str) -> str:
    """What one raw character becomes; iterated to a fixpoint so images map to themselves."""
    arabic = profile == "arabic"
    s = ch
    for _ in range(16):
        t = _step(s, arabic)
        if t == s:
            return s
        s = t
    raise AssertionError(f"normalisation of U+{ord(ch):04X} does not converge")  # pragma: no cover


# Flag bits of a table entry, above the 21 bits a code point needs. Nearly every character of
# real text has an unflagged entry, which is simply its image, so the common case is one gather
# and one comparison; flagged entries are few and are looked at individually.
_UNSAFE: Final = 1 << 31  # may change under NFC in context (see _code_of)
_DELETE: Final = 1 << 30  # the image is empty
_EXPAND: Final = 1 << 29  # the image has several characters (or, at U+FFFF, see _table)
_RISKY: Final = 1 << 28  # the image may leave the output not NFC
_FLAGGED: Final = _RISKY  # every flagged entry is at least this
_CHAR: Final = (1 << 21) - 1


def _code_of(cp: int, image: str) -> int:
    """Table entry of a code point: its single-character image, or flags."""
    code = _DELETE if not image else ord(image) if len(image) == 1 else _EXPAND
    if not all(_inert(ord(ch)) for ch in image):
        code |= _RISKY
    ccc, stable, _ = _nfc_props(cp)
    # Text free of UNSAFE characters has F(NFC(text)) == F(text): nothing in it composes, and
    # the only reordering NFC could do moves marks that are deleted anyway.
    if not stable or (ccc and image):
        code |= _UNSAFE
    return code


@functools.cache
def _table(profile: str) -> _U32Array:
    """Entry of every BMP code point for ``profile``, built once for this source and Unicode version.

    Building it asks ``unicodedata`` about every BMP code point, at the start of every command
    that normalises text (docs/performance.md, Start-up), so it is kept in the user's cache
    folder, named by a digest of this module's source and the Unicode version (a changed rule, or
    another Unicode version, makes another file); a file that cannot be read is built again, and
    where none can be written the table is built in each process.
    """
    path: Path | None = None
    try:
        digest = hashlib.sha1(Path(__file__).read_bytes() + unicodedata.unidata_version.encode()).hexdigest()[:16]
        path = _cache.user_cache_dir() / "tables" / f"normalize-{profile}-{digest}.npy"
        stored: _U32Array = np.load(path, allow_pickle=False)
        if stored.dtype == _U32 and stored.shape == (_BMP,):
            return stored
    except (OSError, ValueError, EOFError, RuntimeError):  # (RuntimeError: no home folder)
        pass
    table = _build_table(profile)
    if path is None:
        return table
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as stream:
            np.save(stream, table, allow_pickle=False)
        os.replace(partial, path)  # (readers see the old file or the whole new one)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return table


def _build_table(profile: str) -> _U32Array:
    table = np.fromiter((_code_of(cp, _image(chr(cp), profile)) for cp in range(_BMP)), dtype=_U32, count=_BMP)
    # _map clips astral code points to U+FFFF instead of scanning for them first; flagging U+FFFF
    # sends them (and the rare real U+FFFF) to the per-character lookup.
    table[_BMP - 1] |= _EXPAND
    return table


@functools.lru_cache(maxsize=1 << 16)
def _entry(cp: int, profile: str) -> tuple[int, _U32Array]:
    """Table entry and image of any code point, astral ones included."""
    image = _image(chr(cp), profile)
    return _code_of(cp, image), _codepoints(image)


# --------------------------------------------------------------------------- NFC properties


@dataclass(frozen=True, slots=True)
class _NfcTable:
    """Per BMP code point: canonical combining class, NFC quick-check "yes", and cluster start."""

    ccc: _U8Array
    stable: _BoolArray  # NFC_Quick_Check = Yes: unchanged by NFC and never composes backward
    boundary: _BoolArray  # NFC never looks across a boundary before this character


@functools.cache
def _composes_backward() -> frozenset[int]:
    """Code points that NFC can merge into the character before them."""
    found = set(_HANGUL_BACKWARD)
    for cp in range(0x110000):
        ch = chr(cp)
        decomposition = unicodedata.decomposition(ch)
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            # Only primary composites (not composition exclusions) recompose under NFC.
            if len(parts) == 2 and unicodedata.normalize("NFC", ch) == ch:
                found.add(int(parts[1], 16))
    return frozenset(found)


def _inert(cp: int) -> bool:
    """Whether ``cp`` can never make a string it is part of non-NFC."""
    ccc, stable, _ = _nfc_props(cp)
    return ccc == 0 and stable


@functools.lru_cache(maxsize=1 << 17)
def _nfc_props(cp: int) -> tuple[int, bool, bool]:
    """(canonical combining class, NFC_Quick_Check is Yes, NFC never looks back past it)."""
    backward = _composes_backward()
    ch = chr(cp)
    ccc = unicodedata.combining(ch)
    stable = cp not in backward and unicodedata.normalize("NFC", ch) == ch
    lead = unicodedata.normalize("NFD", ch)[0]
    boundary = ccc == 0 and cp not in backward and unicodedata.combining(lead) == 0 and ord(lead) not in backward
    return ccc, stable, boundary


@functools.cache
def _nfc_table() -> _NfcTable:
    props = [_nfc_props(cp) for cp in range(_BMP)]
    return _NfcTable(
        np.fromiter((p[0] for p in props), dtype=np.uint8, count=_BMP),
        np.fromiter((p[1] for p in props), dtype=np.bool_, count=_BMP),
        np.fromiter((p[2] for p in props), dtype=np.bool_, count=_BMP),
    )


# --------------------------------------------------------------------------- vectorised passes

# (image characters, positions of deleted entries or None, source position of each entry or
# None for one-to-one, whether the result may fail to be NFC)
_Mapped = tuple[_U32Array, npt.NDArray[np.intp] | None, _I64Array | None, bool]


def _bmp_index(cps: _U32Array) -> tuple[_U32Array, npt.NDArray[np.intp]]:
    """Code points clipped to the BMP tables, and the positions of astral ones."""
    if int(cps.max()) >= _BMP:
        astral = np.flatnonzero(cps >= _BMP)
        idx = cps.copy()
        idx[astral] = 0
        return idx, astral
    return cps, np.zeros(0, dtype=np.intp)


def _map(cps: _U32Array, profile: str, *, composed: bool) -> _Mapped | None:
    """Image of every code point; None if ``cps`` may need :func:`_compose` and is not ``composed``."""
    code = np.take(_table(profile), cps, mode="clip")
    special = (code >= _FLAGGED).nonzero()[0]
    if not special.shape[0]:
        return code, None, None, False
    flagged = code[special]
    flags = int(np.bitwise_or.reduce(flagged))
    if flags & _EXPAND:
        # Expansions and astral characters are rare: look them up once per distinct code point.
        wide = ((flagged & _EXPAND) != 0).nonzero()[0]
        distinct, inverse = np.unique(cps[special[wide]], return_inverse=True)
        entries = [_entry(cp, profile) for cp in distinct.tolist()]
        flagged[wide] = np.fromiter((entry for entry, _ in entries), dtype=_U32, count=len(entries))[inverse]
        flags = int(np.bitwise_or.reduce(flagged))
    if flags & _UNSAFE and not composed:
        return None
    deleted = special[(flagged & _DELETE) != 0]
    code[special] = flagged & _CHAR
    if not flags & _EXPAND:
        return code, deleted, None, bool(flags & _RISKY)

    # Lay the output out with one repeat, then copy each expansion's image into its slots.
    expanding = (flagged[wide] & _EXPAND) != 0
    which = inverse[expanding]  # index into entries, per expanding position
    image_sizes = np.fromiter((image.shape[0] for _, image in entries), dtype=np.int64, count=len(entries))
    image_starts = np.cumsum(image_sizes) - image_sizes
    image_data = np.concatenate([image for _, image in entries])
    sizes = image_sizes[which]
    counts = np.ones(cps.shape[0], dtype=np.int64)
    counts[deleted] = 0
    counts[special[wide[expanding]]] = sizes
    rep = np.repeat(np.arange(cps.shape[0], dtype=np.int64), counts)
    out = code[rep]
    slots = (np.cumsum(counts) - counts)[special[wide[expanding]]]
    within = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    out[np.repeat(slots, sizes) + within] = image_data[np.repeat(image_starts[which], sizes) + within]
    return out, None, rep, bool(flags & _RISKY)


def _without_blockers(cps: _U32Array) -> tuple[_U32Array, _I64Array | None]:
    """``cps`` without the characters every profile deletes that stand before a mark NFC may move or compose.

    Returns the code points kept and the position of each in ``cps`` (None if none was taken out).
    """
    idx, astral = _bmp_index(cps)
    gone = (_table("basic")[idx] & _DELETE) != 0
    for pos in astral.tolist():  # (a tag character, U+E0001-E007F, is a format control too)
        gone[pos] = bool(_entry(int(cps[pos]), "basic")[0] & _DELETE)
    if not gone.any():
        return cps, None
    nfc = _nfc_table()
    inert = (nfc.ccc[idx] == 0) & nfc.stable[idx]
    for pos in astral.tolist():
        inert[pos] = _inert(int(cps[pos]))
    stay = np.flatnonzero(~gone)
    dropped = np.flatnonzero(gone)
    after = np.searchsorted(stay, dropped)  # (the next character kept, where there is one)
    blocking = after < stay.shape[0]
    blocking[blocking] = ~inert[stay[after[blocking]]]
    if not blocking.any():
        return cps, None
    keep = np.ones(cps.shape[0], dtype=np.bool_)
    keep[dropped[blocking]] = False
    return cps[keep], np.flatnonzero(keep).astype(np.int64)


def _without_marks_of_deleted_bases(cps: _U32Array, profile: str) -> tuple[_U32Array, _I64Array | None]:
    """``cps`` without the marks whose base ``profile`` deletes and basic keeps (a tatweel, ﹷ).

    A mark here is a code point whose image starts with a combining mark (U+0345 is a mark whose
    image is the letter iota: a base); marks deleted anyway, and characters whose image is empty,
    are passed over on the way back to the base. Returns the code points kept and the position of
    each in ``cps`` (None if none was taken out).

    Example:
        >>> cps, kept = _without_marks_of_deleted_bases(_codepoints("a\u0640\u0301b"), "arabic")
        >>> _decode(cps), kept.tolist()
        ('a\u0640b', [0, 1, 3])
    """
    idx, astral = _bmp_index(cps)
    gone = _deleted_bases(profile)[idx]
    for pos in astral.tolist():
        gone[pos] = _is_deleted_base(int(cps[pos]), profile)
    if not gone.any():
        return cps, None
    code = _table(profile)[idx]
    empty = (code & _DELETE) != 0
    base = _bases(profile)[idx]
    for pos in np.flatnonzero((code & _EXPAND) != 0).tolist() + astral.tolist():
        image = _entry(int(cps[pos]), profile)[1]
        empty[pos] = not image.shape[0]
        base[pos] = gone[pos] or (bool(image.shape[0]) and not _are_marks(image[:1])[0])
    lead_mark = ~base & ~empty
    at = np.arange(cps.shape[0])
    last = np.maximum.accumulate(np.where(base, at, -1))
    drop = lead_mark & (last >= 0) & gone[np.maximum(last, 0)]
    if not drop.any():
        return cps, None
    keep = np.flatnonzero(~drop)
    return cps[keep], keep.astype(np.int64)


def _may_carry_marks(cps: _U32Array, mapped: _Mapped, profile: str) -> bool:
    """Whether a deleted base of ``cps`` (a tatweel) may carry a mark: one is followed by other than a plain letter.

    Cheap, and never False where :func:`_without_marks_of_deleted_bases` would take something out:
    Arabic text holds tatweels, but seldom a mark on one that the arabic profile keeps.
    """
    _, deleted, rep, _ = mapped
    bases = _deleted_bases(profile)  # (no astral code point is one: U+FFFF stands for them, and is none)
    if rep is not None:  # (expansions, a ligature's letters: rare, looked at whole)
        at = np.flatnonzero(bases[np.minimum(cps, _BMP - 1)])
    elif deleted is None or not deleted.shape[0]:
        return False  # (a deleted base is deleted)
    else:
        at = deleted[bases[np.minimum(cps[deleted], _BMP - 1)]]
    if not at.shape[0]:
        return False
    after = at + 1
    after = after[after < cps.shape[0]]
    return bool(after.shape[0]) and not _bases(profile)[np.minimum(cps[after], _BMP - 1)].all()


@functools.cache
def _bases(profile: str) -> _BoolArray:
    """Per BMP code point: whether the marks after it are its own, as the tatweel rule reads it.

    A deleted base (a tatweel), or a character whose image is one character and no mark (a letter,
    a space; U+0345's image, iota). Expansions read False: their image is looked up where one is met.
    """
    code = _table(profile)
    single = (code & (_DELETE | _EXPAND)) == 0
    bases: _BoolArray = (single & ~_are_marks((code & _CHAR).astype(_U32))) | _deleted_bases(profile)
    bases[_BMP - 1] = False  # (the flag that sends astral code points to the per-character lookup)
    return bases


def _is_deleted_base(cp: int, profile: str) -> bool:
    """Whether ``profile`` deletes ``cp``, basic keeps it, and it is no combining mark (a tatweel)."""
    return (
        bool(_entry(cp, profile)[0] & _DELETE)
        and not _entry(cp, "basic")[0] & _DELETE
        and unicodedata.category(chr(cp))[0] != "M"
    )


@functools.cache
def _deleted_bases(profile: str) -> _BoolArray:
    """:func:`_is_deleted_base` of every BMP code point (the tatweel and the presentation forms holding one)."""
    gone: _BoolArray = ((_table(profile) & _DELETE) != 0) & ((_table("basic") & _DELETE) == 0) & ~_marks()
    gone[_BMP - 1] = False  # (the flag that sends astral code points to the per-character lookup)
    return gone


def _compose(text: str, cps: _U32Array, profile: str) -> tuple[_U32Array, _I64Array | None]:
    """NFC the clusters of ``text`` whose image would differ under NFC; other code points pass.

    Returns the new code points and the raw position of each (None if nothing changed).
    """
    nfc = _nfc_table()
    idx, astral = _bmp_index(cps)
    ccc = nfc.ccc[idx]
    unsafe = ~nfc.stable[idx]
    boundary = nfc.boundary[idx]
    for pos in astral.tolist():
        ccc[pos], stable, boundary[pos] = _nfc_props(int(cps[pos]))
        unsafe[pos] = not stable
    if ccc.any():
        # NFC's canonical reordering matters only between marks that survive the mapping:
        # vowelled Arabic is routinely typed shadda-then-fatha (not NFC order), but the arabic
        # profile deletes both, so such text should not be sent down the exact path.
        kept = (_table(profile)[idx] & _DELETE) == 0
        kept[astral] = True
        considered = np.flatnonzero((ccc == 0) | kept)
        classes = ccc[considered]
        misordered = (classes[1:] != 0) & (classes[:-1] > classes[1:])
        unsafe[considered[1:][misordered]] = True
    if not unsafe.any():
        return cps, None
    boundary[0] = True
    starts = boundary.nonzero()[0]
    seg = np.searchsorted(starts, unsafe.nonzero()[0], side="right") - 1
    seg = seg[np.concatenate(([True], seg[1:] != seg[:-1]))]  # sorted already: dedupe in O(n)
    seg_starts = starts[seg]
    seg_ends = np.append(starts, cps.shape[0])[seg + 1]

    size = cps.shape[0]
    in_cluster = np.zeros(size + 1, dtype=np.int64)
    in_cluster[seg_starts] += 1
    in_cluster[seg_ends] -= 1
    inside = np.cumsum(in_cluster[:size]) > 0
    comp_cps, comp_lens = _nfc_clusters(cps[inside], seg_ends - seg_starts)

    # Each raw position yields itself, except that a cluster's start yields the whole composed
    # cluster and its other positions yield nothing.
    counts = np.ones(size, dtype=np.int64)
    counts[inside] = 0
    counts[seg_starts] = comp_lens
    # A cluster led by a mark of class 0 that comes out as itself yields it from its own position
    # and the rest from the marks after it: such a mark may be dropped as bare (after a space), and
    # what follows it must not point at it.
    firsts = np.cumsum(comp_lens) - comp_lens
    led = (seg_ends - seg_starts >= 2) & (comp_lens >= 1)
    if led.any():
        led[led] = _are_marks(cps[seg_starts[led]]) & (comp_cps[firsts[led]] == cps[seg_starts[led]])
        counts[seg_starts[led]] = 1
        counts[seg_starts[led] + 1] = comp_lens[led] - 1
    src = np.repeat(np.arange(size, dtype=np.int64), counts)
    out = cps[src]
    out[np.repeat(inside, counts)] = comp_cps
    return out, src


def _nfc_clusters(cps: _U32Array, lengths: _I64Array) -> tuple[_U32Array, _I64Array]:
    """NFKC each of the consecutive clusters of the given lengths: (all outputs, output lengths).

    NFKC rather than NFC so that a compatibility character composes with the marks after it as it
    does in NFKC of the whole text; the per-character image applies NFKC to each character anyway.
    """
    if (cps == 0).any():
        text = _decode(cps)
        ends = np.cumsum(lengths).tolist()
        pieces = [unicodedata.normalize("NFKC", text[e - n : e]) for e, n in zip(ends, lengths.tolist(), strict=True)]
        counts = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        return _codepoints("".join(pieces)), counts
    # One NFKC call over all clusters, separated by NUL, instead of one call per cluster: NUL is
    # a starter that composes with nothing, so the clusters stay independent and the cut exact.
    joined = np.insert(cps, np.cumsum(lengths)[:-1], 0)
    composed = _codepoints(unicodedata.normalize("NFKC", _decode(joined)))
    cuts = (composed == 0).nonzero()[0]
    bounds = np.concatenate((np.array([-1]), cuts, np.array([composed.shape[0]])))
    return composed[composed != 0], (np.diff(bounds) - 1).astype(np.int64)


def _finish(
    out: _U32Array, deleted: npt.NDArray[np.intp] | None, src: _I64Array | None, size: int
) -> tuple[_U32Array, _I64Array]:
    """Drop deleted entries, repeated spaces and spaces at both ends; build the offsets."""
    count = out.shape[0]
    space = out == _SPACE
    # One mask over count + 1 entries: the extra, always kept, becomes the end offset.
    drop = np.zeros(count + 1, dtype=np.bool_)
    np.logical_and(space[1:], space[:-1], out=drop[1:count])
    if deleted is not None:
        drop[deleted] = True
    keep = np.logical_not(drop, out=drop)
    kept = keep.nonzero()[0]
    out = out[keep[:count]]
    offsets = kept.astype(np.int64, copy=False) if src is None else np.append(src, size)[kept]
    if deleted is not None and deleted.shape[0]:
        # A deleted character between two spaces hid them from each other above.
        out, offsets = _without_repeated_spaces(out, offsets)
    out, offsets = _without_bare_marks(out, offsets)
    if out.shape[0] and out[0] == _SPACE:
        out, offsets = out[1:], offsets[1:]
    if out.shape[0] and out[-1] == _SPACE:
        out, offsets = out[:-1], offsets[:-1]
        offsets[-1] = size
    return out, offsets


def _without_bare_marks(out: _U32Array, offsets: _I64Array) -> tuple[_U32Array, _I64Array]:
    """Drop the combining marks that follow a space, and the spaces that meets.

    Such a mark is the accent of no letter: NFKC writes a spacing clone of a diacritic as a space
    and the mark (the koronis U+1FBD and psili U+1FBF, the elision marks of a polytonic Greek
    text, and the acute accent U+00B4 typed as an apostrophe), where another edition prints a
    punctuation apostrophe, a space. Marks that a deletion left bare go too.
    """
    if not out.shape[0]:
        return out, offsets
    # (Most texts have none: the characters after a space are looked at first, and only then all.)
    # A mark that starts the text stays: a raw slice cut after its letter normalises to what the
    # whole text holds of it, as every character's raw slice does (a mark is kept with its letter).
    first = np.flatnonzero(out[:-1] == _SPACE) + 1
    if not first.shape[0] or not _are_marks(out[first]).any():
        return out, offsets
    mark = _are_marks(out)
    # The base of each character: the last one at or before it that is no mark (-1: none).
    at = np.arange(out.shape[0])
    base = np.maximum.accumulate(np.where(mark, -1, at))
    bare = mark & (base >= 0) & (out[np.maximum(base, 0)] == _SPACE)
    if not bare.any():
        return out, offsets
    keep = np.append(~bare, True)
    return _without_repeated_spaces(out[keep[:-1]], offsets[keep])


def _without_repeated_spaces(out: _U32Array, offsets: _I64Array) -> tuple[_U32Array, _I64Array]:
    """Drop each space that follows a space (``offsets``: one longer than ``out``, its end kept)."""
    space = out == _SPACE
    repeated = np.flatnonzero(space[1:] & space[:-1]) + 1
    if not repeated.shape[0]:
        return out, offsets
    keep = np.ones(out.shape[0] + 1, dtype=np.bool_)
    keep[repeated] = False
    return out[keep[:-1]], offsets[keep]


def _are_marks(cps: _U32Array) -> _BoolArray:
    """Whether each code point is a combining mark."""
    idx, astral = _bmp_index(cps)
    mark = _marks()[idx]
    for pos in astral.tolist():
        mark[pos] = unicodedata.category(chr(int(cps[pos])))[0] == "M"
    return mark


@functools.cache
def _marks() -> _BoolArray:
    """Whether each BMP code point is a combining mark (general category M)."""
    return np.fromiter((unicodedata.category(chr(cp))[0] == "M" for cp in range(_BMP)), dtype=np.bool_, count=_BMP)
