"""Small real data sets that need no download.

* :func:`load_digits` — scikit-learn's 1,797 handwritten digits, 8×8 pixels (ships with
  scikit-learn). Also the offline stand-in for MNIST.
* :func:`load_old_faithful` — the 272 eruptions of the Old Faithful geyser, the classic
  data set for Gaussian mixtures and EM (packaged with ``course_lib``).
"""
from __future__ import annotations

import csv
import io
from importlib import resources

import torch

from .._validate import require_float_dtype

__all__ = ["load_digits", "load_old_faithful", "OLD_FAITHFUL_COLUMNS"]

#: Column names of :func:`load_old_faithful`: eruption duration and waiting time to the next
#: eruption, both in minutes.
OLD_FAITHFUL_COLUMNS = ("eruptions", "waiting")

_OLD_FAITHFUL_FILE = "old_faithful.csv"
_OLD_FAITHFUL_ROWS = 272


def load_digits(
    dtype: torch.dtype = torch.float32,
    *,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 8×8 handwritten digits, flattened and scaled to [0, 1].

    Parameters
    ----------
    dtype : torch.dtype
        Floating-point dtype of the images.
    device : torch.device or str, optional
        Where to put both tensors.

    Returns
    -------
    X : Tensor of shape (1797, 64)
        Pixel intensities in [0, 1] (the raw values 0..16 divided by 16); reshape to
        ``(-1, 8, 8)`` for images.
    y : Tensor of shape (1797,), int64
        Digit labels 0..9.
    """
    dtype = require_float_dtype(dtype)
    from sklearn.datasets import load_digits as _sklearn_load_digits

    bunch = _sklearn_load_digits()
    X = torch.as_tensor(bunch.data, dtype=torch.float64) / 16.0
    y = torch.as_tensor(bunch.target, dtype=torch.int64)
    return X.to(dtype=dtype, device=device), y.to(device=device)


def load_old_faithful(
    dtype: torch.dtype = torch.float64,
    *,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The Old Faithful geyser data (Azzalini & Bowman, 1990; R's ``faithful``).

    Parameters
    ----------
    dtype : torch.dtype
        Floating-point dtype of the result (float64 by default, as EM is often written in
        double precision).
    device : torch.device or str, optional
        Where to put the result.

    Returns
    -------
    Tensor of shape (272, 2)
        Columns :data:`OLD_FAITHFUL_COLUMNS`: eruption duration (minutes) and waiting time
        until the next eruption (minutes).
    """
    dtype = require_float_dtype(dtype)
    text = resources.files(__package__).joinpath(_OLD_FAITHFUL_FILE).read_text("utf-8")
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header = tuple(next(reader, ()))
    if header != OLD_FAITHFUL_COLUMNS:
        raise ValueError(
            f"{_OLD_FAITHFUL_FILE}: expected header {';'.join(OLD_FAITHFUL_COLUMNS)!r}, "
            f"got {';'.join(header)!r}; the packaged file is damaged, reinstall course_lib"
        )
    rows = [[float(value) for value in row] for row in reader if row]
    data = torch.tensor(rows, dtype=torch.float64)
    if data.shape != (_OLD_FAITHFUL_ROWS, 2):
        raise ValueError(
            f"{_OLD_FAITHFUL_FILE}: expected {_OLD_FAITHFUL_ROWS} rows of 2 values, got shape "
            f"{tuple(data.shape)}; the packaged file is damaged, reinstall course_lib"
        )
    return data.to(dtype=dtype, device=device)
