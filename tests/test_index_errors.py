"""The archive index's failures are one-line errors naming what failed, and leave the index as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_index import DOCS

from dedup import Document, Index, ScanConfig
from dedup.errors import InputError, ParameterError

LONE = "a\ud800"  # an id that is not valid text: it cannot be encoded, so it cannot be stored


def test_an_id_with_a_lone_surrogate_is_skipped_by_an_add_as_by_a_scan(tmp_path: Path) -> None:
    bad = Document(LONE, DOCS[0].text, source="s0")
    with Index.open(tmp_path / "ix", ScanConfig(skip_bad=True)) as index:
        result = index.add([DOCS[1], bad, DOCS[2]])
        assert result.added == 2 and [(s.kind, s.id) for s in result.skipped] == [("invalid record", None)]
        assert "lone surrogate" in result.skipped[0].reason
        assert len(index) == 2
        assert [s.kind for s in index.query([bad]).skipped] == ["invalid record"]
    with Index.open(tmp_path / "ix") as index:
        with pytest.raises(InputError, match="lone surrogate"):
            index.add([DOCS[3], bad])
        assert len(index) == 2


def test_looking_up_an_id_with_a_lone_surrogate_is_a_parameter_error(tmp_path: Path) -> None:
    with Index.open(tmp_path / "ix") as index:
        index.add(DOCS[:2])
        assert LONE not in index
        with pytest.raises(ParameterError, match=r"document id 'a\\ud800' holds a lone surrogate"):
            index.get(LONE)
        with pytest.raises(ParameterError, match="lone surrogate"):
            index.remove([DOCS[0].id, LONE])
        assert len(index) == 2  # nothing removed
