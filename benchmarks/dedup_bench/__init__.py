"""The dedup benchmark suite: corpora, stage timings, scaling, dense corpora, and the index and Spark runs."""
