"""Maximum mean discrepancy (MMD): estimators and the kernel two-sample permutation test.

For a kernel ``k`` with feature map ``φ``, the squared MMD between distributions ``P`` and
``Q`` is the squared distance of their mean embeddings,

``MMD²(P, Q) = ||E_P φ(x) - E_Q φ(y)||² = E k(x, x') + E k(y, y') - 2 E k(x, y)``,

which is zero exactly when ``P = Q`` for a characteristic kernel (Gaussian, Laplace, IMQ).
From samples ``x_1..x_n ~ P`` and ``y_1..y_m ~ Q`` (Gretton et al., "A kernel two-sample
test", JMLR 2012):

* :func:`mmd2` — the unbiased U-statistic (eq. 3) or the biased V-statistic, computed in
  blocks so that memory stays bounded for large samples; differentiable, so it can be the
  loss of a generator (:mod:`course_lib.mmd_net`).
* :func:`mmd2_linear` — the linear-time estimator (section 6), for streams of pairs.
* :func:`mmd_permutation_test` — the two-sample test, with every permutation evaluated by
  batched matrix products on one pooled kernel matrix.

Examples
--------
>>> g = torch.Generator().manual_seed(0)
>>> x = torch.randn(200, 3, generator=g)
>>> y = torch.randn(200, 3, generator=g) + 0.5
>>> mmd2(x, y) > 0
tensor(True)
>>> mmd_permutation_test(x, y, n_permutations=200, seed=0).reject
True
"""
from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import torch
from torch.utils.checkpoint import checkpoint

from ._validate import make_generator, require_int
from .kernels import as_two_samples, resolve_kernel

__all__ = ["mmd2", "mmd2_linear", "mmd_permutation_test", "MMDTestResult"]

#: Default memory budgets of :func:`mmd2` (the largest kernel block, in elements): on a CPU,
#: blocks that fit in cache are fastest; on a GPU, large blocks mean few kernel launches.
MAX_BLOCK_ELEMENTS_CPU = 2**20
MAX_BLOCK_ELEMENTS_GPU = 2**24


class MMDTestResult(NamedTuple):
    """Result of :func:`mmd_permutation_test`.

    Attributes
    ----------
    statistic : float
        MMD² estimate on the observed split of the pooled sample.
    p_value : float
        ``(1 + #{b : null_statistics[b] >= statistic}) / (1 + B)``.
    reject : bool
        ``p_value <= alpha``: the test rejects ``P = Q`` at level ``alpha``.
    null_statistics : Tensor, shape (B,)
        The statistic on each of the ``B`` random re-splits (the permutation null
        distribution), on the input's device and in its dtype.
    """

    statistic: float
    p_value: float
    reject: bool
    null_statistics: torch.Tensor


# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------
def _estimator(estimator) -> bool:
    """True for "unbiased", False for "biased"."""
    if estimator not in ("unbiased", "biased"):
        raise ValueError(f"estimator must be 'unbiased' or 'biased', got {estimator!r}")
    return estimator == "unbiased"


def _check_sizes(x: torch.Tensor, y: torch.Tensor, unbiased: bool) -> None:
    smallest = 2 if unbiased else 1
    for name, t in (("x", x), ("y", y)):
        if t.shape[0] < smallest:
            why = " for the unbiased estimator (it averages over pairs i != j)" if unbiased else ""
            raise ValueError(f"{name} must contain at least {smallest} samples{why}, got {t.shape[0]}")


