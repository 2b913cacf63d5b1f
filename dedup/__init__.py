"""dedup: find syndicated passages, the same wire wording reused by several outlets.

Example:
    >>> import dedup
    >>> dedup.normalize("الولايات المتحدة").text
    'الولايات المتحده'
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import DedupError, InputError, ParameterError, ReadError
from .index import Index
from .io import Reader, read_jsonl
from .minhash import jaccard, signature, signatures, window_signatures
from .normalize import Normalized, normalize
from .records import Document, Pair, Passage, Skipped, Span
from .scan import ScanConfig, ScanResult, scan
from .shingle import Shingles, shingle
from .sketch import sketch

__all__ = [
    "DedupError",
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
    "read_jsonl",
    "scan",
    "shingle",
    "signature",
    "signatures",
    "sketch",
    "window_signatures",
]
