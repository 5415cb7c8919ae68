"""Positive-definite kernels on R^d and the median heuristic for their bandwidth.

All kernels here are radial: ``k(x, y) = f(||x - y||²)``. They take two samples ``x`` of
shape ``(n, d)`` and ``y`` of shape ``(m, d)`` and return the ``(n, m)`` Gram matrix
``K_ij = k(x_i, y_j)``, on the device and in the dtype of ``x``. Everything is differentiable,
so the kernels can sit inside a training loss (see :mod:`course_lib.mmd_net`).

A bandwidth may be a single positive number or a sequence / 1-D tensor of them; a sequence
gives the *sum* of the kernels at those scales, ``k = Σ_s k_s`` — the multi-scale kernel of
MMD nets, which is sensitive to differences at several length scales at once.

Examples
--------
>>> x, y = torch.randn(100, 2), torch.randn(50, 2)
>>> gaussian_kernel(x, y, bandwidth=1.0).shape
torch.Size([100, 50])
>>> sigma = median_heuristic(x, y)
>>> K = kernel_matrix(x, y, "gaussian", bandwidth=[0.5 * sigma, sigma, 2 * sigma])
"""
from __future__ import annotations

import math
import numbers
from typing import Callable, Sequence, Union

import torch

from ._validate import as_float_tensor, require_finite, require_int, require_positive

__all__ = [
    "pairwise_sq_distances",
    "gaussian_kernel",
    "laplace_kernel",
    "inverse_multiquadric_kernel",
    "median_heuristic",
    "kernel_matrix",
    "RADIAL_KERNELS",
]

Bandwidth = Union[float, Sequence[float], torch.Tensor]

#: Largest pooled sample the median heuristic uses in full; larger pools are subsampled.
MEDIAN_MAX_POINTS = 2000


# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------
def as_two_samples(x, y) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate two samples: 2-D, same number of features, finite; ``y`` joins ``x``."""
    x = as_float_tensor(x, "x", ndim=2)
    y = as_float_tensor(y, "y", ndim=2, like=x)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x and y must have the same number of features (columns): "
            f"x is {tuple(x.shape)}, y is {tuple(y.shape)}"
        )
    require_finite(x, "x")
    require_finite(y, "y")
    return x, y


def _scales(value, name: str, like: torch.Tensor) -> torch.Tensor:
    """A positive number or a non-empty sequence / 1-D tensor of them, as a 1-D tensor."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{name} must be a positive number or a sequence of them, got {value!r}")
    if isinstance(value, numbers.Real):
        require_positive(value, name)
        return torch.tensor([float(value)], dtype=like.dtype, device=like.device)
    if isinstance(value, torch.Tensor):
        t = value.detach()
    else:
        try:
            t = torch.as_tensor([float(v) for v in value], dtype=torch.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{name} must be a positive number or a sequence of them, got {value!r}"
            ) from exc
    t = t.to(dtype=like.dtype, device=like.device).reshape(-1) if t.ndim <= 1 else t
    if t.ndim != 1 or t.numel() == 0:
        raise ValueError(f"{name} must be a number or a non-empty 1-D sequence, got shape {tuple(t.shape)}")
    require_positive(t, name)
    return t


# ---------------------------------------------------------------------------------------
# Distances and radial profiles
# ---------------------------------------------------------------------------------------
def _sq_dist(x: torch.Tensor, y: torch.Tensor, same: bool = False) -> torch.Tensor:
    """``||x_i||² + ||y_j||² - 2 x_i·y_j`` clamped at 0, without input checks (hot path).

    The three terms come out of a single matrix product of augmented rows,
    ``[x_i, ||x_i||², 1] · [-2 y_j, 1, ||y_j||²]``, so the ``(n, m)`` result is written once.
    ``same=True`` (``x`` and ``y`` are the same points) sets the diagonal to exactly 0,
    which round-off would otherwise leave slightly positive.
    """
    if same:
        return _sq_dist(x, y).fill_diagonal_(0.0)
    ones_x = torch.ones_like(x[:, :1])
    ones_y = torch.ones_like(y[:, :1])
    x_aug = torch.cat([x, (x * x).sum(dim=1, keepdim=True), ones_x], dim=1)
    y_aug = torch.cat([-2.0 * y, ones_y, (y * y).sum(dim=1, keepdim=True)], dim=1)
    return (x_aug @ y_aug.T).clamp_min_(0.0)


