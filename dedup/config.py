"""The parameters of a scan, checked where they enter: one frozen record every engine takes."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from .align import AlignParams
from .checks import check_choice
from .errors import ParameterError
from .lsh import optimal_params
from .minhash import _check_num_perm
from .normalize import PROFILES

__all__ = ["ScanConfig"]


# The largest value an integer setting may take.
_LARGEST = 2**31 - 1
# Fields whose own rule bounds them below _LARGEST: seed (under 2**32, its own width), num_perm (at
# most 1024), min_bands (at most the bands of num_perm), min_exact (at most min_length).
_OWN_BOUND = frozenset({"seed", "num_perm", "min_bands", "min_exact"})
# The most threads a scan may be asked for: each holds a tally of seed counts and batches of text.
_MAX_THREADS = 256


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """Every parameter of a scan, checked when it is made.

    Lengths (``min_length``, ``gap``, ``seed_length``) count normalised characters; ``window`` and
    ``stride`` count shingles. A document too short to compare (under ``min_exact`` normalised
    characters counted as letters, the shortest passage; or empty) is skipped and counted in
    :attr:`ScanResult.skipped`, or is an error with ``strict``; a malformed one (no id, text not a
    string, a duplicate id) is an error, or skipped with ``skip_bad``.

    Example:
        >>> ScanConfig(threshold=0.5).bands_rows
        (25, 5)
        >>> ScanConfig(window=100, stride=32)
        Traceback (most recent call last):
        ...
        dedup.errors.ParameterError: window (100) must be a multiple of stride (32)
    """

    ngram: int = 5
    num_perm: int = 128
    threshold: float = 0.2
    min_bands: int = 4
    window: int = 128
    stride: int = 32
    seed: int = 1
    profile: str = "arabic"
    min_length: int = 150
    min_exact: int = 40
    exact_density: float = 0.8
    seed_length: int = 10
    word_min: int = 4
    gap: int = 200
    min_seeds: int = 3
    min_density: float = 0.25
    join: int = 0
    abut: int = 100
    max_repeat: int = 2
    source_df: float = 0.1
    rare_df: float = 0.2
    min_score: float = 0.15
    short_windows: int = 32
    min_similarity: float = 0.0
    same_source: bool = False
    max_bucket: int = 256
    skip_bad: bool = False
    strict: bool = False
    # max_candidates: the candidate pairs a document may ask to align, its strongest by the band
    # check's evidence (budget.per_document_budget); 0 for no limit. A pair is aligned when it is among
    # the strongest of either of its documents, so alignment stays linear in the corpus however
    # dense the pair graph; the pairs left are counted in ScanResult.unaligned.
    max_candidates: int = 256

    def __post_init__(self) -> None:
        # Types first, by each field's annotation: a numpy number is taken (and stored as a Python
        # one, for JSON and for the archive index's stored configuration); NaN, infinities, strings,
        # None and booleans for numbers are not, so no later stage meets them.
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int":
                if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
                    raise ParameterError(f"{f.name} must be an integer, got {value!r}")
                # (the kernels count in 64-bit integers; no setting needs more than 31 bits). A field
                # whose own rule bounds it below that is told its own rule, checked below.
                if value > _LARGEST and f.name not in _OWN_BOUND:
                    raise ParameterError(f"{f.name} must be at most {_LARGEST:,}, got {value!r}")
                object.__setattr__(self, f.name, int(value))
            elif f.type == "float":
                if (
                    isinstance(value, bool | np.bool_)
                    or not isinstance(value, int | float | np.integer | np.floating)
                    or not math.isfinite(value)
                ):
                    raise ParameterError(f"{f.name} must be a finite number, got {value!r}")
                object.__setattr__(self, f.name, float(value))
            elif f.type == "bool":
                if not isinstance(value, bool | np.bool_):
                    raise ParameterError(f"{f.name} must be True or False, got {value!r}")
                object.__setattr__(self, f.name, bool(value))
        for name in ("join", "abut", "max_candidates", "short_windows"):
            if getattr(self, name) < 0:
                raise ParameterError(f"{name} must be at least 0, got {getattr(self, name)!r}")
        if not 0 <= self.seed < 1 << 32:
            raise ParameterError(f"seed must be an integer in [0, 2**32), got {self.seed!r}")
        _check_num_perm(self.num_perm)  # (minhash's check: one rule, one message)
        for name in ("ngram", "window", "stride", "min_length", "max_bucket", "min_bands"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ParameterError(f"{name} must be a positive integer, got {value!r}")
        if self.max_bucket < 2:  # (a bucket of one window pairs nothing: the candidate search refuses it)
            raise ParameterError(f"max_bucket must be at least 2, got {self.max_bucket}")
        if self.window % self.stride:
            raise ParameterError(f"window ({self.window}) must be a multiple of stride ({self.stride})")
        check_choice("profile", self.profile, PROFILES)
        if not 0.0 < self.source_df <= 1.0:
            raise ParameterError(f"source_df must be greater than 0 and at most 1, got {self.source_df!r}")
        if not 0.0 <= self.min_score <= 1.0:
            raise ParameterError(f"min_score must be between 0 and 1, got {self.min_score!r}")
        if not isinstance(self.short_windows, int) or self.short_windows < 0:
            raise ParameterError(f"short_windows must be a non-negative integer, got {self.short_windows!r}")
        if not isinstance(self.max_candidates, int) or isinstance(self.max_candidates, bool) or self.max_candidates < 0:
            raise ParameterError(f"max_candidates must be an integer >= 0 (0: no limit), got {self.max_candidates!r}")
        if not 0.0 <= self.min_similarity <= 1.0:
            raise ParameterError(f"min_similarity must be between 0 and 1, got {self.min_similarity!r}")
        optimal_params(self.threshold, self.num_perm)  # checks threshold and num_perm
        if self.min_bands > self.short_bands:
            raise ParameterError(
                f"min_bands must be at most the {self.short_bands} bands of threshold {self.threshold} and num_perm "
                f"{self.num_perm} (no pair could share more), got {self.min_bands}"
            )
        self.align_params  # noqa: B018 - builds AlignParams, which checks its own fields

    @property
    def bands_rows(self) -> tuple[int, int]:
        """The LSH bands and rows chosen for ``threshold`` and ``num_perm``.

        Example:
            >>> ScanConfig().bands_rows, ScanConfig(threshold=0.5).bands_rows
            ((28, 2), (25, 5))
        """
        return optimal_params(self.threshold, self.num_perm)

    @property
    def short_bands(self) -> int:
        """The LSH bands of a short document's windows (at most ``short_windows``): every slot of the signature.

        The first ``bands_rows[0]`` are every window's; the rest, cut from the slots those leave
        unused, only a short document's, so that two short stories have more chances to collide.

        Example:
            >>> ScanConfig().bands_rows, ScanConfig().short_bands, ScanConfig(short_windows=0).short_bands
            ((28, 2), 64, 28)
        """
        bands, rows = self.bands_rows
        return max(bands, self.num_perm // rows) if self.short_windows else bands

    @property
    def align_params(self) -> AlignParams:
        """The alignment parameters carried by this configuration.

        Example:
            >>> p = ScanConfig(min_length=100).align_params
            >>> p.min_length, p.ngram
            (100, 5)
        """
        return AlignParams(
            ngram=self.ngram,
            seed_length=self.seed_length,
            word_min=self.word_min,
            gap=self.gap,
            min_length=self.min_length,
            min_exact=self.min_exact,
            exact_density=self.exact_density,
            min_seeds=self.min_seeds,
            min_density=self.min_density,
            join=self.join,
            abut=self.abut,
            max_repeat=self.max_repeat,
            rare_df=self.rare_df,
        )

    def replace(self, **changes: Any) -> ScanConfig:
        """A copy with some fields changed (and checked).

        Example:
            >>> ScanConfig().replace(ngram=6).ngram
            6
        """
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ParameterError(f"unknown scan parameter(s): {', '.join(unknown)}")
        return ScanConfig(**{**asdict(self), **changes})

    def to_dict(self) -> dict[str, Any]:
        """The parameters as a plain dict (for reports).

        Example:
            >>> d = ScanConfig().to_dict()
            >>> d["ngram"], d["threshold"], ScanConfig(**d) == ScanConfig()
            (5, 0.2, True)
        """
        return asdict(self)


def _config_of(config: object) -> ScanConfig:
    """``config``, or the defaults for None; anything else than a :class:`ScanConfig` is a ParameterError.

    Example:
        >>> _config_of(None) == ScanConfig(), _config_of(ScanConfig(ngram=6)).ngram
        (True, 6)
    """
    if config is None:
        return ScanConfig()
    if not isinstance(config, ScanConfig):
        raise ParameterError(f"config must be a dedup.ScanConfig or None, got {type(config).__name__}")
    return config
