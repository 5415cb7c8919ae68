"""Turning grey-level images into data a likelihood can score: binarisation and dequantisation.

A Bernoulli decoder assigns probabilities to binary pixels, but MNIST's pixels are grey
levels in ``{0, ..., 255}``. Two standard fixes:

* **Dynamic binarisation** (Burda, Grosse and Salakhutdinov, 2016): read the grey level
  ``p ∈ [0, 1]`` of a pixel as a probability and draw the pixel ``x ~ Bernoulli(p)`` afresh
  every time the image is used. Training then sees a new binary version of each image at
  every epoch, which acts as data augmentation and limits over-fitting. The test set is
  binarised once, with a fixed seed, so that every model is scored on the same bits
  (:func:`fixed_binarization`).
* **Dequantisation** for continuous densities: a discrete level ``k ∈ {0, ..., L-1}`` becomes
  ``(k + u) / L`` with ``u ~ U(0, 1)``. A density on ``[0, 1]^D`` then gives a lower bound on
  the discrete log-probability (``log P(k) >= E_u[log p((k + u)/L)] - D log L``), and
  ``floor(L y)`` recovers ``k``.

:func:`mnist_splits` fixes the split used throughout the course: MNIST's 60,000 training
images shuffled once with a seeded generator, the first 50,000 for training and the last
10,000 for validation, and the official 10,000 test images.

Random numbers come from an optional ``generator``: a ``torch.Generator`` (a CPU generator
works for tensors on any device: the draws are made on the CPU and moved), an ``int`` seed,
or ``None`` for torch's global generator.

Examples
--------
>>> from course_lib.data import load_digits
>>> images, _ = load_digits()                        # (1797, 64) grey levels in [0, 1]
>>> train = DynamicallyBinarized(images[:1500], seed=0)
>>> for batch in train.batches(100):                 # one epoch, fresh bits
...     break
>>> batch.shape
torch.Size([100, 64])
>>> test = fixed_binarization(images[1500:], seed=0)  # the same bits at every call
"""
from __future__ import annotations

import os

import torch
from torch.utils.data import Dataset

from .._validate import as_float_tensor, make_generator, require_finite, require_int
from .._validate import as_generator

__all__ = ["dynamic_binarize", "DynamicallyBinarized", "fixed_binarization", "dequantize", "mnist_splits"]


def _grey_levels(x, name: str) -> torch.Tensor:
    """``x`` as a floating tensor of values in [0, 1] (a ValueError naming it otherwise)."""
    x = as_float_tensor(x, name)
    require_finite(x, name)
    if x.numel() and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise ValueError(f"{name} must contain grey levels in [0, 1], got values in "
                         f"[{float(x.min()):.4g}, {float(x.max()):.4g}]")
    return x


def _uniform(shape, like: torch.Tensor, generator: torch.Generator | None, dtype=None) -> torch.Tensor:
    """``U[0, 1)`` draws of ``shape`` on ``like``'s device (made on the generator's device, then moved)."""
    dtype = like.dtype if dtype is None else dtype
    if generator is None:
        return torch.rand(shape, dtype=dtype, device=like.device)
    return torch.rand(shape, generator=generator, dtype=dtype, device=generator.device).to(like.device)


def _bernoulli(p: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    # x = [u < p] with u ~ U[0, 1) is Bernoulli(p): P(u < p) = p. (p = 0 never fires, p = 1 always.)
    return (_uniform(p.shape, p, generator) < p).to(p.dtype)


def dynamic_binarize(x, generator=None) -> torch.Tensor:
    """A fresh Bernoulli draw of every pixel: ``x_bin ~ Bernoulli(x)``, elementwise.

    Parameters
    ----------
    x : Tensor, any shape
        Grey levels in ``[0, 1]``, read as the probability that a pixel is on.
    generator : torch.Generator, int or None
        Source of the draw (see the module docstring).

    Returns
    -------
    Tensor, the shape, dtype and device of ``x``
        Values in ``{0, 1}``; ``E[x_bin] = x``.
    """
    x = _grey_levels(x, "x")
    return _bernoulli(x, as_generator(generator))


def fixed_binarization(images, seed: int) -> torch.Tensor:
    """One Bernoulli draw of ``images`` that depends only on ``seed`` (for validation/test sets).

    ``dynamic_binarize(images, generator=seed)``: the same seed gives the same bits on every
    call and on every device.

    Parameters
    ----------
    images : Tensor, any shape
        Grey levels in ``[0, 1]``.
    seed : int

    Returns
    -------
    Tensor, the shape, dtype and device of ``images``
    """
    if seed is None or isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer (a fixed binarisation needs one), got {seed!r}")
    images = _grey_levels(images, "images")
    return _bernoulli(images, make_generator(seed))


class DynamicallyBinarized(Dataset):
    """Grey-level images that are binarised afresh every time they are read.

    Indexing (``dataset[i]``, ``dataset[idx_tensor]``) returns a new Bernoulli draw of the
    selected images, and :meth:`batches` iterates over one epoch in minibatches, so every
    epoch sees new bits. All draws come from the dataset's own CPU generator, seeded with
    ``seed``: a seeded dataset gives the same sequence of epochs in every run.

    Parameters
    ----------
    images : Tensor, shape (N, ...)
        Grey levels in ``[0, 1]`` (e.g. ``(N, 784)``); kept on their device.
    seed : int or None
        Seed of the dataset's generator; ``None`` seeds it from fresh entropy.

    Attributes
    ----------
    images : Tensor, shape (N, ...)
        The grey levels, i.e. the mean of every draw.
    generator : torch.Generator
        The CPU generator the draws (and, by default, the shuffling) come from.
    """

    def __init__(self, images, seed: int | None = None):
        images = _grey_levels(images, "images")
        if images.ndim < 1 or images.shape[0] == 0:
            raise ValueError(f"images must have shape (N, ...) with N >= 1, got {tuple(images.shape)}")
        self.images = images
        self.generator = make_generator(seed)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index) -> torch.Tensor:
        return _bernoulli(self.images[index], self.generator)

    def __repr__(self) -> str:
        return f"DynamicallyBinarized(images of shape {tuple(self.images.shape)})"

    def batches(self, batch_size: int, shuffle: bool = True, generator=None):
        """One epoch of freshly binarised minibatches.

        Parameters
        ----------
        batch_size : int
            The last batch holds the remaining ``N mod batch_size`` images, if any.
        shuffle : bool
            Visit the images in a random order (a new one each epoch).
        generator : torch.Generator, int or None
            Source of the shuffling order; ``None`` uses the dataset's generator. The bits
            always come from the dataset's generator.

        Yields
        ------
        Tensor, shape (batch, ...)
            On the device of ``images``.
        """
        batch_size = require_int(batch_size, "batch_size")
        order_generator = self.generator if generator is None else as_generator(generator)
        n = len(self)
        order = torch.randperm(n, generator=order_generator) if shuffle else torch.arange(n)
        order = order.to(self.images.device)
        for start in range(0, n, batch_size):
            yield self[order[start:start + batch_size]]


