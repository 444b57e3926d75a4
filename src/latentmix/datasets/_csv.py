"""Reading a numeric CSV file (header optional, optional label column) without pandas."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..exceptions import DataError, InvalidParameterError

__all__ = ["read_csv"]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_rows(path: Path) -> tuple[list[list[str]], list[int]]:
    """Non-blank rows of the file and their 1-based line numbers (delimiter sniffed: , ; tab)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not a UTF-8 text file ({exc})") from exc
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    numbered = [(i + 1, line) for i, line in enumerate(text.splitlines()) if line.strip()]
    if not numbered:
        raise DataError(f"{path} is empty")
    try:
        delimiter = csv.Sniffer().sniff(numbered[0][1], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader((line for _, line in numbered), delimiter=delimiter))
    return [[c.strip() for c in row] for row in rows], [n for n, _ in numbered]


def _has_header(rows: list[list[str]]) -> bool:
    """A first row with a non-number where the second row has a number (or alone, any text)."""
    first = rows[0]
    if len(rows) == 1:
        return not all(_is_number(c) for c in first)
    second = rows[1]
    return any(not _is_number(a) and _is_number(b) for a, b in zip(first, second, strict=False))


def _label_index(label_column: int | str, header: list[str] | None, n_cols: int,
                 path: Path) -> int:
    """Column index of ``label_column`` (an index, possibly negative, or a header name)."""
    if isinstance(label_column, bool) or not isinstance(label_column, (int, str)):
        raise InvalidParameterError(
            f"label_column must be a column index or name; got {label_column!r}")
    if isinstance(label_column, str):
        if header is None:
            raise InvalidParameterError(
                f"label_column={label_column!r} is a name, but {path} has no header row; "
                "give the column index instead")
        if label_column not in header:
            raise InvalidParameterError(
                f"label_column={label_column!r} is not a column of {path}; columns: {header}")
        return header.index(label_column)
    if not -n_cols <= label_column < n_cols:
        raise InvalidParameterError(
            f"label_column={label_column} is out of range: {path} has {n_cols} columns")
    return label_column % n_cols


def _to_float(cells: np.ndarray, lines: list[int], columns: list[int], path: Path) -> np.ndarray:
    """Convert a 2-D array of strings to float64, naming the first bad cell on failure."""
    try:
        return cells.astype(np.float64)
    except ValueError:
        pass
    bad = next((r, c) for r in range(cells.shape[0]) for c in range(cells.shape[1])
               if not _is_number(cells[r, c]))
    r, c = bad
    value = str(cells[r, c])
    what = "an empty cell" if value == "" else f"the non-numeric value {value!r}"
    raise DataError(f"{path}, line {lines[r]}, column {columns[c] + 1}: {what}; "
                    "only numbers are supported (give the label column with label_column=)")


def read_csv(path: Path, label_column: int | str | None = None
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """``(X float64 (N, F), labels (N,) or None)`` from a CSV file; the labels may be strings."""
    rows, lines = _read_rows(path)
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        i = next(i for i, r in enumerate(rows) if len(r) != len(rows[0]))
        raise DataError(f"{path}, line {lines[i]}: {len(rows[i])} columns, while line "
                        f"{lines[0]} has {len(rows[0])}")
    header = rows[0] if _has_header(rows) else None
    if header is not None:
        rows, lines = rows[1:], lines[1:]
    if not rows:
        raise DataError(f"{path} has a header but no data rows")
    cells = np.array(rows, dtype=str)
    columns = list(range(cells.shape[1]))
    labels = None
    if label_column is not None:
        idx = _label_index(label_column, header, cells.shape[1], path)
        labels = cells[:, idx]
        columns.remove(idx)
        if all(_is_number(v) for v in np.unique(labels)):
            labels = _to_float(labels[:, None], lines, [idx], path)[:, 0]
    if not columns:
        raise DataError(f"{path} has no feature columns besides the label column")
    return _to_float(cells[:, columns], lines, columns, path), labels