def _safe_sqrt(d2: torch.Tensor) -> torch.Tensor:
    """``sqrt(d2)`` whose gradient is 0 (not inf/NaN) where ``d2 == 0``, e.g. on a diagonal."""
    positive = d2 > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, d2, torch.ones_like(d2))), 0.0)


def _sum_over_scales(d2: torch.Tensor, scales: torch.Tensor, profile) -> torch.Tensor:
    """``Σ_s profile(d2, s)`` over the bandwidths ``scales``.

    With autograd (a training loss) every term is a new tensor. Without it (the statistics)
    the terms are summed in place and the last scale overwrites ``d2``, so a multi-scale
    kernel needs one ``N × M`` buffer besides ``d2`` instead of one per scale.
    """
    if torch.is_grad_enabled() and d2.requires_grad:
        total = profile(d2, scales[0])
        for s in scales[1:]:
            total = total + profile(d2, s)
        return total
    total = None
    for s in scales[:-1]:
        term = profile(d2, s)
        total = term if total is None else total.add_(term)
    last = profile(d2, scales[-1], inplace=True)  # d2 is not needed after this
    return last if total is None else total.add_(last)


# Radial profiles f(d2, scale, inplace): k = f(||x - y||²). The in-place variants save
# memory passes in the (no-grad) statistics; with autograd they must not be used.
def _gaussian_profile(d2, sigma, inplace=False):
    c = -0.5 / (sigma * sigma)
    return d2.mul_(c).exp_() if inplace else torch.exp(d2 * c)


def _laplace_profile(d2, sigma, inplace=False):
    if inplace:
        return d2.sqrt_().mul_(-1.0 / sigma).exp_()
    return torch.exp(_safe_sqrt(d2) * (-1.0 / sigma))


def _imq_profile(d2, c, inplace=False):
    if inplace:
        return d2.add_(c * c).rsqrt_().mul_(c)
    return c * torch.rsqrt(c * c + d2)


_PROFILES = {"gaussian": _gaussian_profile, "laplace": _laplace_profile, "imq": _imq_profile}

#: Names accepted by :func:`kernel_matrix` (and by ``kernel=`` in :mod:`course_lib.mmd`).
RADIAL_KERNELS = tuple(_PROFILES)


def pairwise_sq_distances(x, y) -> torch.Tensor:
    """Squared Euclidean distances between all rows of ``x`` and all rows of ``y``.

    Computed as ``||x_i||² + ||y_j||² - 2 x_i·y_j`` — one matrix product, so it is fast on
    any device — and clamped at 0, because round-off can make the expansion slightly
    negative for (nearly) equal points. The expansion loses relative accuracy for points
    much closer together than their norms; use float64 when that matters.

    Parameters
    ----------
    x : Tensor, shape (n, d)
    y : Tensor, shape (m, d)

    Returns
    -------
    Tensor, shape (n, m)
        ``D_ij = ||x_i - y_j||²``, non-negative.
    """
    same = x is y
    x, y = as_two_samples(x, y)
    return _sq_dist(x, y, same)


def gaussian_kernel(x, y, bandwidth: Bandwidth) -> torch.Tensor:
    """Gaussian (RBF) kernel ``k(x, y) = exp(-||x - y||² / (2σ²))``.

    Parameters
    ----------
    x : Tensor, shape (n, d)
    y : Tensor, shape (m, d)
    bandwidth : float, or sequence / 1-D tensor of floats
        The length scale ``σ > 0``. Several bandwidths give the multi-scale kernel
        ``Σ_s exp(-||x - y||² / (2σ_s²))`` (so ``k(x, x)`` equals the number of scales).

    Returns
    -------
    Tensor, shape (n, m)
    """
    same = x is y
    x, y = as_two_samples(x, y)
    return _sum_over_scales(_sq_dist(x, y, same), _scales(bandwidth, "bandwidth", x), _gaussian_profile)


def laplace_kernel(x, y, bandwidth: Bandwidth) -> torch.Tensor:
    """Laplace kernel ``k(x, y) = exp(-||x - y|| / σ)`` (Euclidean norm, not squared).

    Its gradient at ``x = y`` is taken as 0 (the kernel has a cusp there), so it can be
    differentiated on a diagonal without producing NaNs.

    Parameters
    ----------
    x : Tensor, shape (n, d)
    y : Tensor, shape (m, d)
    bandwidth : float, or sequence / 1-D tensor of floats
        The length scale ``σ > 0``; several give the sum of the kernels.

    Returns
    -------
    Tensor, shape (n, m)
    """
    same = x is y
    x, y = as_two_samples(x, y)
    return _sum_over_scales(_sq_dist(x, y, same), _scales(bandwidth, "bandwidth", x), _laplace_profile)