def dequantize(x, generator=None, levels: int = 256) -> torch.Tensor:
    """Uniform dequantisation: ``y = (k + u) / levels``, ``u ~ U(0, 1)``, for integer levels ``k``.

    Every ``y`` lies strictly inside its cell ``(k / levels, (k + 1) / levels)``, so
    ``floor(levels * y) == k`` recovers the data exactly. (``u`` is kept a hair away from 0
    and 1 — by ``4 · levels`` machine epsilons of the output dtype, in units of a cell — so that
    rounding to the output dtype can never push ``y`` onto a cell boundary.)

    Parameters
    ----------
    x : Tensor, any shape
        Integer levels in ``{0, ..., levels - 1}``: a uint8 image, or a floating tensor of
        whole numbers.
    generator : torch.Generator, int or None
        Source of ``u``.
    levels : int
        Number of discrete levels ``L >= 2`` (256 for 8-bit images).

    Returns
    -------
    Tensor, the shape and device of ``x``
        Values in ``(0, 1)``; float32 for integer input, otherwise ``x``'s dtype.
    """
    levels = require_int(levels, "levels", 2)
    k = as_float_tensor(x, "x")
    require_finite(k, "x")
    if k.numel():
        if not bool((k == torch.floor(k)).all()):
            raise ValueError("x must contain whole numbers (integer levels); got fractional values")
        if float(k.min()) < 0 or float(k.max()) > levels - 1:
            raise ValueError(f"x must contain levels in 0..{levels - 1}, got values in "
                             f"[{float(k.min()):g}, {float(k.max()):g}]")
    generator = as_generator(generator)
    margin = 4 * levels * torch.finfo(k.dtype).eps
    u = _uniform(k.shape, k, generator, dtype=torch.float64).clamp(margin, 1.0 - margin)
    return ((k.to(torch.float64) + u) / levels).to(k.dtype)


def mnist_splits(data_dir: str | os.PathLike | None = None, n_validation: int = 10_000,
                 seed: int = 0) -> dict[str, torch.Tensor]:
    """MNIST as train / validation / test sets of flattened grey levels in [0, 1].

    The split: the 60,000 official training images are permuted with
    ``torch.randperm(60_000, generator=torch.Generator().manual_seed(seed))``; the first
    ``60,000 - n_validation`` of that order are ``"train"``, the rest ``"validation"``. The
    official 10,000 test images are ``"test"``. With the defaults this is 50,000 / 10,000 /
    10,000 and the same in every run. Nothing is downloaded (``download=False``): the files
    are looked for in ``data_dir``, ``$DGM_DATA_DIR`` and the cache (see
    :func:`course_lib.data.load_mnist`).

    Parameters
    ----------
    data_dir : str or path-like, optional
        Folder with the MNIST IDX files.
    n_validation : int
        Validation images taken from the training set, ``0 <= n_validation < 60,000``.
    seed : int
        Seed of the permutation.

    Returns
    -------
    dict with keys "train", "validation", "test"
        float32 tensors of shape ``(N, 784)`` with values in ``[0, 1]`` (grey level / 255).
        Binarise them with :class:`DynamicallyBinarized` and :func:`fixed_binarization`.

    Raises
    ------
    DatasetUnavailableError
        MNIST was not found locally.
    """
    from .idx import load_mnist

    n_validation = require_int(n_validation, "n_validation", 0)
    generator = make_generator(seed)
    train_images, _ = load_mnist("train", data_dir=data_dir, download=False, normalize=True)
    test_images, _ = load_mnist("test", data_dir=data_dir, download=False, normalize=True)
    n = train_images.shape[0]
    if n_validation >= n:
        raise ValueError(f"n_validation must be less than the {n:,} training images, got {n_validation:,}")
    order = torch.randperm(n, generator=generator)
    flat = train_images.reshape(n, -1)
    return {
        "train": flat[order[:n - n_validation]],
        "validation": flat[order[n - n_validation:]],
        "test": test_images.reshape(test_images.shape[0], -1),
    }
