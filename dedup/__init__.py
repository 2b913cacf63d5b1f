"""dedup: find syndicated passages, the same wire wording reused by several outlets.

Give :func:`scan` an iterable of :class:`Document` (an id, the raw text, and optionally its
``source`` outlet and ``date``); it returns a :class:`ScanResult`: the shared ``passages`` (each a
:class:`Passage` of two :class:`Span` offsets into the raw texts), the document ``pairs`` ranked by
``score`` (:class:`Pair`), and every document not scanned in ``skipped``. Documents of the same
source are not compared.

- :class:`ScanConfig`: every parameter of a scan, checked when it is made;
- :func:`read_documents`: documents from folders, JSONL, CSV or TSV files;
- :meth:`ScanResult.to_pandas` / :meth:`ScanResult.to_arrow`: the result as tables;
- :class:`Index`: an archive on disk, to check new documents against without rescanning;
- :func:`sketch` and :func:`jaccard`: whole-text MinHash signatures (datasketch-compatible);
- :func:`normalize`, :func:`shingle`: the first stages on their own.

Bad input raises a :class:`DedupError` (:class:`ParameterError`, :class:`InputError`, ...).

Example:
    >>> import dedup
    >>> wire = ("The defence ministry said on Monday it had no plans to withdraw its 2,500 troops "
    ...         "from the country, despite the announcement last week of talks on ending the mission. ")
    >>> result = dedup.scan([
    ...     dedup.Document("a", "Local news first. " * 5 + wire, source="agency"),
    ...     dedup.Document("b", wire + "Sport after. " * 5, source="daily"),
    ... ])
    >>> [(p.a.doc, p.b.doc, p.similarity) for p in result.passages]
    [('a', 'b', 1.0)]
    >>> dedup.normalize("الولايات المتحدة").text
    'الولايات المتحده'
"""

from __future__ import annotations

__version__ = "0.1.0"

# First, before any module defines a numba kernel: it points numba's cache away from the package folder.
from . import _cache  # noqa: F401
from .config import ScanConfig
from .errors import DedupError, DependencyError, InputError, ParameterError, ReadError
from .index import Index
from .io import Reader, read_documents, read_jsonl
from .minhash import jaccard, signature, signatures, window_signatures
from .normalize import Normalized, normalize
from .records import CommonText, Document, Pair, Passage, Skipped, Span
from .scan import ScanResult, scan
from .shingle import Shingles, shingle
from .sketch import sketch

__all__ = [
    "CommonText",
    "DedupError",
    "DependencyError",
    "Document",
    "Index",
    "InputError",
    "Normalized",
    "Pair",
    "ParameterError",
    "Passage",
    "ReadError",
    "Reader",
    "ScanConfig",
    "ScanResult",
    "Shingles",
    "Skipped",
    "Span",
    "__version__",
    "jaccard",
    "normalize",
    "read_documents",
    "read_jsonl",
    "scan",
    "shingle",
    "signature",
    "signatures",
    "sketch",
    "window_signatures",
]

# `from __future__ import annotations` binds the name `annotations` here; it is not part of the API.
del annotations
