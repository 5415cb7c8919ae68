"""Gaussian mixture models fitted by expectation–maximisation (EM).

A mixture of ``K`` Gaussians has the density

``p(x) = Σ_k π_k N(x | μ_k, Σ_k)``,

with mixing weights ``π`` (``weights_``), means ``μ_k`` (``means_``) and covariances
``Σ_k`` (``covariances_``). EM alternates

* the **E-step**: responsibilities ``r_ik = π_k N(x_i | μ_k, Σ_k) / p(x_i)``, computed in
  log space with ``logsumexp`` through the Cholesky factors ``P_k`` of the precisions
  (``Σ_k^{-1} = P_k P_k^T``), so that ``log N(x | μ_k, Σ_k) = -½ ||P_k^T (x - μ_k)||²
  + Σ_j log (P_k)_jj - d/2 log 2π``; all components at once, by one matrix product;
* the **M-step**: ``N_k = Σ_i r_ik``, ``π_k = N_k / n``, ``μ_k = Σ_i r_ik x_i / N_k``,
  ``Σ_k = Σ_i r_ik (x_i - μ_k)(x_i - μ_k)^T / N_k + reg_covar · I``.

Each iteration cannot decrease the mean log-likelihood ``1/n Σ_i log p(x_i)`` (the
"lower bound" of scikit-learn, recorded in ``history_``). :class:`GaussianMixture` follows
the loop of :class:`sklearn.mixture.GaussianMixture` step by step, so that both give the
same numbers when started from the same parameters, and works on whatever device and in
whatever floating dtype the data are.

Examples
--------
>>> from course_lib.data import load_old_faithful
>>> x = torch.as_tensor(load_old_faithful())
>>> gmm = GaussianMixture(2, seed=0).fit(x)
>>> gmm.means_.shape, gmm.covariances_.shape
(torch.Size([2, 2]), torch.Size([2, 2, 2]))
>>> bool(torch.all(torch.diff(torch.tensor(gmm.history_)) >= -1e-12))
True
"""
from __future__ import annotations

import math
import numbers

import torch

from ._validate import as_float_tensor, make_generator, require_finite, require_int, require_real

__all__ = ["GaussianMixture", "COVARIANCE_TYPES", "INIT_PARAMS"]

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")
INIT_PARAMS = ("kmeans++", "random")
LOG_2PI = math.log(2.0 * math.pi)

#: Largest temporary block (in elements) of the E- and M-steps: rows of ``x`` are processed
#: in chunks so that the ``(rows, K·d)`` and ``(rows, d·d)`` intermediates stay in cache.
MAX_BLOCK_ELEMENTS = 2**19

#: "full" fits whose design matrix ``[x_i x_i^T (upper triangle), x_i, 1]`` has at most this
#: many elements keep it for the whole fit, and both EM steps become one matrix product each.
MAX_DESIGN_ELEMENTS = 2**25
DESIGN_CHUNK_CPU = 4096


# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------


