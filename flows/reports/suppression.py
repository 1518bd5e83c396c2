"""Small cells suppressed, so nobody can be singled out: a count from 1 to min_cell - 1 is
published as None ("fewer than min_cell"), and so is any median or p90 computed over fewer
than min_cell values. When one cell of a breakdown is hidden and the total is published, the
next smallest cell is hidden too, so the hidden one cannot be got back by subtraction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

DEFAULT_MIN_CELL = 5


def cell(n: int, k: int) -> int | None:
    return None if 0 < n < k else n


def counts(values: Mapping[str, int], k: int) -> dict[str, int | None]:
    """A breakdown whose total is published: small cells hidden, plus one more if only one
    was (complementary suppression)."""
    shown: dict[str, int | None] = {name: cell(n, k) for name, n in values.items()}
    hidden = [name for name, v in shown.items() if v is None]
    if len(hidden) == 1:
        others = sorted((n, name) for name, n in values.items() if shown[name] and n > 0)
        if others:
            shown[others[0][1]] = None
    return shown


def series(values: Sequence[int], k: int) -> list[int | None]:
    """The same for a list (load by hour, histogram bins)."""
    shown = counts({str(i): n for i, n in enumerate(values)}, k)
    return [shown[str(i)] for i in range(len(values))]


def share(part: int | None, whole: int | None) -> float | None:
    """part / whole, unknown when either is hidden or the whole is empty."""
    if part is None or not whole:
        return None
    return round(part / whole, 4)
