"""Kernel density estimation (KDE): bandwidth rules, exact blocked log-densities, sampling,
and leave-one-out bandwidth selection.

From points ``x_1..x_n`` in R^d, a kernel ``K`` and a bandwidth matrix ``H`` (the kernel's
scale, a symmetric positive definite ``(d, d)`` matrix), the KDE is

``p̂(y) = 1/n Σ_i K_H(y - x_i)``,   ``K_H(u) = |H|^{-1/2} K(H^{-1/2} u)``.

* Gaussian: ``K_H`` is the density of ``N(0, H)`` — ``H`` is the kernel *covariance*.
* Epanechnikov: ``K_H(u) = c_d |H|^{-1/2} (1 - uᵀH⁻¹u)₊`` with ``c_d = (d + 2) / (2 V_d)`` and
  ``V_d = π^{d/2} / Γ(d/2 + 1)`` the volume of the unit ball; it is zero outside the
  ellipsoid ``uᵀH⁻¹u < 1``. With a scalar ``h`` (``H = h² I``) this is exactly
  scikit-learn's normalised ``kernel="epanechnikov"``. Its covariance is ``H / (d + 4)``.

A scalar bandwidth ``h`` means ``H = h² I`` (scikit-learn's convention); the rules
``"scott"`` and ``"silverman"`` give ``H = factor² Σ̂`` (SciPy's ``gaussian_kde``
convention), see :func:`bandwidth_matrix`.

Everything is computed in log space on the device and in the dtype of the data: the
``(m, n)`` matrix of kernel values between queries and data is never formed whole, only
blocks of at most ``max_block_elements`` entries, whose log-sums are combined with a
running logsumexp.

Examples
--------
>>> g = torch.Generator().manual_seed(0)
>>> x = torch.randn(500, 2, generator=g, dtype=torch.float64)
>>> kde = KernelDensity(bandwidth="scott").fit(x)
>>> kde.log_prob(torch.zeros(1, 2, dtype=torch.float64)).shape
torch.Size([1])
>>> h, scores = select_bandwidth_loo(x, torch.linspace(0.1, 1.0, 10))
"""
from __future__ import annotations

import math
import numbers

import torch

from ._validate import as_float_tensor, make_generator, require_finite, require_int, require_positive

__all__ = [
    "scott_factor",
    "silverman_factor",
    "bandwidth_matrix",
    "KernelDensity",
    "loo_log_likelihood",
    "select_bandwidth_loo",
    "SMOOTHING_KERNELS",
    "RULES",
]

#: Smoothing kernels of :class:`KernelDensity` (densities on R^d, not the Gram-matrix kernels of
#: :mod:`course_lib.kernels`).
SMOOTHING_KERNELS = ("gaussian", "epanechnikov")
RULES = ("scott", "silverman")

#: On a CPU, blocks no larger than this (elements) stay in cache and are the fastest;
#: ``max_block_elements`` remains the hard memory cap on every device.
_CPU_TILE_ELEMENTS = 2**16


# ---------------------------------------------------------------------------------------
# Bandwidth rules
# ---------------------------------------------------------------------------------------
def scott_factor(n: int, d: int) -> float:
    """Scott's rule of thumb, ``n ** (-1 / (d + 4))`` (as ``scipy.stats.gaussian_kde``)."""
    return float(n) ** (-1.0 / (d + 4))


def silverman_factor(n: int, d: int) -> float:
    """Silverman's rule of thumb, ``(n (d + 2) / 4) ** (-1 / (d + 4))`` (as SciPy)."""
    return (n * (d + 2) / 4.0) ** (-1.0 / (d + 4))


_FACTORS = {"scott": scott_factor, "silverman": silverman_factor}


def _rule(rule) -> str:
    if not isinstance(rule, str) or rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    return rule


def _kernel_name(kernel) -> str:
    if not isinstance(kernel, str) or kernel not in SMOOTHING_KERNELS:
        raise ValueError(f"kernel must be one of {SMOOTHING_KERNELS}, got {kernel!r}")
    return kernel


def _data(x, name: str = "x") -> torch.Tensor:
    x = as_float_tensor(x, name, ndim=2)
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"{name} must have at least one point and one feature, got shape {tuple(x.shape)}")
    require_finite(x, name)
    return x