def inverse_multiquadric_kernel(x, y, c: Bandwidth = 1.0) -> torch.Tensor:
    """Inverse multiquadric (IMQ) kernel ``k(x, y) = c / sqrt(c² + ||x - y||²)``.

    This is the usual ``(c² + ||x - y||²)^{-1/2}`` multiplied by ``c``, i.e. normalised so
    that ``k(x, x) = 1`` like the Gaussian and Laplace kernels. Its tails are heavy
    (``~ c / ||x - y||``), so it keeps a gradient even for far-apart points.

    Parameters
    ----------
    x : Tensor, shape (n, d)
    y : Tensor, shape (m, d)
    c : float, or sequence / 1-D tensor of floats
        The scale ``c > 0``; several give the sum of the kernels.

    Returns
    -------
    Tensor, shape (n, m)
    """
    same = x is y
    x, y = as_two_samples(x, y)
    return _sum_over_scales(_sq_dist(x, y, same), _scales(c, "c", x), _imq_profile)


def median_heuristic(x, y=None, *, max_points: int = MEDIAN_MAX_POINTS, seed: int = 0) -> float:
    """The median heuristic bandwidth: the median distance between points of the pooled sample.

    The samples ``x`` and ``y`` are stacked and the Euclidean distance of every unordered
    pair ``{z_i, z_j}``, ``i < j``, is taken once (the ``N(N-1)/2`` entries of SciPy's
    ``pdist``); the result is their median (the mean of the two middle values for an even
    count, as ``numpy.median``).

    The zero self-distances ``||z_i - z_i||`` are *excluded*: they say nothing about the
    scale of the data, and with them a fraction ``1/N`` of the values would be zeros (plus
    every pair counted twice), which biases the median down, noticeably so for small
    samples.

    Pools larger than ``max_points`` (2000) are replaced by a random subset of
    ``max_points`` points, drawn with a CPU generator seeded with ``seed``, so the cost
    stays ``O(max_points²)`` and the result is reproducible.

    Parameters
    ----------
    x : Tensor, shape (n, d)
    y : Tensor, shape (m, d), optional
    max_points : int
        Size of the subset used for large pools.
    seed : int
        Seed of the subset draw.

    Returns
    -------
    float
        A positive bandwidth ``σ``, e.g. for :func:`gaussian_kernel`.
    """
    if y is None:
        z = as_float_tensor(x, "x", ndim=2)
        require_finite(z, "x")
    else:
        z = torch.cat(as_two_samples(x, y), dim=0)
    require_int(max_points, "max_points", 2)
    z = z.detach()
    if z.shape[0] < 2:
        raise ValueError("the median heuristic needs at least two points in the pooled sample")
    if z.shape[0] > max_points:
        generator = torch.Generator().manual_seed(int(seed))
        index = torch.randperm(z.shape[0], generator=generator)[:max_points]
        z = z[index.to(z.device)]
    # Squared distances of the i < j pairs (the entries of scipy's pdist, squared); the
    # points are centred first, which keeps the expansion in _sq_dist accurate.
    z = z - z.mean(dim=0)
    n_points = z.shape[0]
    rows, cols = torch.triu_indices(n_points, n_points, offset=1, device=z.device)
    lower, upper = _middle_values(_sq_dist(z, z).take(rows * n_points + cols))
    median = 0.5 * (math.sqrt(lower) + math.sqrt(upper))
    if not median > 0:
        raise ValueError(
            "the median pairwise distance is 0 (most points coincide), so it cannot be used as "
            "a bandwidth; pass a bandwidth explicitly"
        )
    return median


def _middle_values(t: torch.Tensor) -> tuple[float, float]:
    """The two middle values of a 1-D tensor (the same one twice for an odd count).

    ``torch.median`` gives the lower middle value; the upper one is the smallest value
    above it, unless ties make both the same. Their mean is NumPy's median.
    """
    k = t.numel()
    lower = t.median()
    if k % 2 or int((t <= lower).sum()) > k // 2:  # odd count, or a tie across the middle
        return float(lower), float(lower)
    return float(lower), float(torch.where(t > lower, t, torch.inf).min())


