"""dedup: find syndicated passages, the same wire wording reused by several outlets.

Example:
    >>> import dedup
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