# ---------------------------------------------------------------------------------------
# Blocked kernel sums
# ---------------------------------------------------------------------------------------
def _tiles(n: int, side: int) -> list[tuple[int, int]]:
    """Split ``range(n)`` into equally long consecutive pieces of at most ``side``."""
    count = -(-n // side)
    step = -(-n // count)
    return [(i, min(i + step, n)) for i in range(0, n, step)]


def _tile_sum(kernel, a: torch.Tensor, b: torch.Tensor, same: bool, drop_diagonal: bool) -> torch.Tensor:
    """Sum of one kernel block; ``same``: ``a`` and ``b`` are the same points."""
    block = kernel.matrix(a, b, same)
    total = block.sum()
    if drop_diagonal:
        total = total - torch.diagonal(block).sum()
    return total


def _kernel_sum(kernel, a: torch.Tensor, b: torch.Tensor | None, max_elements: int,
                drop_diagonal: bool = False) -> torch.Tensor:
    """``Σ_ij k(a_i, b_j)`` without forming any block larger than ``max_elements``.

    ``b=None`` means ``b = a``: then only the tiles on and above the diagonal are computed
    (the Gram matrix is symmetric) and ``drop_diagonal`` leaves out the ``k(a_i, a_i)``.
    With gradients, each tile is checkpointed so the backward pass is bounded too.
    """
    symmetric = b is None
    b = a if symmetric else b
    if a.shape[0] * b.shape[0] <= max_elements:
        return _tile_sum(kernel, a, b, symmetric, symmetric and drop_diagonal)
    side = max(1, math.isqrt(max_elements))
    rows, cols = _tiles(a.shape[0], side), _tiles(b.shape[0], side)
    grad = torch.is_grad_enabled() and (a.requires_grad or b.requires_grad)
    parts = []
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            if symmetric and j < i:
                continue
            diagonal = symmetric and i == j
            args = (kernel, a[r0:r1], b[c0:c1], diagonal, diagonal and drop_diagonal)
            s = checkpoint(_tile_sum, *args, use_reentrant=False) if grad else _tile_sum(*args)
            parts.append(2 * s if symmetric and j > i else s)
    return torch.stack(parts).sum()


# ---------------------------------------------------------------------------------------
# Estimators
# ---------------------------------------------------------------------------------------
def mmd2(
    x,
    y,
    kernel="gaussian",
    bandwidth=None,
    estimator: str = "unbiased",
    *,
    max_block_elements: int | None = None,
) -> torch.Tensor:
    """Squared maximum mean discrepancy between the samples ``x`` and ``y``.

    With ``K^{xx}_ij = k(x_i, x_j)``, ``K^{yy}``, ``K^{xy}`` the kernel matrices:

    * ``"unbiased"`` (Gretton et al. 2012, eq. 3), a U-statistic that leaves out the
      diagonals ``k(x_i, x_i)``, ``k(y_j, y_j)``::

          1/(n(n-1)) Σ_{i≠j} K^{xx}_ij + 1/(m(m-1)) Σ_{i≠j} K^{yy}_ij - 2/(nm) Σ_ij K^{xy}_ij

      Its expectation is exactly ``MMD²(P, Q)``; it can be negative when ``P = Q``.
    * ``"biased"``, the V-statistic ``mean(K^{xx}) + mean(K^{yy}) - 2 mean(K^{xy})``:
      the MMD² between the two empirical distributions, always ``>= 0``.

    The sums are accumulated over blocks of at most ``max_block_elements`` kernel entries
    (using the symmetry of ``K^{xx}`` and ``K^{yy}``), one at a time: 10,000 vs 10,000
    points need one 8 MB block at a time (float64, default CPU budget ``2**20``) instead of
    three 800 MB matrices, and small blocks that stay in cache are also the fastest on a
    CPU. The result is differentiable with respect to ``x`` and ``y`` (with several blocks,
    each is recomputed in the backward pass rather than stored) and stays on their device
    and in their dtype.

    Parameters
    ----------
    x : Tensor, shape (n, d)
    y : Tensor, shape (m, d)
        ``n`` and ``m`` may differ; ``y`` is moved to the device/dtype of ``x``.
    kernel : {"gaussian", "laplace", "imq"} or callable
        See :func:`course_lib.kernels.kernel_matrix`. A callable must be symmetric.
    bandwidth : float, sequence of floats or None
        ``None``: the median heuristic on the pooled sample, treated as a constant.
    estimator : {"unbiased", "biased"}
    max_block_elements : int, optional
        Memory budget: the largest kernel block computed at once. Default: ``2**20``
        on a CPU (cache-sized blocks), ``2**24`` on other devices (few kernel launches).

    Returns
    -------
    Tensor, shape ()
    """
    x, y = as_two_samples(x, y)
    unbiased = _estimator(estimator)
    _check_sizes(x, y, unbiased)
    if max_block_elements is None:
        max_block_elements = MAX_BLOCK_ELEMENTS_CPU if x.device.type == "cpu" else MAX_BLOCK_ELEMENTS_GPU
    max_block_elements = require_int(max_block_elements, "max_block_elements")
    k = resolve_kernel(kernel, bandwidth, x, y)
    n, m = x.shape[0], y.shape[0]
    s_xx = _kernel_sum(k, x, None, max_block_elements, drop_diagonal=unbiased)
    s_yy = _kernel_sum(k, y, None, max_block_elements, drop_diagonal=unbiased)
    s_xy = _kernel_sum(k, x, y, max_block_elements)
    if unbiased:
        return s_xx / (n * (n - 1)) + s_yy / (m * (m - 1)) - s_xy * (2.0 / (n * m))
    return s_xx / (n * n) + s_yy / (m * m) - s_xy * (2.0 / (n * m))


def mmd2_linear(x, y, kernel="gaussian", bandwidth=None) -> torch.Tensor:
    """Linear-time unbiased MMD² estimate (Gretton et al. 2012, section 6).

    The samples are cut into ``p = ⌊n/2⌋`` disjoint pairs ``(x_{2i-1}, x_{2i})``,
    ``(y_{2i-1}, y_{2i})`` (a last odd point is dropped) and

    ``MMD²_l = 1/p Σ_i [k(x_{2i-1}, x_{2i}) + k(y_{2i-1}, y_{2i})
    - k(x_{2i-1}, y_{2i}) - k(x_{2i}, y_{2i-1})]``.

    It costs ``O(n)`` kernel evaluations and memory instead of ``O(n²)``, at the price of a
    much larger variance than :func:`mmd2`.

    Parameters
    ----------
    x, y : Tensor, shape (n, d)
        Equally many samples, ``n >= 2``.
    kernel, bandwidth
        As in :func:`mmd2`.

    Returns
    -------
    Tensor, shape ()
    """
    x, y = as_two_samples(x, y)
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"the linear-time estimator pairs x_i with y_i, so x and y need the same number "
            f"of samples; got {x.shape[0]} and {y.shape[0]}"
        )
    _check_sizes(x, y, unbiased=True)
    k = resolve_kernel(kernel, bandwidth, x, y)
    p = x.shape[0] // 2
    x1, x2, y1, y2 = x[0:2 * p:2], x[1:2 * p:2], y[0:2 * p:2], y[1:2 * p:2]
    h = k.paired(x1, x2) + k.paired(y1, y2) - k.paired(x1, y2) - k.paired(x2, y1)
    return h.mean()


# ---------------------------------------------------------------------------------------
# Permutation test
# ---------------------------------------------------------------------------------------
class _PooledGram(NamedTuple):
    """The pooled, double-centred kernel matrix of a permutation test and its fixed sums."""

    K: torch.Tensor          # (N, N)
    row_sums: torch.Tensor   # (N,)  K 1
    diagonal: torch.Tensor   # (N,)  diag K
    total: torch.Tensor      # ()    1ᵀ K 1
    trace: torch.Tensor      # ()    tr K
    n: int                   # points that go to x in every split
    m: int                   # points that go to y
    unbiased: bool

    @classmethod
    def of(cls, K: torch.Tensor, n: int, m: int, unbiased: bool) -> "_PooledGram":
        row_sums, diagonal = K.sum(dim=1), torch.diagonal(K).clone()
        return cls(K, row_sums, diagonal, row_sums.sum(), diagonal.sum(), n, m, unbiased)

    def split_statistics(self, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """MMD² of the splits given by the rows of the 0/1 matrix ``a (B, N)`` (1 = "in x").

        With ``b = 1 - a``: ``Sxx = aᵀKa``, ``Sxy = aᵀK1 - aᵀKa``,
        ``Syy = 1ᵀK1 - 2aᵀK1 + aᵀKa``: one ``(B, N) @ (N, N)`` product does all ``B`` splits.
        Also returns the size of the three terms, ``|t_xx| + |t_yy| + |t_xy|``, which bounds
        the round-off of their difference.
        """
        n, m = self.n, self.m
        s_xx = (a @ self.K).mul_(a).sum(dim=1)
        r = a @ self.row_sums
        s_xy = r - s_xx
        s_yy = self.total - 2 * r + s_xx
        if self.unbiased:
            d_x = a @ self.diagonal
            s_xx, s_yy = s_xx - d_x, s_yy - (self.trace - d_x)
            t_xx, t_yy = s_xx / (n * (n - 1)), s_yy / (m * (m - 1))
        else:
            t_xx, t_yy = s_xx / (n * n), s_yy / (m * m)
        t_xy = s_xy * (2.0 / (n * m))
        return t_xx + t_yy - t_xy, t_xx.abs() + t_yy.abs() + t_xy.abs()


#: Null statistics within ``TIE_ULPS`` units of round-off of the observed one count as ties
#: (``>=``). Two splits that give the same MMD² exactly (e.g. when x and y share points, swapping
#: a shared pair changes the 0/1 vector but not the statistic) are evaluated by different sums
#: and differ by round-off: at most 5.3 ``eps * scale`` (``scale`` = the size of the three terms),
#: measured for N = 100 to 6,000 in float32 and float64 (tests/test_kernels_mmd.py). Without the
#: tolerance such ties would count as "below" at random and make the p-value too small; 64 leaves
#: a 12-fold margin and is still far below any real difference between splits.
TIE_ULPS = 64


def _double_centre(K: torch.Tensor) -> torch.Tensor:
    """``HKH`` with ``H = I - 11ᵀ/N``, symmetrised; overwrites ``K``.

    Both estimators are unchanged by ``K_ij -> K_ij + u_i + u_j`` (a short calculation:
    the added terms cancel between the xx, yy and xy parts), so the centred matrix gives
    the same statistics. Its entries are small and of both signs, which keeps the
    quadratic forms of :meth:`_PooledGram.split_statistics` accurate even in float32.
    """
    K = K.add_(K.T.clone()).mul_(0.5)  # exactly symmetric, whatever the kernel's round-off
    row_means = K.mean(dim=1)
    grand_mean = row_means.mean()
    return K.sub_(row_means[:, None]).sub_(row_means[None, :]).add_(grand_mean)


def mmd_permutation_test(
    x,
    y,
    n_permutations: int = 1000,
    alpha: float = 0.05,
    kernel="gaussian",
    bandwidth=None,
    estimator: str = "unbiased",
    seed: int | None = None,
    *,
    max_block_elements: int = 2**24,
) -> MMDTestResult:
    """Kernel two-sample test of ``H0: P = Q`` with a permutation null distribution.

    Under ``H0`` the pooled sample ``z = (x_1..x_n, y_1..y_m)`` is exchangeable, so the
    MMD² of a random re-split into ``n`` and ``m`` points has the same distribution as the
    observed one. The test draws ``B = n_permutations`` random permutations and returns

    ``p = (1 + #{b : MMD²_b >= MMD²_obs}) / (1 + B)``,

    a valid p-value for any ``B`` (``P(p <= alpha) <= alpha`` under ``H0``); it rejects
    when ``p <= alpha``. Ties up to floating-point round-off count as ``>=``.

    The pooled kernel matrix ``K`` (``N × N``, ``N = n + m``) is computed once, with the
    bandwidth fixed beforehand (median heuristic on the pooled sample when ``None``), and
    double-centred (which changes no statistic but improves round-off). Each
    permutation is a 0/1 row vector ``a`` marking the points that go to ``x``; all MMD²
    statistics are quadratic forms in ``a`` and are evaluated for a whole batch of
    permutations with one matrix product ``A @ K``. Batches have at most
    ``max_block_elements // N`` permutations; ``K`` itself needs ``N²`` elements.

    Permutation ``b`` is the ``b``-th call of ``torch.randperm(N, generator=g)`` on a
    CPU generator ``g = torch.Generator().manual_seed(seed)``; its first ``n`` entries
    index the new ``x``. So results are reproducible on every device.

    Parameters
    ----------
    x : Tensor, shape (n, d)
    y : Tensor, shape (m, d)
    n_permutations : int
        Number ``B >= 1`` of random permutations.
    alpha : float
        Level of the test, in (0, 1).
    kernel, bandwidth, estimator
        As in :func:`mmd2`.
    seed : int or None
        Seed of the permutations; ``None`` draws fresh ones every call.
    max_block_elements : int
        Memory budget for a batch of permutations.

    Returns
    -------
    MMDTestResult
        ``(statistic, p_value, reject, null_statistics)``.
    """
    x, y = as_two_samples(x, y)
    unbiased = _estimator(estimator)
    _check_sizes(x, y, unbiased)
    n_permutations = require_int(n_permutations, "n_permutations")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}")
    max_block_elements = require_int(max_block_elements, "max_block_elements")
    generator = make_generator(seed)

    n, m = x.shape[0], y.shape[0]
    N = n + m
    with torch.no_grad():
        x, y = x.detach(), y.detach()
        k = resolve_kernel(kernel, bandwidth, x, y)
        z = torch.cat([x, y], dim=0)
        K = k.matrix(z, z, same=True)
        gram = _PooledGram.of(_double_centre(K), n, m, unbiased)

        observed_split = torch.zeros(1, N, dtype=K.dtype, device=K.device)
        observed_split[0, :n] = 1
        observed, scale = gram.split_statistics(observed_split)
        tolerance = TIE_ULPS * torch.finfo(K.dtype).eps * scale

        batch = max(1, max_block_elements // N)
        null = []
        for start in range(0, n_permutations, batch):
            size = min(batch, n_permutations - start)
            perms = torch.stack([torch.randperm(N, generator=generator) for _ in range(size)])
            splits = torch.zeros(size, N, dtype=K.dtype, device=K.device)
            splits.scatter_(1, perms[:, :n].to(K.device), 1.0)
            null.append(gram.split_statistics(splits)[0])
        null = torch.cat(null)
        exceed = int((null >= observed - tolerance).sum())
    p_value = (1 + exceed) / (1 + n_permutations)
    return MMDTestResult(float(observed), p_value, p_value <= alpha, null)