def kernel_matrix(
    x,
    y,
    kernel: Union[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = "gaussian",
    bandwidth: Bandwidth | None = None,
    **kwargs,
) -> torch.Tensor:
    """Gram matrix ``K_ij = k(x_i, y_j)`` of a kernel chosen by name, or of a callable.

    Parameters
    ----------
    x : Tensor, shape (n, d)
    y : Tensor, shape (m, d)
    kernel : {"gaussian", "laplace", "imq"} or callable
        A name from :data:`RADIAL_KERNELS`, or a function ``kernel(x, y, **kwargs) -> (n, m)``.
        For ``"imq"`` the bandwidth is the scale ``c`` of
        :func:`inverse_multiquadric_kernel` (``c=`` is accepted too).
    bandwidth : float, sequence of floats or None
        Bandwidth(s) of a named kernel; ``None`` uses :func:`median_heuristic` on the
        pooled ``(x, y)``. Must be ``None`` for a callable (which carries its own).
    **kwargs
        Passed on to a callable kernel (named kernels take none, except ``c`` for "imq").

    Returns
    -------
    Tensor, shape (n, m)
    """
    same = x is y
    x, y = as_two_samples(x, y)
    return resolve_kernel(kernel, bandwidth, x, y, **kwargs).matrix(x, y, same)


# ---------------------------------------------------------------------------------------
# A resolved kernel: what the MMD estimators use (validated once, then no checks).
# ---------------------------------------------------------------------------------------
class RadialKernel:
    """A radial kernel ``Σ_s profile(||a - b||², s)`` with validated, fixed bandwidths."""

    def __init__(self, profile, scales: torch.Tensor):
        self.profile, self.scales = profile, scales

    def matrix(self, a: torch.Tensor, b: torch.Tensor, same: bool = False) -> torch.Tensor:
        """``(len(a), len(b))`` Gram matrix; ``same``: ``a`` and ``b`` are the same points."""
        return _sum_over_scales(_sq_dist(a, b, same), self.scales, self.profile)

    def paired(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``k(a_i, b_i)`` for each row ``i`` of two equally long samples, shape ``(len(a),)``."""
        return _sum_over_scales(((a - b) ** 2).sum(dim=1), self.scales, self.profile)


class CallableKernel:
    """A user's ``kernel(a, b, **kwargs) -> (len(a), len(b))`` with its keyword arguments bound."""

    def __init__(self, function: Callable, kwargs: dict):
        self.function, self.kwargs = function, kwargs

    def matrix(self, a: torch.Tensor, b: torch.Tensor, same: bool = False) -> torch.Tensor:
        """``(len(a), len(b))`` Gram matrix, checked for its shape."""
        out = self.function(a, b, **self.kwargs)
        if not isinstance(out, torch.Tensor) or out.shape != (a.shape[0], b.shape[0]):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(f"a kernel callable must return a tensor of shape ({a.shape[0]}, {b.shape[0]}), "
                             f"got {shape}")
        return out

    def paired(self, a: torch.Tensor, b: torch.Tensor, chunk: int = 256) -> torch.Tensor:
        """``k(a_i, b_i)``: a callable only gives Gram matrices, so the diagonals of small square blocks."""
        return torch.cat([torch.diagonal(self.matrix(a[i:i + chunk], b[i:i + chunk]))
                          for i in range(0, a.shape[0], chunk)])


def resolve_kernel(kernel, bandwidth, x: torch.Tensor, y: torch.Tensor, **kwargs) -> RadialKernel | CallableKernel:
    """Check ``kernel``/``bandwidth`` once and fix the bandwidth (median heuristic on x, y).

    What :mod:`course_lib.mmd`'s estimators evaluate: after this, no more checks per block.
    """
    if callable(kernel):
        if bandwidth is not None:
            raise ValueError("bandwidth must be None for a callable kernel; bind it in the callable")
        return CallableKernel(kernel, kwargs)
    if not isinstance(kernel, str) or kernel not in _PROFILES:
        raise ValueError(f"unknown kernel {kernel!r}: use one of {', '.join(RADIAL_KERNELS)} or a callable")
    if kernel == "imq" and "c" in kwargs:
        if bandwidth is not None:
            raise ValueError("give the IMQ scale either as bandwidth or as c, not both")
        bandwidth = kwargs.pop("c")
    if kwargs:
        raise ValueError(f"unexpected keyword arguments for the {kernel!r} kernel: {sorted(kwargs)}")
    if bandwidth is None:
        bandwidth = median_heuristic(x, y)
    return RadialKernel(_PROFILES[kernel], _scales(bandwidth, "bandwidth", x))
