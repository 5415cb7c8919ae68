"""Two-dimensional toy distributions for generative models.

Each sampler returns a ``(n, 2)`` tensor and is reproducible through ``seed``: it draws from
its own ``torch.Generator`` and never touches PyTorch's global random state. Sampling always
happens on the CPU (so a seed gives the same points on every machine) and the result is then
moved to ``device``.

The mode centres of the two mixtures are available separately (:func:`ring_centres`,
:func:`grid_centres`) for mode-coverage metrics, e.g. counting how many modes a GAN hits.

Examples
--------
>>> x = ring_of_gaussians(1000, seed=0)
>>> x.shape
torch.Size([1000, 2])
"""
from __future__ import annotations

import math

import torch

from .._validate import make_generator, require_float_dtype, require_int, require_real

__all__ = [
    "ring_centres",
    "grid_centres",
    "ring_of_gaussians",
    "grid_of_gaussians",
    "two_moons",
    "swiss_roll",
]


def _finish(x: torch.Tensor, dtype, device) -> torch.Tensor:
    return x.to(dtype=dtype, device=device)


# ---------------------------------------------------------------------------------------
# Mode centres
# ---------------------------------------------------------------------------------------
def ring_centres(
    n_modes: int = 8,
    radius: float = 2.0,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Centres of ``n_modes`` equally spaced points on a circle.

    Centre ``k`` is ``radius * (cos θ_k, sin θ_k)`` with ``θ_k = 2πk / n_modes``.

    Parameters
    ----------
    n_modes : int
        Number of modes ``K`` (positive).
    radius : float
        Radius of the circle (positive).
    dtype, device
        Floating-point dtype and device of the result.

    Returns
    -------
    Tensor of shape (K, 2)
    """
    n_modes = require_int(n_modes, "n_modes")
    radius = require_real(radius, "radius", positive=True)
    dtype = require_float_dtype(dtype)
    theta = 2 * math.pi * torch.arange(n_modes, dtype=torch.float64) / n_modes
    centres = radius * torch.stack([torch.cos(theta), torch.sin(theta)], dim=1)
    return _finish(centres, dtype, device)


def grid_centres(
    grid_size: int = 5,
    spacing: float = 2.0,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Centres of a ``grid_size × grid_size`` square grid centred on the origin.

    With the defaults the coordinates are ``{-4, -2, 0, 2, 4}``: the classic 25-Gaussian grid.

    Parameters
    ----------
    grid_size : int
        Number of modes per side ``G`` (positive).
    spacing : float
        Distance between neighbouring modes (positive).
    dtype, device
        Floating-point dtype and device of the result.

    Returns
    -------
    Tensor of shape (G², 2)
        Row-major order: the first coordinate varies slowest.
    """
    grid_size = require_int(grid_size, "grid_size")
    spacing = require_real(spacing, "spacing", positive=True)
    dtype = require_float_dtype(dtype)
    ticks = (torch.arange(grid_size, dtype=torch.float64) - (grid_size - 1) / 2) * spacing
    a, b = torch.meshgrid(ticks, ticks, indexing="ij")
    centres = torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)
    return _finish(centres, dtype, device)


# ---------------------------------------------------------------------------------------
# Samplers
# ---------------------------------------------------------------------------------------
def _mixture(centres: torch.Tensor, n: int, std: float, generator: torch.Generator):
    """``n`` points from an equal-weight isotropic Gaussian mixture with the given centres."""
    k = torch.randint(len(centres), (n,), generator=generator)
    noise = torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return centres[k] + std * noise