def bandwidth_matrix(x, rule: str = "scott") -> torch.Tensor:
    """Kernel covariance ``H = factor² Σ̂`` of SciPy's ``gaussian_kde`` for a rule of thumb.

    ``Σ̂`` is the unbiased (``ddof=1``) covariance of the data and ``factor`` is
    :func:`scott_factor` or :func:`silverman_factor` of ``(n, d)``: this is
    ``gaussian_kde(x.T, bw_method=rule).covariance``.

    scikit-learn (≥ 1.2) uses the *same factors* but no covariance:
    ``KernelDensity(bandwidth="scott")`` sets the scalar ``bandwidth_ = n ** (-1 / (d + 4))``
    and ``"silverman"`` sets ``bandwidth_ = (n (d + 2) / 4) ** (-1 / (d + 4))``
    (``sklearn/neighbors/_kde.py``, ``fit``), and a scalar bandwidth ``h`` means the
    kernel covariance ``h² I``. So scikit-learn's rule equals ``factor² I`` — SciPy's only
    when the data are whitened (``Σ̂ = I``); on data with unit-free scales (e.g. metres vs
    millimetres) they differ by the whole data covariance. ``KernelDensity(bandwidth=rule)``
    here follows SciPy.

    Parameters
    ----------
    x : Tensor, shape (n, d)
        At least 2 points (the covariance needs ``n - 1 >= 1``), finite.
    rule : {"scott", "silverman"}

    Returns
    -------
    Tensor, shape (d, d)
        On the device and in the dtype of ``x``.
    """
    rule = _rule(rule)
    x = _data(x)
    n, d = x.shape
    if n < 2:
        raise ValueError(f"the {rule!r} rule needs at least 2 points to estimate a covariance, got {n}")
    centred = x - x.mean(dim=0)
    cov = centred.T @ centred / (n - 1)
    return _FACTORS[rule](n, d) ** 2 * cov


def _check_spd(h: torch.Tensor, d: int) -> torch.Tensor:
    """Cholesky factor of a (d, d) symmetric positive definite bandwidth matrix, or a ValueError."""
    if h.shape != (d, d):
        raise ValueError(f"a bandwidth matrix must have shape ({d}, {d}) for {d}-dimensional data, "
                         f"got {tuple(h.shape)}")
    require_finite(h, "bandwidth")
    if not torch.allclose(h, h.T, rtol=1e-10, atol=0.0):
        raise ValueError("bandwidth matrix must be symmetric")
    chol, info = torch.linalg.cholesky_ex(h)
    if int(info) != 0:
        raise ValueError("bandwidth matrix must be positive definite (its Cholesky factorisation failed; "
                         "with a rule of thumb, this means the data covariance is singular)")
    return chol


def _log_norm(kernel: str, d: int, log_det_h: float) -> float:
    """``log`` of the kernel's normalising constant for a bandwidth matrix with ``log|H|``."""
    if kernel == "gaussian":
        return -0.5 * d * math.log(2 * math.pi) - 0.5 * log_det_h
    log_unit_ball = 0.5 * d * math.log(math.pi) - math.lgamma(0.5 * d + 1)
    return math.log((d + 2) / 2.0) - log_unit_ball - 0.5 * log_det_h


