"""Data for the course: 2-D toy distributions, small real data sets, MNIST.

* :mod:`~course_lib.data.toy` — ``ring_of_gaussians``, ``grid_of_gaussians``, ``two_moons``,
  ``swiss_roll`` and the mode centres ``ring_centres``, ``grid_centres``.
* :mod:`~course_lib.data.small` — ``load_digits`` (8×8 digits) and ``load_old_faithful``.
* :mod:`~course_lib.data.idx` — ``read_idx`` and ``load_mnist`` / ``load_fashion_mnist``
  (local copy via ``DGM_DATA_DIR``, else download into the cache ``DGM_CACHE_DIR``), and
  ``load_mnist_or_digits`` for notebooks that must also run offline.
* :mod:`~course_lib.data.binarize` — ``dynamic_binarize``, ``DynamicallyBinarized``,
  ``fixed_binarization``, ``dequantize`` and the fixed MNIST split ``mnist_splits``.

Example
-------
>>> from course_lib.data import ring_of_gaussians, load_mnist_or_digits
>>> x = ring_of_gaussians(512, seed=0)          # (512, 2) float32
>>> images, labels, name = load_mnist_or_digits()  # doctest: +SKIP
"""
from .binarize import DynamicallyBinarized, dequantize, dynamic_binarize, fixed_binarization, mnist_splits
from .idx import (
    CACHE_DIR_ENV,
    DATA_DIR_ENV,
    ChecksumError,
    DatasetUnavailableError,
    ImageDataset,
    load_fashion_mnist,
    load_mnist,
    load_mnist_or_digits,
    read_idx,
)
from .small import OLD_FAITHFUL_COLUMNS, load_digits, load_old_faithful
from .toy import (
    grid_centres,
    grid_of_gaussians,
    ring_centres,
    ring_of_gaussians,
    swiss_roll,
    two_moons,
)

__all__ = [
    # toy.py
    "ring_of_gaussians",
    "grid_of_gaussians",
    "two_moons",
    "swiss_roll",
    "ring_centres",
    "grid_centres",
    # small.py
    "load_digits",
    "load_old_faithful",
    "OLD_FAITHFUL_COLUMNS",
    # idx.py
    "read_idx",
    "load_mnist",
    "load_fashion_mnist",
    "load_mnist_or_digits",
    "ImageDataset",
    "DatasetUnavailableError",
    "ChecksumError",
    "DATA_DIR_ENV",
    "CACHE_DIR_ENV",
    # binarize.py
    "dynamic_binarize", "DynamicallyBinarized", "fixed_binarization", "dequantize", "mnist_splits",
]
