"""The scan on Spark: the same stages and the same answers as :func:`dedup.scan`, on a cluster.

``pip install "dedup[spark]"``. The per-document stages (normalise, shingle, window signatures,
band keys) run in ``mapInArrow`` over Arrow batches with the local engine's numba kernels; the band
join is a shuffle (group by band and key); candidate pairs are counted for the band check in Spark;
each candidate pair is aligned and scored with both texts joined in, by the local engine's per-pair
function. Nothing proportional to the corpus is collected on the driver (the boilerplate statistics
are a fixed-size table). See ``docs/spark.md``.

Example:
    >>> from dedup.spark import scan, session  # doctest: +SKIP
    >>> spark = session("local[2]")  # doctest: +SKIP
    >>> found = scan(spark.read.parquet("news.parquet"), work_dir="/tmp/dedup-work")  # doctest: +SKIP
    >>> found.passages.write.parquet("passages.parquet")  # doctest: +SKIP
"""

from __future__ import annotations

from ._engine import SparkScan, scan, session
from ._files import read, write

__all__ = ["SparkScan", "read", "scan", "session", "write"]