def ring_of_gaussians(
    n: int,
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.02,
    seed: int | None = None,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Sample a mixture of ``n_modes`` Gaussians placed evenly on a circle.

    Each point picks a mode uniformly at random and adds isotropic noise ``N(0, std² I)``
    to its centre (see :func:`ring_centres`).

    Parameters
    ----------
    n : int
        Number of points.
    n_modes : int
        Number of mixture components ``K``.
    radius : float
        Radius of the circle of centres.
    std : float
        Standard deviation of each component (non-negative).
    seed : int or None
        Seed of the local random generator; ``None`` gives different points each call.
    dtype, device
        Floating-point dtype and device of the result.

    Returns
    -------
    Tensor of shape (n, 2)
    """
    n = require_int(n, "n")
    std = require_real(std, "std")
    centres = ring_centres(n_modes, radius, dtype=torch.float64)
    dtype = require_float_dtype(dtype)
    return _finish(_mixture(centres, n, std, make_generator(seed)), dtype, device)


def grid_of_gaussians(
    n: int,
    grid_size: int = 5,
    spacing: float = 2.0,
    std: float = 0.05,
    seed: int | None = None,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Sample a mixture of ``grid_size²`` Gaussians on a square grid centred on the origin.

    Parameters
    ----------
    n : int
        Number of points.
    grid_size : int
        Modes per side ``G``; the mixture has ``G²`` components (see :func:`grid_centres`).
    spacing : float
        Distance between neighbouring centres.
    std : float
        Standard deviation of each component (non-negative).
    seed : int or None
        Seed of the local random generator.
    dtype, device
        Floating-point dtype and device of the result.

    Returns
    -------
    Tensor of shape (n, 2)
    """
    n = require_int(n, "n")
    std = require_real(std, "std")
    centres = grid_centres(grid_size, spacing, dtype=torch.float64)
    dtype = require_float_dtype(dtype)
    return _finish(_mixture(centres, n, std, make_generator(seed)), dtype, device)


def two_moons(
    n: int,
    noise: float = 0.1,
    seed: int | None = None,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Sample two interleaving half circles (the geometry of scikit-learn's ``make_moons``).

    The upper moon is ``(cos t, sin t)`` and the lower one ``(1 - cos t, 0.5 - sin t)``, with
    ``t ~ U(0, π)``; ``⌊n/2⌋`` points lie on the upper moon. Gaussian noise of standard
    deviation ``noise`` is added to every coordinate. Points lie roughly in
    ``[-1, 2] × [-0.5, 1]``.

    Parameters
    ----------
    n : int
        Number of points.
    noise : float
        Standard deviation of the added Gaussian noise (non-negative).
    seed : int or None
        Seed of the local random generator.
    dtype, device
        Floating-point dtype and device of the result.

    Returns
    -------
    Tensor of shape (n, 2)
        Points in random order (the moon of a point is not returned).
    """
    n = require_int(n, "n")
    noise = require_real(noise, "noise")
    dtype = require_float_dtype(dtype)
    generator = make_generator(seed)
    t = math.pi * torch.rand(n, generator=generator, dtype=torch.float64)
    upper = torch.arange(n) < n // 2
    upper = upper[torch.randperm(n, generator=generator)]
    x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
    y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
    points = torch.stack([x, y], dim=1)
    points = points + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return _finish(points, dtype, device)


def swiss_roll(
    n: int,
    noise: float = 0.25,
    seed: int | None = None,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Sample a 2-D Swiss roll (a noisy spiral).

    With ``t = 1.5π (1 + 2u)``, ``u ~ U(0, 1)``, the points are ``(t cos t, t sin t)`` plus
    Gaussian noise of standard deviation ``noise`` — the x/z plane of scikit-learn's
    ``make_swiss_roll``. Coordinates lie roughly in ``[-10, 13] × [-12, 15]``; standardise
    them before training if your model expects unit scale.

    Parameters
    ----------
    n : int
        Number of points.
    noise : float
        Standard deviation of the added Gaussian noise (non-negative).
    seed : int or None
        Seed of the local random generator.
    dtype, device
        Floating-point dtype and device of the result.

    Returns
    -------
    Tensor of shape (n, 2)
    """
    n = require_int(n, "n")
    noise = require_real(noise, "noise")
    dtype = require_float_dtype(dtype)
    generator = make_generator(seed)
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator, dtype=torch.float64))
    points = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
    points = points + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return _finish(points, dtype, device)