def _row_chunks(n: int, width: int) -> list[tuple[int, int]]:
    step = max(1, MAX_BLOCK_ELEMENTS // max(1, width))
    return [(i, min(i + step, n)) for i in range(0, n, step)]


# ---------------------------------------------------------------------------------------
# The two steps, as functions of the parameters (batched over components)
# ---------------------------------------------------------------------------------------
def _log_det_cholesky(precisions_cholesky: torch.Tensor, covariance_type: str, d: int) -> torch.Tensor:
    """``log det P_k`` (= ``-½ log det Σ_k``): shape (K,), or () for "tied"."""
    if covariance_type == "full":
        return torch.log(torch.diagonal(precisions_cholesky, dim1=-2, dim2=-1)).sum(-1)
    if covariance_type == "tied":
        return torch.log(torch.diagonal(precisions_cholesky)).sum()
    if covariance_type == "diag":
        return torch.log(precisions_cholesky).sum(-1)
    return d * torch.log(precisions_cholesky)


def _log_gaussian_prob(x, means, precisions_cholesky, covariance_type) -> torch.Tensor:
    """``log N(x_i | μ_k, Σ_k)`` for all points and components, shape (n, K)."""
    n, d = x.shape
    K = means.shape[0]
    log_det = _log_det_cholesky(precisions_cholesky, covariance_type, d)
    if covariance_type in ("full", "tied"):
        # y_ik = P_k^T x_i - P_k^T μ_k for all k at once: x @ [P_1 … P_K] minus a row vector.
        if covariance_type == "full":
            p_all = precisions_cholesky.permute(1, 0, 2).reshape(d, K * d)    # column block k = P_k
            shift = torch.einsum("kd,kde->ke", means, precisions_cholesky).reshape(K * d)
        else:
            p_all = precisions_cholesky
            shift = None
        maha = x.new_empty(n, K)
        for a, b in _row_chunks(n, K * d):
            if covariance_type == "full":
                y = x[a:b] @ p_all
                y.sub_(shift).square_()
                torch.sum(y.view(b - a, K, d), dim=-1, out=maha[a:b])
            else:
                xp = x[a:b] @ p_all                                          # (rows, d)
                mp = means @ p_all                                            # (K, d)
                y = xp.unsqueeze(1) - mp                                      # (rows, K, d)
                torch.sum(y.square_(), dim=-1, out=maha[a:b])
    elif covariance_type == "diag":
        precisions = precisions_cholesky**2                                   # (K, d)
        maha = (means**2 * precisions).sum(1) - 2.0 * (x @ (means * precisions).T) + (x * x) @ precisions.T
    else:  # spherical
        precisions = precisions_cholesky**2                                   # (K,)
        maha = ((means**2).sum(1) * precisions - 2.0 * (x @ means.T) * precisions
                + torch.outer((x * x).sum(1), precisions))
    return maha.mul_(-0.5).sub_(0.5 * d * LOG_2PI).add_(log_det)


def _estimate_gaussian_parameters(x, resp, reg_covar, covariance_type):
    """Weighted counts ``N_k`` (K,), means (K, d) and covariances from responsibilities.

    Same formulas as scikit-learn's ``_estimate_gaussian_parameters`` (``N_k`` gets
    ``10·eps`` so an empty component does not divide by zero). For "full", the scatter
    matrices ``Σ_i r_ik x_i x_i^T`` of all components come from one product of the
    responsibilities with the row-wise outer products (of the data centred on their overall
    mean, to keep round-off small), computed in chunks of rows.
    """
    n, d = x.shape
    eps = torch.finfo(resp.dtype).eps
    resp_sum = resp.sum(0)
    nk = resp_sum + 10 * eps
    weighted_sums = resp.T @ x                                               # (K, d)
    means = weighted_sums / nk[:, None]
    if covariance_type == "full":
        centre = x.mean(0)
        scatter = x.new_zeros(resp.shape[1], d * d)
        for a, b in _row_chunks(n, d * d):
            xc = x[a:b] - centre
            outer = (xc.unsqueeze(2) * xc.unsqueeze(1)).view(b - a, d * d)
            scatter.addmm_(resp[a:b].T, outer)
        covariances = _full_covariances(scatter.view(-1, d, d), means - centre, resp_sum, nk, reg_covar)
    elif covariance_type == "tied":
        covariances = x.T @ x - (nk[:, None] * means).T @ means
        covariances = covariances / nk.sum()
        covariances.diagonal().add_(reg_covar)
    else:
        diag = (resp.T @ (x * x)) / nk[:, None] - means**2 + reg_covar      # (K, d)
        covariances = diag if covariance_type == "diag" else diag.mean(1)
    return nk, means, covariances


def _full_covariances(scatter, mc, resp_sum, nk, reg_covar) -> torch.Tensor:
    """Full covariances ``Σ_k`` from the scatter ``S_k = Σ_i r_ik u_i u_i^T`` (K, d, d) of the
    centred data ``u_i = x_i - c`` and the centred means ``m_k = μ_k - c`` (K, d).

    ``Σ_i r_ik (x_i - μ_k)(x_i - μ_k)^T / N_k = S_k / N_k - m_k m_k^T (2 - Σ_i r_ik / N_k)``,
    exact also with ``N_k = Σ_i r_ik + 10 eps``; then ``reg_covar`` on the diagonal. Overwrites
    ``scatter``. Both EM paths of :class:`GaussianMixture` use it.
    """
    covariances = scatter.div_(nk[:, None, None])
    covariances.sub_((mc.unsqueeze(2) * mc.unsqueeze(1)) * (2.0 - resp_sum / nk)[:, None, None])
    covariances.diagonal(dim1=-2, dim2=-1).add_(reg_covar)
    return covariances


def _precisions_cholesky(covariances, covariance_type, reg_covar=None) -> torch.Tensor:
    """Cholesky factors ``P_k`` of the precisions, ``Σ_k^{-1} = P_k P_k^T``; clear errors."""
    hint = (f" (reg_covar={reg_covar:g})" if reg_covar is not None else "")
    advice = f"{hint}; the data may have too few distinct points for it — try increasing reg_covar"
    if covariance_type in ("full", "tied"):
        chol, info = torch.linalg.cholesky_ex(covariances)
        bad = torch.nonzero(info.reshape(-1)).reshape(-1)
        if bad.numel() > 0 or not bool(torch.isfinite(chol).all()):
            which = ("the tied covariance" if covariance_type == "tied" else
                     f"the covariance of component {int(bad[0]) if bad.numel() else '?'}")
            raise ValueError(f"{which} is singular or not positive definite even after adding reg_covar "
                             f"to its diagonal{advice}")
        eye = torch.eye(covariances.shape[-1], dtype=covariances.dtype, device=covariances.device)
        eye = eye.expand_as(chol)
        return torch.linalg.solve_triangular(chol, eye, upper=False).transpose(-2, -1)
    bad = ~(covariances > 0)
    if bool(bad.any()):
        k = int(torch.nonzero(bad)[0][0])
        raise ValueError(f"the covariance of component {k} has a non-positive variance even after adding "
                         f"reg_covar{advice}")
    return torch.rsqrt(covariances)


# ---------------------------------------------------------------------------------------
# The "full" fast path: both steps as products with a design matrix of quadratic features
# ---------------------------------------------------------------------------------------
def _design_matrix(x: torch.Tensor, centre: torch.Tensor) -> torch.Tensor:
    """Quadratic features ``Z = [u_a u_b (a <= b), u, 1]`` of ``u = x - centre``, stored
    transposed: shape (p, n) with ``p = d(d+1)/2 + d + 1``.

    Every quantity of an EM step for full covariances is linear in these features:
    ``log π_k + log N(x_i | μ_k, Σ_k) = w_k · Z_i`` for a weight vector ``w_k`` (E-step), and
    ``Σ_i r_ik Z_i`` holds ``N_k``, ``Σ_i r_ik u_i`` and the scatter ``Σ_i r_ik u_i u_i^T``
    (M-step), so each step is one matrix product. Centring on the data mean keeps the
    round-off of the expanded quadratic form small.
    """
    n, d = x.shape
    rows, cols = torch.triu_indices(d, d, device=x.device)
    q = rows.numel()
    zt = x.new_empty(q + d + 1, n)
    u = zt[q:q + d]
    u.copy_((x - centre).T)
    torch.mul(u[rows], u[cols], out=zt[:q])
    zt[-1] = 1.0
    return zt


def _design_weights(weights, means, precisions_cholesky, centre) -> torch.Tensor:
    """``W`` (K, p) with ``Z @ W.T = log π_k + log N(x_i | μ_k, Σ_k)`` (see :func:`_design_matrix`)."""
    K, d = means.shape
    rows, cols = torch.triu_indices(d, d, device=means.device)
    precisions = precisions_cholesky @ precisions_cholesky.transpose(-2, -1)    # Λ_k = P_k P_k^T
    m = means - centre
    lm = (precisions @ m.unsqueeze(-1)).squeeze(-1)                           # Λ_k m_k
    quad = precisions[:, rows, cols] * torch.where(rows == cols, -0.5, -1.0).to(means.dtype)
    const = (-0.5 * (lm * m).sum(1) - 0.5 * d * LOG_2PI
             + _log_det_cholesky(precisions_cholesky, "full", d) + torch.log(weights))
    return torch.cat([quad, lm, const[:, None]], dim=1)


def _design_parameters(t, centre, reg_covar):
    """Counts, means and full covariances from ``t = Σ_i r_ik Z_i`` (K, p) (see :func:`_design_matrix`).

    The M-step of :func:`_estimate_gaussian_parameters`, read off the sums in ``t``.
    """
    d = centre.shape[0]
    rows, cols = torch.triu_indices(d, d, device=t.device)
    q = rows.numel()
    eps = torch.finfo(t.dtype).eps
    resp_sum = t[:, -1]
    nk = resp_sum + 10 * eps
    mc = t[:, q:q + d] / nk[:, None]
    scatter = t.new_empty(t.shape[0], d, d)
    scatter[:, rows, cols] = t[:, :q]
    scatter[:, cols, rows] = t[:, :q]
    return nk, mc + centre, _full_covariances(scatter, mc, resp_sum, nk, reg_covar)


def _kmeans_plusplus(x: torch.Tensor, n_clusters: int, generator: torch.Generator) -> torch.Tensor:
    """Indices of ``n_clusters`` rows chosen by greedy k-means++ (Arthur & Vassilvitskii).

    Like scikit-learn: ``2 + ⌊log K⌋`` candidates per step, drawn with probability
    proportional to the squared distance to the closest centre so far; the candidate that
    lowers the total most is kept.
    """
    n = x.shape[0]
    trials = 2 + int(math.log(n_clusters))
    sq_norms = (x * x).sum(1)

    def sq_dist(rows):
        return (sq_norms[rows, None] + sq_norms[None, :] - 2.0 * x[rows] @ x.T).clamp_min_(0.0)

    first = int(torch.randint(n, (1,), generator=generator))
    indices = [first]
    closest = sq_dist(torch.tensor([first], device=x.device))[0]
    for _ in range(1, n_clusters):
        total = float(closest.sum())
        if total > 0:
            probs = (closest / total).cpu()
            candidates = torch.multinomial(probs, trials, replacement=True, generator=generator)
        else:  # every point is already a centre: any will do
            candidates = torch.randint(n, (trials,), generator=generator)
        candidates = candidates.to(x.device)
        new = torch.minimum(closest, sq_dist(candidates))                    # (trials, n)
        best = int(torch.argmin(new.sum(1)))
        indices.append(int(candidates[best]))
        closest = new[best]
    return torch.tensor(indices, device=x.device)


# ---------------------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------------------
class GaussianMixture:
    """Gaussian mixture fitted by EM, numerically the same as scikit-learn's.

    Parameters
    ----------
    n_components : int
        Number of components ``K``.
    covariance_type : {"full", "diag", "spherical", "tied"}
        Shape of ``covariances_``: "full" (K, d, d), "diag" (K, d), "spherical" (K,),
        "tied" (d, d) (one covariance shared by all components).
    tol : float
        EM stops when the mean log-likelihood changes by less than ``tol``.
    reg_covar : float
        Added to the diagonal of every covariance (keeps them positive definite).
    max_iter : int
        Maximum number of EM iterations per initialisation.
    n_init : int
        Number of initialisations; the fit with the highest final lower bound is kept.
    init_params : {"kmeans++", "random"}
        "kmeans++": k-means++ seeds, every point assigned to its closest seed, and the
        initial parameters computed (as in an M-step) from these hard responsibilities.
        "random": uniformly random responsibilities normalised per point (scikit-learn's
        "random").
    seed : int or None
        Seed of the initialisation (the same seed gives the same fit).
    weights_init, means_init, covariances_init : array-like, optional
        Initial parameters, overriding those of ``init_params`` (shapes as the fitted
        attributes).

    Attributes
    ----------
    weights_ : Tensor, shape (K,)
    means_ : Tensor, shape (K, d)
    covariances_ : Tensor, shape as described for ``covariance_type``
    precisions_cholesky_ : Tensor, same shape as ``covariances_``
        ``P_k`` with ``Σ_k^{-1} = P_k P_k^T`` (for diag/spherical: ``1/sqrt(Σ_k)``).
    converged_ : bool
    n_iter_ : int
        EM iterations of the kept initialisation.
    lower_bound_ : float
        Mean log-likelihood of the last E-step of the kept initialisation.
    history_ : list of float
        Mean log-likelihood of every E-step of the kept initialisation: non-decreasing.
    """

    def __init__(self, n_components, covariance_type="full", tol=1e-3, reg_covar=1e-6, max_iter=100,
                 n_init=1, init_params="kmeans++", seed=None, weights_init=None, means_init=None,
                 covariances_init=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.seed = seed
        self.weights_init = weights_init
        self.means_init = means_init
        self.covariances_init = covariances_init

    def __repr__(self) -> str:
        return (f"GaussianMixture(n_components={self.n_components!r}, covariance_type={self.covariance_type!r}, "
                f"tol={self.tol!r}, reg_covar={self.reg_covar!r}, max_iter={self.max_iter!r}, "
                f"n_init={self.n_init!r}, init_params={self.init_params!r}, seed={self.seed!r})")

    # -- checks -----------------------------------------------------------------------
    def _check_parameters(self) -> None:
        require_int(self.n_components, "n_components", 1)
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got {self.covariance_type!r}")
        if self.init_params not in INIT_PARAMS:
            raise ValueError(f"init_params must be one of {INIT_PARAMS}, got {self.init_params!r}")
        tol = self.tol
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or tol != tol or tol < 0:
            raise ValueError(f"tol must be a non-negative number (0 never stops early), got {tol!r}")
        require_real(self.reg_covar, "reg_covar")
        require_int(self.max_iter, "max_iter", 0)
        require_int(self.n_init, "n_init", 1)

    def _check_x(self, x, fitted: bool = True) -> torch.Tensor:
        like = None
        if fitted:
            if not hasattr(self, "means_"):
                raise ValueError("this GaussianMixture is not fitted yet: call fit(x) first")
            like = self.means_
        x = as_float_tensor(x, "x", ndim=2)
        if like is not None:
            if x.shape[1] != like.shape[1]:
                raise ValueError(f"x has {x.shape[1]} features but the mixture was fitted on {like.shape[1]}")
            x = x.to(device=like.device, dtype=like.dtype)
        require_finite(x, "x")
        if x.shape[0] < 1:
            raise ValueError("x must contain at least one sample")
        return x

    def _cov_shape(self, d: int) -> tuple:
        K = self.n_components
        return {"full": (K, d, d), "tied": (d, d), "diag": (K, d), "spherical": (K,)}[self.covariance_type]

    def _user_init(self, x):
        K, d = self.n_components, x.shape[1]
        out = {}
        for name, value, shape in (("weights_init", self.weights_init, (K,)),
                                   ("means_init", self.means_init, (K, d)),
                                   ("covariances_init", self.covariances_init, self._cov_shape(d))):
            if value is None:
                continue
            t = as_float_tensor(value, name, like=x)
            if tuple(t.shape) != shape:
                raise ValueError(f"{name} must have shape {shape}, got {tuple(t.shape)}")
            require_finite(t, name)
            out[name] = t
        if "weights_init" in out:
            w = out["weights_init"]
            if bool((w < 0).any()) or abs(float(w.sum()) - 1.0) > 1e-6:
                raise ValueError("weights_init must be non-negative and sum to 1")
        if "covariances_init" in out:
            _precisions_cholesky(out["covariances_init"], self.covariance_type)   # raises if not SPD
        return out

    # -- the two steps ------------------------------------------------------------------
    def _weighted_log_prob(self, x) -> torch.Tensor:
        """``log π_k + log N(x_i | μ_k, Σ_k)``, shape (n, K)."""
        log_prob = _log_gaussian_prob(x, self.means_, self.precisions_cholesky_, self.covariance_type)
        return log_prob.add_(torch.log(self.weights_))

    def e_step(self, x):
        """E-step: log responsibilities and the mean log-likelihood.

        Parameters
        ----------
        x : Tensor, shape (n, d)

        Returns
        -------
        log_resp : Tensor, shape (n, K)
            ``log r_ik``; ``exp`` of every row sums to 1.
        mean_log_likelihood : float
            ``1/n Σ_i log p(x_i)`` under the current parameters.
        """
        x = self._check_x(x)
        return self._e_step(x)

    def _e_step(self, x):
        weighted = self._weighted_log_prob(x)
        log_norm = torch.logsumexp(weighted, dim=1)
        return weighted.sub_(log_norm[:, None]), float(log_norm.mean())

    def m_step(self, x, log_resp) -> None:
        """M-step: new ``weights_``, ``means_``, ``covariances_`` and ``precisions_cholesky_``.

        Parameters
        ----------
        x : Tensor, shape (n, d)
        log_resp : Tensor, shape (n, K)
            Log responsibilities, as returned by :meth:`e_step`.
        """
        x = self._check_x(x, fitted=hasattr(self, "means_"))
        log_resp = as_float_tensor(log_resp, "log_resp", ndim=2, like=x)
        if tuple(log_resp.shape) != (x.shape[0], self.n_components):
            raise ValueError(f"log_resp must have shape ({x.shape[0]}, {self.n_components}), "
                             f"got {tuple(log_resp.shape)}")
        self._m_step(x, log_resp.exp())

    def _m_step(self, x, resp) -> None:
        nk, means, covariances = _estimate_gaussian_parameters(x, resp, self.reg_covar, self.covariance_type)
        self.precisions_cholesky_ = _precisions_cholesky(covariances, self.covariance_type, self.reg_covar)
        self.weights_ = nk / nk.sum()
        self.means_ = means
        self.covariances_ = covariances

    def _em_step(self, x) -> float:
        """One EM iteration, as in lecture 04: E-step, then M-step; the E-step's mean log-likelihood."""
        log_resp, mean_log_likelihood = self._e_step(x)
        self._m_step(x, log_resp.exp_())
        return mean_log_likelihood

    def _design_em_step(self, zt, centre) -> float:
        """:meth:`_em_step` for full covariances, computed through the design matrix.

        The same two steps (same formulas, same result up to round-off; tests/test_gmm.py
        compares the paths), but the E-step's ``log π_k N(x_i | k)`` and the M-step's sums are
        each one product with the quadratic features of :func:`_design_matrix`, fused chunk by
        chunk. ``fit`` takes it when the features fit in ``MAX_DESIGN_ELEMENTS``: on the
        benchmark's 100,000 × 8-D, K = 16 fit it halves the time (5.5 s against 10.7 s
        for 100 iterations, ``python benchmarks/bench_density_gmm.py --engines``, benchmarks/README.md).
        """
        # Chunks of columns of Z (cache-sized on a CPU): E-step and M-step products fused,
        # responsibilities in (K, rows) layout, which suits the skinny products best.
        w = _design_weights(self.weights_, self.means_, self.precisions_cholesky_, centre)
        n = zt.shape[1]
        step = DESIGN_CHUNK_CPU if zt.device.type == "cpu" else n
        t = zt.new_zeros(w.shape[0], zt.shape[0])
        log_likelihood = zt.new_zeros(())
        for a in range(0, n, step):
            zc = zt[:, a:a + step]
            resp = w @ zc                                                      # log π_k N(x_i|k)
            top = torch.amax(resp, dim=0)
            total = resp.sub_(top).exp_().sum(0)
            resp.div_(total)
            log_likelihood += torch.log(total).add_(top).sum()
            t.addmm_(resp, zc.T)
        nk, means, covariances = _design_parameters(t, centre, self.reg_covar)
        self.precisions_cholesky_ = _precisions_cholesky(covariances, "full", self.reg_covar)
        self.weights_ = nk / nk.sum()
        self.means_ = means
        self.covariances_ = covariances
        return float(log_likelihood) / n

    # -- fitting ------------------------------------------------------------------------
    def _initialise(self, x, generator) -> None:
        n, K = x.shape[0], self.n_components
        user = self._init_values
        if len(user) == 3:  # all given: nothing to estimate
            self.weights_, self.means_, self.covariances_ = (
                user["weights_init"], user["means_init"], user["covariances_init"])
            self.precisions_cholesky_ = _precisions_cholesky(self.covariances_, self.covariance_type, self.reg_covar)
            return
        if self.init_params == "random":
            resp = torch.rand(n, K, generator=generator, dtype=x.dtype).to(x.device)
            resp /= resp.sum(1, keepdim=True)
        else:
            seeds = _kmeans_plusplus(x, K, generator)
            centres = x[seeds]
            d2 = (x * x).sum(1, keepdim=True) - 2.0 * x @ centres.T + (centres * centres).sum(1)
            labels = torch.argmin(d2, dim=1)
            labels[seeds] = torch.arange(K, device=x.device)                 # each seed keeps its own
            resp = torch.zeros(n, K, dtype=x.dtype, device=x.device)
            resp[torch.arange(n, device=x.device), labels] = 1.0
        nk, means, covariances = _estimate_gaussian_parameters(x, resp, self.reg_covar, self.covariance_type)
        self.weights_ = user.get("weights_init", nk / n)
        self.means_ = user.get("means_init", means)
        self.covariances_ = user.get("covariances_init", covariances)
        self.precisions_cholesky_ = _precisions_cholesky(self.covariances_, self.covariance_type, self.reg_covar)

    def fit(self, x) -> "GaussianMixture":
        """Fit the mixture to ``x`` by EM (``n_init`` starts, the best lower bound kept).

        Parameters
        ----------
        x : Tensor or array-like, shape (n, d)
            At least ``n_components`` points; the fit runs on its device and in its
            floating dtype (integers become the default dtype).

        Returns
        -------
        self
        """
        self._check_parameters()
        x = self._check_x(x, fitted=False)
        if x.shape[0] < self.n_components:
            raise ValueError(f"x has {x.shape[0]} points, fewer than n_components={self.n_components}")
        self._init_values = self._user_init(x)
        generator = make_generator(self.seed)
        n, d = x.shape
        z = centre = None
        if self.covariance_type == "full" and n * (d * (d + 1) // 2 + d + 1) <= MAX_DESIGN_ELEMENTS:
            centre = x.mean(0)
            z = _design_matrix(x, centre)
        best = None
        for _ in range(self.n_init):
            self._initialise(x, generator)
            lower_bound, history, converged, n_iter = -math.inf, [], False, 0
            for n_iter in range(1, self.max_iter + 1):
                previous = lower_bound
                lower_bound = self._em_step(x) if z is None else self._design_em_step(z, centre)
                history.append(lower_bound)
                if abs(lower_bound - previous) < self.tol:
                    converged = True
                    break
            if best is None or lower_bound > best[0]:
                params = (self.weights_, self.means_, self.covariances_, self.precisions_cholesky_)
                best = (lower_bound, params, history, converged, n_iter)
        self.lower_bound_, params, self.history_, self.converged_, self.n_iter_ = best
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = params
        del self._init_values
        return self

    # -- using the fitted mixture -----------------------------------------------------------
    def log_prob(self, x) -> torch.Tensor:
        """Log-density ``log p(x_i)`` of every point, shape (n,) (scikit-learn's ``score_samples``)."""
        x = self._check_x(x)
        return torch.logsumexp(self._weighted_log_prob(x), dim=1)

    def score(self, x) -> float:
        """Mean log-density ``1/n Σ_i log p(x_i)``."""
        return float(self.log_prob(x).mean())

    def predict_proba(self, x) -> torch.Tensor:
        """Responsibilities ``p(z = k | x_i)``, shape (n, K); rows sum to 1."""
        return self.e_step(x)[0].exp_()

    def predict(self, x) -> torch.Tensor:
        """Most responsible component of every point, shape (n,), int64."""
        x = self._check_x(x)
        return torch.argmax(self._weighted_log_prob(x), dim=1)

    def sample(self, n, seed=None):
        """Draw ``n`` points from the mixture.

        Returns
        -------
        x : Tensor, shape (n, d)
        labels : Tensor, shape (n,), int64
            The component each point was drawn from (sorted by component).
        """
        if not hasattr(self, "means_"):
            raise ValueError("this GaussianMixture is not fitted yet: call fit(x) first")
        n = require_int(n, "n", 1)
        generator = make_generator(seed)
        K, d = self.means_.shape
        device, dtype = self.means_.device, self.means_.dtype
        counts = torch.multinomial(self.weights_.detach().double().cpu(), n, replacement=True,
                                   generator=generator).bincount(minlength=K)
        labels = torch.repeat_interleave(torch.arange(K), counts).to(device)
        z = torch.randn(n, d, generator=generator, dtype=dtype).to(device)
        cov = self.covariances_
        if self.covariance_type == "full":
            chol = torch.linalg.cholesky(cov)[labels]                         # (n, d, d)
            offset = (chol @ z.unsqueeze(-1)).squeeze(-1)
        elif self.covariance_type == "tied":
            offset = z @ torch.linalg.cholesky(cov).T
        elif self.covariance_type == "diag":
            offset = z * cov.sqrt()[labels]
        else:
            offset = z * cov.sqrt()[labels, None]
        return self.means_[labels] + offset, labels

    def n_parameters(self) -> int:
        """Number of free parameters (as scikit-learn counts them)."""
        if not hasattr(self, "means_"):
            raise ValueError("this GaussianMixture is not fitted yet: call fit(x) first")
        K, d = self.means_.shape
        cov = {"full": K * d * (d + 1) // 2, "diag": K * d, "tied": d * (d + 1) // 2,
               "spherical": K}[self.covariance_type]
        return int(cov + K * d + K - 1)

    def bic(self, x) -> float:
        """Bayesian information criterion ``-2 log L + p log n`` (lower is better)."""
        x = self._check_x(x)
        return -2.0 * self.score(x) * x.shape[0] + self.n_parameters() * math.log(x.shape[0])

    def aic(self, x) -> float:
        """Akaike information criterion ``-2 log L + 2 p`` (lower is better)."""
        x = self._check_x(x)
        return -2.0 * self.score(x) * x.shape[0] + 2 * self.n_parameters()
