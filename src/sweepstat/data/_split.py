"""A deterministic stratified train / val / test split for data sets without a fixed split of their own.

Why numpy and not scikit-learn's ``train_test_split(stratify=...)``: scikit-learn rounds the test size up
(``ceil``), breaks ties between classes at random when it shares out the rounding, and raises a generic
``ValueError`` for small classes. Here the rounding is written down and deterministic, every class of two or
more rows is guaranteed a row in both train and test, and a class too small to split gets a DataError that
names it. The code is a few lines of numpy.

Rounding, per class ``c`` with ``n_c`` rows and a fraction ``f``:

- the exact share is ``f * n_c``; the class gets ``floor(f * n_c)`` or ``ceil(f * n_c)`` rows, so it is
  always within one row of exact;
- the total is ``round(f * N)`` (halves round up), reached by giving the extra row to the classes with the
  largest fractional part (ties: the class that sorts first);
- for test, every class keeps at least one row in train and one in test; for a class whose exact share is
  below one row this forces the ``ceil``, so the total may then exceed ``round(f * N)`` by a row or two.

Test rows are ``test_fraction`` of all rows; validation rows are ``val_fraction`` of what remains for
training, with the same rounding (a class may end up with no validation row).
"""

from __future__ import annotations

import math

import numpy as np

from sweepstat.errors import DataError
from sweepstat.spec import SplitSpec


def stratified_split(labels: np.ndarray, spec: SplitSpec, *, where: str = "labels") -> np.ndarray:
    """Assign each row to "train", "val" or "test", stratified by label.

    ``labels`` (N,) holds any sortable values (class indices or names); ``where`` names their origin in
    error messages (a file and column). The result is an (N,) array of str, the same for the same labels
    and ``spec.seed``. Rows of each class are shuffled with ``numpy.random.default_rng(spec.seed)``, one
    permutation per class in sorted class order; the first rows of the permutation go to test, the next to
    val, the rest to train.
    """
    labels = np.asarray(labels)
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    too_small = [(c, int(n)) for c, n in zip(classes.tolist(), counts, strict=True) if n < 2]
    if too_small:
        listed = ", ".join(f"class {c!r} has {n} row" for c, n in too_small)
        raise DataError(
            where,
            "must have at least 2 rows in every class, so that each class appears in both train and test",
            listed,
            "add rows for these classes, merge them into others, or give a split column",
        )

    n_test = _shares(counts, spec.test_fraction, keep_both=True)
    n_rest = counts - n_test
    n_val = _shares(n_rest, spec.val_fraction, keep_both=False)
    if spec.val_fraction > 0 and n_val.sum() == 0:
        raise DataError(
            "data.split.val_fraction",
            f"must leave at least one validation row of the {int(n_rest.sum())} training rows",
            spec.val_fraction,
            "raise val_fraction, or use 0 for no validation split",
        )

    out = np.full(labels.shape[0], "train", dtype=object)
    rng = np.random.default_rng(spec.seed)
    for k in range(len(classes)):
        rows = rng.permutation(np.flatnonzero(inverse == k))
        out[rows[: n_test[k]]] = "test"
        out[rows[n_test[k] : n_test[k] + n_val[k]]] = "val"
    return out.astype(str)


def _shares(counts: np.ndarray, fraction: float, *, keep_both: bool) -> np.ndarray:
    """Rows per class taken by ``fraction``: floor or ceil of the exact share, totalling round(f * N).

    With ``keep_both`` every class keeps at least one row on each side (needs counts ≥ 2). Without it a
    class still keeps at least one row on the remaining side, so training never loses a class.
    """
    if fraction == 0:
        return np.zeros_like(counts)
    exact = fraction * counts.astype(float)
    low = np.floor(exact).astype(np.int64)
    high = np.minimum(np.ceil(exact).astype(np.int64), counts - 1)
    if keep_both:
        low = np.maximum(low, 1)
    low = np.minimum(low, high)
    target = math.floor(fraction * int(counts.sum()) + 0.5)
    extra = min(max(target - int(low.sum()), 0), int((high - low).sum()))
    # Largest fractional part first; a stable sort keeps the sorted class order among ties.
    order = np.argsort(-(exact - np.floor(exact)), kind="stable")
    order = order[(high - low)[order] > 0]
    taken = low.copy()
    taken[order[:extra]] += 1
    return taken


def validation_cut(n: int, fraction: float, noun: str) -> int:
    """Where Keras's ``fit(validation_split=fraction)`` cuts ``n`` examples kept in their order.

    Examples ``[0, cut)`` train and ``[cut, n)`` validate, with ``cut = floor(n * (1 - fraction))``. Raises
    DataError (on ``data.val_fraction``, ``noun`` naming one example) when either side would be empty.
    """
    cut = int(np.floor(n * (1.0 - fraction)))
    if cut in (0, n):
        raise DataError(
            "data.val_fraction",
            f"must leave at least one training and one validation {noun} of the {n} training {noun}s",
            fraction,
            "use a fraction such as 0.2, or 0 for no validation split",
        )
    return cut