# ---------------------------------------------------------------------------------------
# Blocked kernel sums in log space
# ---------------------------------------------------------------------------------------
def _augment(kernel: str, queries: torch.Tensor, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows whose products are the log-kernel argument, in one matmul (whitened inputs).

    Gaussian: ``a_i · b_j = -||y_i - x_j||² / 2 = y·x - ||y||²/2 - ||x||²/2``.
    Epanechnikov: ``a_i · b_j = 1 - ||y_i - x_j||²`` (clamped at 0 afterwards).
    """
    qq = (queries * queries).sum(dim=1, keepdim=True)
    pp = (points * points).sum(dim=1, keepdim=True)
    one_q, one_p = torch.ones_like(qq), torch.ones_like(pp)
    if kernel == "gaussian":
        a = torch.cat([queries, -0.5 * qq, one_q], dim=1)
        b = torch.cat([points, one_p, -0.5 * pp], dim=1)
    else:
        a = torch.cat([2.0 * queries, 1.0 - qq, one_q], dim=1)
        b = torch.cat([points, one_p, -pp], dim=1)
    return a, b


def _block_sides(m: int, n: int, max_elements: int, device: torch.device) -> tuple[int, int]:
    """(query rows, data columns) of a block with at most ``max_elements`` entries."""
    budget = max_elements if device.type != "cpu" else min(max_elements, _CPU_TILE_ELEMENTS)
    cols = min(n, max(1, budget // max(1, min(m, 64))))
    rows = min(m, max(1, budget // cols))
    return rows, cols


def _log_kernel_sums(kernel: str, queries: torch.Tensor, points: torch.Tensor, max_elements: int) -> torch.Tensor:
    """``log Σ_j k(||y_i - x_j||²)`` for whitened inputs, shape (m,), blocked.

    Gaussian blocks are exponentiated directly (every argument is ``<= 0``, so nothing
    overflows); rows whose block sum is below ``sqrt(tiny)`` — far from all the data —
    are recomputed with the usual max shift, so the result never underflows to ``-inf``.
    """
    m, n = queries.shape[0], points.shape[0]
    a, b = _augment(kernel, queries, points)
    rows, cols = _block_sides(m, n, max_elements, queries.device)
    small = math.sqrt(torch.finfo(queries.dtype).tiny)
    out = torch.empty(m, dtype=queries.dtype, device=queries.device)
    col_tiles = [(c, min(c + cols, n)) for c in range(0, n, cols)]
    for r0 in range(0, m, rows):
        r1 = min(r0 + rows, m)
        a_r = a[r0:r1]
        parts = []
        for c0, c1 in col_tiles:
            block = a_r @ b[c0:c1].T
            if kernel == "gaussian":
                total = block.exp_().sum(dim=1)
                low = total < small
                log_total = total.log_()
                if bool(low.any()):
                    again = a_r[low] @ b[c0:c1].T
                    log_total[low] = torch.logsumexp(again, dim=1)
            else:
                log_total = block.clamp_min_(0.0).sum(dim=1).log_()
            parts.append(log_total)
        out[r0:r1] = parts[0] if len(parts) == 1 else torch.logsumexp(torch.stack(parts, dim=1), dim=1)
    return out


# ---------------------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------------------
class KernelDensity:
    """Kernel density estimator with a scalar or full bandwidth matrix (exact, blocked).

    Parameters
    ----------
    bandwidth : {"scott", "silverman"}, float or Tensor of shape (d, d)
        * ``"scott"`` / ``"silverman"``: ``H = factor² Σ̂`` as ``scipy.stats.gaussian_kde``
          (see :func:`bandwidth_matrix`; needs at least 2 points).
        * a positive float ``h``: ``H = h² I``, as ``sklearn.neighbors.KernelDensity``.
        * a symmetric positive definite ``(d, d)`` tensor: the kernel covariance ``H``
          itself (Gaussian) or the ellipsoid ``uᵀH⁻¹u < 1`` of the support (Epanechnikov).
    kernel : {"gaussian", "epanechnikov"}
        See the module docstring for the normalisations; with a scalar ``h`` both equal
        scikit-learn's.
    max_block_elements : int
        The largest block of the query × data kernel matrix held at once (memory cap).
        On a CPU, smaller cache-sized blocks (``2**16`` entries) are used when smaller.

    Attributes
    ----------
    data_ : Tensor, shape (n, d)
        The fitted points.
    bandwidth_ : Tensor, shape (d, d)
        The kernel covariance / shape matrix ``H``.
    factor_ : float or None
        The rule-of-thumb factor, or ``h`` for a scalar bandwidth; ``None`` for a matrix.

    Examples
    --------
    >>> x = torch.randn(1000, 2, dtype=torch.float64)
    >>> kde = KernelDensity(bandwidth=0.3, kernel="epanechnikov").fit(x)
    >>> kde.score(x) > -10
    True
    """

    def __init__(self, bandwidth="scott", kernel: str = "gaussian", max_block_elements: int = 2**22):
        self.bandwidth = bandwidth
        self.kernel = kernel
        self.max_block_elements = max_block_elements

    def __repr__(self) -> str:
        bw = self.bandwidth if not isinstance(self.bandwidth, torch.Tensor) else "Tensor"
        return f"KernelDensity(bandwidth={bw!r}, kernel={self.kernel!r}, max_block_elements={self.max_block_elements})"

    # -- fitting --------------------------------------------------------------------------
    def fit(self, x) -> "KernelDensity":
        """Store the data and resolve the bandwidth matrix ``H``.

        Parameters
        ----------
        x : Tensor, shape (n, d)
            Finite; its device and float dtype are kept for all later computations.

        Returns
        -------
        self
        """
        kernel = _kernel_name(self.kernel)
        mbe = self.max_block_elements
        require_int(mbe, "max_block_elements")
        x = _data(x)
        n, d = x.shape
        bw = self.bandwidth
        if isinstance(bw, str):
            rule = _rule(bw)
            h = bandwidth_matrix(x, rule)
            factor = _FACTORS[rule](n, d)
        elif isinstance(bw, numbers.Real) and not isinstance(bw, bool):
            require_positive(bw, "bandwidth")
            factor = float(bw)
            h = factor**2 * torch.eye(d, dtype=x.dtype, device=x.device)
        elif isinstance(bw, torch.Tensor):
            if bw.ndim == 0:
                require_positive(bw, "bandwidth")
                factor = float(bw)
                h = factor**2 * torch.eye(d, dtype=x.dtype, device=x.device)
            else:
                h = as_float_tensor(bw, "bandwidth", ndim=2, like=x)
                factor = None
        else:
            raise ValueError(f"bandwidth must be 'scott', 'silverman', a positive float or a (d, d) "
                             f"tensor, got {bw!r}")
        chol = _check_spd(h, d)
        self._kernel = kernel
        self.data_ = x
        self.bandwidth_ = h
        self.factor_ = factor
        self._chol = chol
        self._mean = x.mean(dim=0)
        # whitening W = L⁻¹ (H = L Lᵀ): ||W(y - x)||² = (y - x)ᵀ H⁻¹ (y - x)
        eye = torch.eye(d, dtype=x.dtype, device=x.device)
        self._whiten = torch.linalg.solve_triangular(chol, eye, upper=False)
        self._white_data = (x - self._mean) @ self._whiten.T
        log_det = 2.0 * float(torch.log(torch.diagonal(chol)).sum())
        self._log_norm = _log_norm(kernel, d, log_det) - math.log(n)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "data_"):
            raise RuntimeError("this KernelDensity is not fitted yet: call fit first")

    # -- evaluation -----------------------------------------------------------------------
    def log_prob(self, y) -> torch.Tensor:
        """Log-density ``log p̂(y_i)`` of each query point, exact, in log space.

        Parameters
        ----------
        y : Tensor, shape (m, d)
            Moved to the device and dtype of the data.

        Returns
        -------
        Tensor, shape (m,)
            Finite for the Gaussian kernel even far from the data; ``-inf`` outside the
            support of the Epanechnikov kernel.
        """
        self._check_fitted()
        y = as_float_tensor(y, "y", ndim=2, like=self.data_)
        if y.shape[1] != self.data_.shape[1]:
            raise ValueError(f"y must have {self.data_.shape[1]} features (columns) like the fitted data, "
                             f"got shape {tuple(y.shape)}")
        require_finite(y, "y")
        if y.shape[0] == 0:
            return y.new_empty(0)
        white = (y - self._mean) @ self._whiten.T
        sums = _log_kernel_sums(self._kernel, white, self._white_data, self.max_block_elements)
        return sums + self._log_norm

    def score(self, y) -> float:
        """Mean log-density of the points ``y``, shape (m, d)."""
        return float(self.log_prob(y).mean())

    def sample(self, n: int, seed=None) -> torch.Tensor:
        """Draw ``n`` points from the KDE: a uniformly chosen data point plus kernel noise.

        Gaussian noise is ``L z`` with ``z ~ N(0, I)`` and ``H = L Lᵀ`` (Cholesky).
        Epanechnikov noise is ``L z`` with ``z`` the first ``d`` coordinates of a point
        uniform on the unit sphere of ``R^{d+4}`` (a normalised Gaussian vector): that
        projection has density ``∝ (1 - ||z||²)₊`` on the unit ball, the standard
        Epanechnikov kernel (its covariance is ``I / (d + 4)``, so the noise has
        covariance ``H / (d + 4)``).

        Parameters
        ----------
        n : int
        seed : int or None
            Random numbers are drawn on the CPU from this seed (same samples on every
            device), then moved to the data's device.

        Returns
        -------
        Tensor, shape (n, d)
        """
        self._check_fitted()
        n = require_int(n, "n", 0)
        generator = make_generator(seed)
        data = self.data_
        count, d = data.shape
        index = torch.randint(count, (int(n),), generator=generator)
        if self._kernel == "gaussian":
            z = torch.randn(int(n), d, generator=generator, dtype=data.dtype)
        else:
            g = torch.randn(int(n), d + 4, generator=generator, dtype=data.dtype)
            z = (g / g.norm(dim=1, keepdim=True))[:, :d]
        z = z.to(data.device)
        return data[index.to(data.device)] + z @ self._chol.T


# ---------------------------------------------------------------------------------------
# Leave-one-out bandwidth selection
# ---------------------------------------------------------------------------------------
def _bandwidths(bandwidth, like: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """(1-D tensor of positive bandwidths, whether a scalar was given)."""
    if isinstance(bandwidth, bool) or bandwidth is None or isinstance(bandwidth, str):
        raise ValueError(f"bandwidth must be a positive number or a 1-D tensor of them, got {bandwidth!r}")
    if isinstance(bandwidth, numbers.Real):
        require_positive(bandwidth, "bandwidth")
        return torch.tensor([float(bandwidth)], dtype=like.dtype, device=like.device), True
    t = as_float_tensor(bandwidth, "bandwidth", like=like)
    scalar = t.ndim == 0
    t = t.reshape(1) if scalar else t
    if t.ndim != 1 or t.numel() == 0:
        raise ValueError(f"bandwidth must be a number or a non-empty 1-D tensor, got shape {tuple(t.shape)}")
    require_positive(t, "bandwidth")
    return t, scalar


def loo_log_likelihood(x, bandwidth, kernel: str = "gaussian", *, max_block_elements: int = 2**22):
    """Mean leave-one-out log-likelihood ``1/n Σ_i log p̂_{-i}(x_i)`` of a scalar bandwidth.

    ``p̂_{-i}(x_i) = 1/(n-1) Σ_{j≠i} K_h(x_i - x_j)`` is the KDE of the other ``n - 1``
    points (kernel covariance ``h² I`` as in :class:`KernelDensity`). For several bandwidths
    the squared distances of each block of rows are computed once and reused for all.

    With the Epanechnikov kernel, a point with no other point closer than ``h`` has
    ``p̂_{-i}(x_i) = 0``, so the score is ``-inf`` (such a bandwidth is too small).

    Parameters
    ----------
    x : Tensor, shape (n, d)
        At least 2 points.
    bandwidth : float or Tensor, shape (k,)
    kernel : {"gaussian", "epanechnikov"}
    max_block_elements : int
        Largest block of the ``(n, n)`` distance matrix held at once.

    Returns
    -------
    float for a scalar bandwidth, else Tensor of shape (k,) (on ``x``'s device and dtype).
    """
    kernel = _kernel_name(kernel)
    x = _data(x)
    n, d = x.shape
    if n < 2:
        raise ValueError(f"leave-one-out needs at least 2 points, got {n}")
    hs, scalar = _bandwidths(bandwidth, x)
    xc = x - x.mean(dim=0)
    sq = (xc * xc).sum(dim=1, keepdim=True)
    ones = torch.ones_like(sq)
    a = torch.cat([xc, -0.5 * sq, ones], dim=1)    # a_i · b_j = -||x_i - x_j||² / 2
    b = torch.cat([xc, ones, -0.5 * sq], dim=1)
    rows = max(1, min(n, max_block_elements // n))
    log_h = torch.log(hs)
    if kernel == "gaussian":
        norm = -0.5 * d * math.log(2 * math.pi) - d * log_h - math.log(n - 1)
    else:
        norm = _log_norm("epanechnikov", d, 0.0) - d * log_h - math.log(n - 1)
    total = torch.zeros_like(hs)
    for r0 in range(0, n, rows):
        r1 = min(r0 + rows, n)
        half_d2 = (a[r0:r1] @ b.T).clamp_max_(0.0)  # -||x_i - x_j||² / 2
        idx = torch.arange(r0, r1, device=x.device)
        for k in range(hs.numel()):
            if kernel == "gaussian":
                arg = half_d2 / hs[k] ** 2
                arg[idx - r0, idx] = -math.inf
                log_sum = torch.logsumexp(arg, dim=1)
            else:
                val = (1.0 + 2.0 * half_d2 / hs[k] ** 2).clamp_min_(0.0)
                val[idx - r0, idx] = 0.0
                log_sum = val.sum(dim=1).log_()
            total[k] += log_sum.sum()
    scores = total / n + norm
    return float(scores[0]) if scalar else scores


def select_bandwidth_loo(x, grid, kernel: str = "gaussian", *, max_block_elements: int = 2**22):
    """The bandwidth of ``grid`` with the largest leave-one-out log-likelihood.

    Parameters
    ----------
    x : Tensor, shape (n, d)
    grid : sequence or Tensor of positive bandwidths, shape (k,)
    kernel : {"gaussian", "epanechnikov"}

    Returns
    -------
    best_bandwidth : float
    scores : Tensor, shape (k,)
        :func:`loo_log_likelihood` at every grid point (the first maximum wins ties).
    """
    x = _data(x)
    if not isinstance(grid, torch.Tensor):
        try:
            grid = torch.as_tensor([float(g) for g in grid], dtype=x.dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"grid must be a sequence of positive bandwidths, got {grid!r}") from exc
    grid = as_float_tensor(grid, "grid", like=x)
    if grid.ndim != 1 or grid.numel() == 0:
        raise ValueError(f"grid must be a non-empty 1-D sequence of bandwidths, got shape {tuple(grid.shape)}")
    scores = loo_log_likelihood(x, grid, kernel, max_block_elements=max_block_elements)
    best = int(torch.argmax(scores))  # -inf scores never win unless all are -inf
    return float(grid[best]), scores
