"""Variational inference: Gaussian KL divergences, reparameterised sampling, the ELBO, the
importance-weighted bound, and gradient estimators.

For a latent-variable model ``p(x, z) = p(x | z) p(z)`` and any distribution ``q(z | x)``
(the *encoder* or variational posterior),

``log p(x) = ELBO(q) + KL(q(z | x) || p(z | x))``,
``ELBO(q) = E_q[log p(x | z)] - KL(q(z | x) || p(z)) = E_q[log p(x, z) - log q(z | x)]``,

so the evidence lower bound (ELBO) is below ``log p(x)`` by exactly the KL divergence to the
true posterior. With ``k`` independent draws ``z_1..z_k ~ q`` and importance weights
``w_j = p(x, z_j) / q(z_j | x)``, the importance-weighted bound (IWAE; Burda, Grosse and
Salakhutdinov, 2016) is

``L_k = E[log (1/k) Σ_j w_j]``,   ``ELBO = L_1 <= L_2 <= ... <= L_k -> log p(x)``   (k -> ∞).

Conventions
-----------
A diagonal Gaussian ``N(mean, diag(exp(log_var)))`` is the pair ``(mean, log_var)`` of
tensors of shape ``(..., d)``; working with the log-variance keeps every variance positive.
All functions batch over leading dimensions, keep the device and dtype of their inputs and
are differentiable. Closed forms used here (``σ² = exp(log_var)``, sums over the last axis):

* ``log N(z; μ, diag σ²) = -1/2 Σ [log 2π + log σ² + (z - μ)² / σ²]``.
* ``KL(N(μ, diag σ²) || N(0, I)) = 1/2 Σ [σ² - 1 - log σ² + μ²]``.
* ``KL(N(μ_q, diag σ_q²) || N(μ_p, diag σ_p²)) = 1/2 Σ [r - 1 - log r + (μ_q - μ_p)² / σ_p²]``
  with ``r = σ_q² / σ_p²``; ``r - 1 - log r`` is evaluated as ``expm1(log r) - log r``, which
  is accurate (and exactly 0) when ``q`` and ``p`` are close.
* Full covariances ``Σ_q = L_q L_qᵀ``, ``Σ_p = L_p L_pᵀ`` (Cholesky):
  ``KL = 1/2 [||L_p⁻¹ L_q||_F² + ||L_p⁻¹ (μ_p - μ_q)||² - d] + Σ log diag L_p - Σ log diag L_q``
  (only triangular solves; the log-determinants come from the diagonals).

Random numbers come from an optional ``generator``: a ``torch.Generator`` (a CPU generator
works for inputs on any device: the draws are made on the CPU and moved, so a seed gives the
same numbers everywhere), an ``int`` seed, or ``None`` for torch's global generator.

Examples
--------
>>> model = LinearGaussianModel.random(d=5, k=2, noise_var=0.5, generator=0)
>>> x, _ = model.sample(3, generator=1)
>>> def encoder(x):                       # the exact posterior's mean, a diagonal variance
...     mean, cov = model.posterior(x)
...     return mean, torch.diagonal(cov).log().expand_as(mean)
>>> bound = iwae_bound(x, encoder, model.log_likelihood, k=100, generator=2)
>>> bool((bound <= model.log_marginal(x) + 1e-6).all())
True
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable

import torch
from torch.utils.checkpoint import checkpoint

from ._validate import (as_float_tensor, as_generator, require_finite, require_int,
                        require_positive, standard_normal)

__all__ = [
    "diag_gaussian_log_prob",
    "kl_diag_gaussian_standard_normal",
    "kl_diag_gaussians",
    "kl_gaussians",
    "kl_monte_carlo",
    "rsample_diag_gaussian",
    "elbo",
    "iwae_bound",
    "GradientEstimate",
    "score_function_gradient",
    "pathwise_gradient",
    "LinearGaussianModel",
    "KL_MODES",
]

LOG_2PI = math.log(2.0 * math.pi)
KL_MODES = ("analytic", "monte_carlo")


# ---------------------------------------------------------------------------------------
# Checks and random numbers
# ---------------------------------------------------------------------------------------
def _tensor(value, name: str, like: torch.Tensor | None = None, min_ndim: int = 1) -> torch.Tensor:
    t = as_float_tensor(value, name, like=like)
    if t.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {tuple(t.shape)}")
    require_finite(t, name)
    return t


def _broadcast(named: dict[str, torch.Tensor], trailing: int = 1) -> torch.Size:
    """Broadcast shape of the tensors, or a ValueError naming them all."""
    try:
        return torch.broadcast_shapes(*(t.shape for t in named.values()))
    except RuntimeError:
        shapes = ", ".join(f"{name} {tuple(t.shape)}" for name, t in named.items())
        raise ValueError(f"shapes do not broadcast together: {shapes}") from None


def _diag_gaussian(mean, log_var, mean_name: str = "mean", log_var_name: str = "log_var"):
    """A validated ``(mean, log_var)`` pair: finite, broadcastable, same last dimension."""
    mean = _tensor(mean, mean_name)
    log_var = _tensor(log_var, log_var_name, like=mean)
    if mean.shape[-1] != log_var.shape[-1]:
        raise ValueError(f"{mean_name} and {log_var_name} must have the same last dimension, got shapes "
                         f"{tuple(mean.shape)} and {tuple(log_var.shape)}")
    _broadcast({mean_name: mean, log_var_name: log_var})
    return mean, log_var


def _cholesky(cov: torch.Tensor, name: str) -> torch.Tensor:
    """Lower Cholesky factor of a batch of symmetric positive definite matrices, or a ValueError."""
    scale = float(cov.detach().abs().max()) if cov.numel() else 0.0
    tolerance = 1e3 * torch.finfo(cov.dtype).eps * max(scale, torch.finfo(cov.dtype).tiny)
    if not bool(((cov - cov.mT).abs() <= tolerance).all()):
        raise ValueError(f"{name} must be symmetric")
    chol, info = torch.linalg.cholesky_ex(cov)
    if bool((info != 0).any()):
        raise ValueError(f"{name} must be positive definite (its Cholesky factorisation failed)")
    return chol


# ---------------------------------------------------------------------------------------
# Densities and KL divergences
# ---------------------------------------------------------------------------------------
def diag_gaussian_log_prob(z, mean, log_var) -> torch.Tensor:
    """``log N(z; mean, diag(exp(log_var)))``, summed over the last dimension.

    ``-1/2 Σ_i [log 2π + log_var_i + (z_i - mean_i)² exp(-log_var_i)]``; the variance is never
    divided by, only ``exp(-log_var)`` multiplied, so tiny variances do not overflow.

    Parameters
    ----------
    z : Tensor, shape (..., d)
        Broadcast against ``mean`` and ``log_var`` (e.g. ``(S, batch, d)`` samples against a
        ``(batch, d)`` mean).
    mean, log_var : Tensor, shape (..., d)

    Returns
    -------
    Tensor, shape (...)
        The broadcast shape of the three inputs without its last dimension.
    """
    mean, log_var = _diag_gaussian(mean, log_var)
    z = _tensor(z, "z", like=mean)
    if z.shape[-1] != mean.shape[-1]:
        raise ValueError(f"z must have last dimension {mean.shape[-1]} like mean, got shape {tuple(z.shape)}")
    _broadcast({"z": z, "mean": mean, "log_var": log_var})
    return -0.5 * (LOG_2PI + log_var + (z - mean).square() * torch.exp(-log_var)).sum(dim=-1)


def kl_diag_gaussian_standard_normal(mean, log_var) -> torch.Tensor:
    """``KL(N(mean, diag e^{log_var}) || N(0, I)) = 1/2 Σ [e^{log_var} - 1 - log_var + mean²]``.

    ``e^{log_var} - 1`` is computed with ``expm1``, so the result is accurate for ``q`` close to
    the prior. This is the regulariser of the VAE objective.

    Parameters
    ----------
    mean, log_var : Tensor, shape (..., d)

    Returns
    -------
    Tensor, shape (...)
    """
    mean, log_var = _diag_gaussian(mean, log_var)
    return _kl_to_standard_normal(mean, log_var)


def _kl_to_standard_normal(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """:func:`kl_diag_gaussian_standard_normal` without the input checks: for an encoder's own
    outputs inside a training step (:meth:`course_lib.vae.VAE.loss`), where the checks would be
    paid at every step."""
    return 0.5 * (torch.expm1(log_var) - log_var + mean.square()).sum(dim=-1)


def kl_diag_gaussians(mean_q, log_var_q, mean_p, log_var_p) -> torch.Tensor:
    """``KL(N(mean_q, diag e^{log_var_q}) || N(mean_p, diag e^{log_var_p}))``.

    With ``log r = log_var_q - log_var_p`` (the log of the variance ratio):
    ``1/2 Σ [r - 1 - log r + (mean_q - mean_p)² e^{-log_var_p}]``, where ``r - 1 - log r``
    is ``expm1(log r) - log r``. ``KL(q || q)`` is exactly 0.

    Parameters
    ----------
    mean_q, log_var_q, mean_p, log_var_p : Tensor, shape (..., d)
        Broadcast together.

    Returns
    -------
    Tensor, shape (...)
    """
    mean_q, log_var_q = _diag_gaussian(mean_q, log_var_q, "mean_q", "log_var_q")
    mean_p, log_var_p = _diag_gaussian(mean_p, log_var_p, "mean_p", "log_var_p")
    mean_p, log_var_p = mean_p.to(mean_q), log_var_p.to(mean_q)
    if mean_q.shape[-1] != mean_p.shape[-1]:
        raise ValueError(f"q and p must have the same dimension, got mean_q {tuple(mean_q.shape)} "
                         f"and mean_p {tuple(mean_p.shape)}")
    _broadcast({"mean_q": mean_q, "log_var_q": log_var_q, "mean_p": mean_p, "log_var_p": log_var_p})
    log_ratio = log_var_q - log_var_p
    mahalanobis = (mean_q - mean_p).square() * torch.exp(-log_var_p)
    return 0.5 * (torch.expm1(log_ratio) - log_ratio + mahalanobis).sum(dim=-1)


def kl_gaussians(mean_q, cov_q, mean_p, cov_p) -> torch.Tensor:
    """``KL(N(mean_q, cov_q) || N(mean_p, cov_p))`` for full covariance matrices.

    With Cholesky factors ``cov_q = L_q L_qᵀ`` and ``cov_p = L_p L_pᵀ``:

    ``KL = 1/2 [tr(cov_p⁻¹ cov_q) + (μ_p - μ_q)ᵀ cov_p⁻¹ (μ_p - μ_q) - d + log|cov_p| - log|cov_q|]``

    where ``tr(cov_p⁻¹ cov_q) = ||L_p⁻¹ L_q||_F²``, the quadratic form is ``||L_p⁻¹ (μ_p - μ_q)||²``
    and ``log|cov| = 2 Σ log diag L``: no inverse or determinant is formed.

    Parameters
    ----------
    mean_q, mean_p : Tensor, shape (..., d)
    cov_q, cov_p : Tensor, shape (..., d, d)
        Symmetric positive definite; all four inputs broadcast over the leading dimensions.

    Returns
    -------
    Tensor, shape (...)
    """
    mean_q = _tensor(mean_q, "mean_q")
    d = mean_q.shape[-1]
    mean_p = _tensor(mean_p, "mean_p", like=mean_q)
    cov_q = _tensor(cov_q, "cov_q", like=mean_q, min_ndim=2)
    cov_p = _tensor(cov_p, "cov_p", like=mean_q, min_ndim=2)
    for name, t in (("mean_p", mean_p),):
        if t.shape[-1] != d:
            raise ValueError(f"{name} must have last dimension {d} like mean_q, got shape {tuple(t.shape)}")
    for name, t in (("cov_q", cov_q), ("cov_p", cov_p)):
        if t.shape[-2:] != (d, d):
            raise ValueError(f"{name} must have shape (..., {d}, {d}) for {d}-dimensional means, "
                             f"got {tuple(t.shape)}")
    batch = _broadcast({"mean_q": mean_q[..., 0], "cov_q": cov_q[..., 0, 0],
                        "mean_p": mean_p[..., 0], "cov_p": cov_p[..., 0, 0]})
    chol_q, chol_p = _cholesky(cov_q, "cov_q"), _cholesky(cov_p, "cov_p")
    chol_p = chol_p.expand(*batch, d, d)
    diff = (mean_p - mean_q).expand(*batch, d).unsqueeze(-1)
    trace = torch.linalg.solve_triangular(chol_p, chol_q.expand(*batch, d, d), upper=False).square().sum((-2, -1))
    mahalanobis = torch.linalg.solve_triangular(chol_p, diff, upper=False).square().sum((-2, -1))
    half_log_det_p = torch.log(torch.diagonal(chol_p, dim1=-2, dim2=-1)).sum(-1)
    half_log_det_q = torch.log(torch.diagonal(chol_q, dim1=-2, dim2=-1)).sum(-1)
    return 0.5 * (trace + mahalanobis - d) + half_log_det_p - half_log_det_q


def kl_monte_carlo(q, p, n_samples: int, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Monte-Carlo estimate of ``KL(q || p) = E_q[log q(z) - log p(z)]`` and its standard error.

    Draws ``z_1..z_n = q.rsample((n,))`` and returns the mean of ``log q(z_i) - log p(z_i)`` and
    its standard error ``std / sqrt(n)`` (unbiased ``std``). Because the draws are
    reparameterised, the estimate is differentiable with respect to ``q``'s parameters.

    Parameters
    ----------
    q : distribution-like
        Any object with ``rsample(sample_shape)`` and ``log_prob(z)``, e.g. a
        ``torch.distributions`` object (``Independent(Normal(...), 1)``,
        ``MultivariateNormal``); its ``log_prob`` must sum over the event dimensions.
    p : distribution-like
        Any object with ``log_prob(z)``.
    n_samples : int
        At least 2 (the standard error needs two samples).
    generator : None
        ``torch.distributions`` draw from torch's global generator and take no generator, so
        only ``None`` is accepted; seed with ``torch.manual_seed`` for reproducible draws.

    Returns
    -------
    estimate, standard_error : Tensor, shape = q's batch shape
    """
    if generator is not None:
        raise ValueError("generator must be None: rsample of torch.distributions takes no generator; "
                         "seed torch's global generator with torch.manual_seed instead")
    n_samples = require_int(n_samples, "n_samples", 2)
    for name, obj, methods in (("q", q, ("rsample", "log_prob")), ("p", p, ("log_prob",))):
        for method in methods:
            if not callable(getattr(obj, method, None)):
                raise ValueError(f"{name} must have a {method}() method, got {type(obj).__name__}")
    z = q.rsample(torch.Size([n_samples]))
    log_ratio = q.log_prob(z) - p.log_prob(z)
    return log_ratio.mean(dim=0), log_ratio.std(dim=0) / math.sqrt(n_samples)


# ---------------------------------------------------------------------------------------
# Reparameterised sampling, ELBO and IWAE
# ---------------------------------------------------------------------------------------
def rsample_diag_gaussian(mean, log_var, n_samples: int | None = None, generator=None) -> torch.Tensor:
    """Reparameterised draws ``z = mean + exp(log_var / 2) * ε``, ``ε ~ N(0, I)``.

    The noise ``ε`` carries all the randomness, so ``z`` is a differentiable function of
    ``mean`` and ``log_var`` (the reparameterisation trick): ``∂z/∂mean = 1`` and
    ``∂z/∂log_var = exp(log_var / 2) ε / 2``.

    Parameters
    ----------
    mean, log_var : Tensor, shape (..., d)
        Broadcast together.
    n_samples : int or None
        ``None``: one draw of the broadcast shape; otherwise ``n_samples`` draws stacked in a
        new first dimension. ``ε`` is drawn with a single ``torch.randn`` call of the output
        shape, in ``mean``'s dtype.
    generator : torch.Generator, int or None
        See the module docstring.

    Returns
    -------
    Tensor, shape (..., d) or (n_samples, ..., d)
    """
    mean, log_var = _diag_gaussian(mean, log_var)
    shape = _broadcast({"mean": mean, "log_var": log_var})
    if n_samples is not None:
        shape = (require_int(n_samples, "n_samples"), *shape)
    return _reparameterise(mean, log_var, shape, as_generator(generator))


def _reparameterise(mean: torch.Tensor, log_var: torch.Tensor, shape, generator) -> torch.Tensor:
    """``mean + exp(log_var / 2) ε`` with ``ε ~ N(0, I)`` of ``shape``, without input checks
    (see :func:`_kl_to_standard_normal`); ``generator`` is a torch.Generator or None."""
    eps = standard_normal(shape, mean, generator)
    return mean + torch.exp(0.5 * log_var) * eps


def _encode(x, encoder) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``x`` as a float tensor with a batch dimension, and the checked encoder output."""
    x = _tensor(x, "x")
    out = encoder(x)
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise ValueError(f"encoder(x) must return a pair (mean, log_var), got {type(out).__name__}")
    mean, log_var = _diag_gaussian(out[0], out[1], "encoder(x) mean", "encoder(x) log_var")
    if mean.ndim != 2 or mean.shape != log_var.shape or mean.shape[0] != x.shape[0]:
        raise ValueError(f"encoder(x) must return mean and log_var of shape (batch, d_z) with batch = "
                         f"{x.shape[0]} (x's first dimension), got {tuple(mean.shape)} and {tuple(log_var.shape)}")
    return x, mean, log_var


def _call_log_likelihood(log_likelihood, x, z) -> torch.Tensor:
    out = log_likelihood(x, z)
    if not isinstance(out, torch.Tensor) or out.shape != z.shape[:-1]:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"log_likelihood(x, z) must return a tensor of shape {tuple(z.shape[:-1])} for z of "
                         f"shape {tuple(z.shape)} (one value per sample and data point), got {got}")
    return out


def _standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    return -0.5 * (LOG_2PI + z.square()).sum(dim=-1)


def elbo(x, encoder: Callable, log_likelihood: Callable, n_samples: int = 1, kl: str = "analytic",
         generator=None) -> torch.Tensor:
    """Monte-Carlo estimate of the evidence lower bound of each data point.

    With the prior ``p(z) = N(0, I)``, ``q(z | x) = N(mean, diag e^{log_var})`` from the encoder
    and ``S = n_samples`` reparameterised draws ``z_s ~ q(z | x)``:

    * ``kl="analytic"``: ``1/S Σ_s log p(x | z_s) - KL(q(z | x) || p(z))``, the KL in closed
      form (:func:`kl_diag_gaussian_standard_normal`); usually the lower-variance choice.
    * ``kl="monte_carlo"``: ``1/S Σ_s [log p(x | z_s) + log p(z_s) - log q(z_s | x)]``, which
      needs no closed form and has zero variance when ``q`` is the exact posterior.

    Both are unbiased for the same ELBO and differentiable with respect to the encoder and
    decoder parameters (the draws are reparameterised, see :func:`rsample_diag_gaussian`).

    Parameters
    ----------
    x : Tensor, shape (batch, ...)
        Data; passed unchanged (as a float tensor) to ``encoder`` and ``log_likelihood``.
    encoder : callable
        ``encoder(x) -> (mean, log_var)``, each of shape ``(batch, d_z)``.
    log_likelihood : callable
        ``log_likelihood(x, z) -> log p(x | z)`` for ``z`` of shape ``(S, batch, d_z)``,
        returning shape ``(S, batch)``.
    n_samples : int
        ``S >= 1``.
    kl : {"analytic", "monte_carlo"}
    generator : torch.Generator, int or None
        ``ε`` of shape ``(S, batch, d_z)`` is one draw (as :func:`rsample_diag_gaussian`).

    Returns
    -------
    Tensor, shape (batch,)
    """
    if not isinstance(kl, str) or kl not in KL_MODES:
        raise ValueError(f"kl must be one of {KL_MODES}, got {kl!r}")
    n_samples = require_int(n_samples, "n_samples")
    generator = as_generator(generator)
    x, mean, log_var = _encode(x, encoder)
    z = rsample_diag_gaussian(mean, log_var, n_samples, generator)  # (S, batch, d_z)
    log_px_z = _call_log_likelihood(log_likelihood, x, z)  # (S, batch)
    if kl == "analytic":
        return log_px_z.mean(dim=0) - kl_diag_gaussian_standard_normal(mean, log_var)
    log_q = diag_gaussian_log_prob(z, mean, log_var)
    return (log_px_z + _standard_normal_log_prob(z) - log_q).mean(dim=0)


def _chunk_log_sum_weights(x, mean, log_var, eps, log_likelihood) -> torch.Tensor:
    """``log Σ_j w_j`` over one chunk of noise ``eps`` of shape ``(c, batch, d_z)``."""
    z = mean + torch.exp(0.5 * log_var) * eps
    log_w = (_call_log_likelihood(log_likelihood, x, z) + _standard_normal_log_prob(z)
             - diag_gaussian_log_prob(z, mean, log_var))
    return torch.logsumexp(log_w, dim=0)


def iwae_bound(x, encoder: Callable, log_likelihood: Callable, k: int, max_elements: int = 2**24,
               generator=None) -> torch.Tensor:
    """Importance-weighted lower bound ``log (1/k) Σ_j p(x, z_j) / q(z_j | x)``, ``z_j ~ q(z | x)``.

    With ``log w_j = log p(x | z_j) + log p(z_j) - log q(z_j | x)`` (prior ``N(0, I)``), the
    result is ``logsumexp_j(log w_j) - log k``, one value per data point. Its expectation is
    the bound ``L_k`` (Burda et al. 2016): ``L_1`` is the ELBO, ``L_k`` increases with ``k``
    and tends to ``log p(x)``. The weights are never exponentiated outside ``logsumexp``.

    Memory is bounded whatever ``k``: the samples are processed ``c`` at a time with
    ``c = max(1, max_elements // (batch * d_z))``, and the chunks' log-sums are combined with a
    running ``logaddexp``. So ``max_elements`` caps the *latent* tensor ``(c, batch, d_z)`` of a
    chunk; what ``log_likelihood`` allocates for it scales with ``c * batch`` times its own
    per-sample size (e.g. ``d_x`` logits for a Bernoulli decoder), so for a large decoder
    lower ``max_elements`` by the ratio ``d_x / d_z``. At least one sample is processed at a
    time. When gradients are needed and there are several chunks, each chunk is
    checkpointed (recomputed in the backward pass) so that training memory is bounded too.

    The noise of sample ``j`` is its own ``torch.randn`` call of shape ``(batch, d_z)``, in
    order ``j = 1..k``, so the result does not depend on ``max_elements`` (to round-off), and
    with ``k = 1`` it equals ``elbo(x, ..., n_samples=1, kl="monte_carlo")`` for the same
    generator state.

    Parameters
    ----------
    x, encoder, log_likelihood
        As in :func:`elbo`; ``log_likelihood`` receives ``z`` of shape ``(c, batch, d_z)``.
    k : int
        Number of importance samples, ``>= 1``.
    max_elements : int
        Cap on the elements of a chunk's latent samples (see above).
    generator : torch.Generator, int or None

    Returns
    -------
    Tensor, shape (batch,)
    """
    k = require_int(k, "k")
    max_elements = require_int(max_elements, "max_elements")
    generator = as_generator(generator)
    x, mean, log_var = _encode(x, encoder)
    batch, d_z = mean.shape
    chunk = max(1, max_elements // (batch * d_z))
    several = chunk < k
    use_checkpoint = several and torch.is_grad_enabled()
    total = None
    for start in range(0, k, chunk):
        size = min(chunk, k - start)
        eps = torch.stack([standard_normal((batch, d_z), mean, generator) for _ in range(size)])
        args = (x, mean, log_var, eps, log_likelihood)
        if use_checkpoint:
            part = checkpoint(_chunk_log_sum_weights, *args, use_reentrant=False)
        else:
            part = _chunk_log_sum_weights(*args)
        total = part if total is None else torch.logaddexp(total, part)
    return total - math.log(k)


# ---------------------------------------------------------------------------------------
# Gradient estimators
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class GradientEstimate:
    """A Monte-Carlo estimate of ``∇_{mean, log_var} E_{z~q}[f(z)]`` and its per-sample terms.

    Attributes
    ----------
    grad_mean : Tensor, shape (d,)
        Estimate of the gradient with respect to ``mean`` (mean of the per-sample terms).
    grad_log_var : Tensor, shape (d,)
        Estimate of the gradient with respect to ``log_var``.
    per_sample : Tensor, shape (n_samples, 2d)
        The per-sample estimates ``[mean part, log_var part]``, whose mean is the estimate.
    """

    grad_mean: torch.Tensor
    grad_log_var: torch.Tensor
    per_sample: torch.Tensor

    @property
    def n_samples(self) -> int:
        return self.per_sample.shape[0]

    @property
    def variance(self) -> torch.Tensor:
        """Unbiased variance of the per-sample estimates, shape (2d,) (NaN when n = 1)."""
        return self.per_sample.var(dim=0, correction=1)

    @property
    def standard_error(self) -> torch.Tensor:
        """``sqrt(variance / n)``, shape (2d,): the standard error of the estimate (for
        independent per-sample terms)."""
        return torch.sqrt(self.variance / self.n_samples)


def _gradient_inputs(mean, log_var, n_samples):
    mean, log_var = _diag_gaussian(mean, log_var)
    if mean.ndim != 1 or mean.shape != log_var.shape:
        raise ValueError(f"mean and log_var must both have shape (d,), got {tuple(mean.shape)} "
                         f"and {tuple(log_var.shape)}")
    return mean.detach(), log_var.detach(), require_int(n_samples, "n_samples")


def _call_f(f, z: torch.Tensor) -> torch.Tensor:
    out = f(z)
    if not isinstance(out, torch.Tensor) or out.shape != z.shape[:1]:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"f must map z of shape {tuple(z.shape)} to a tensor of shape ({z.shape[0]},), got {got}")
    return out


def score_function_gradient(f: Callable, mean, log_var, n_samples: int, baseline=None,
                            generator=None) -> GradientEstimate:
    """Score-function (REINFORCE) estimate of ``∇ E_{z~q}[f(z)]``, ``q = N(mean, diag e^{log_var})``.

    From ``∇ E_q[f] = E_q[f(z) ∇ log q(z)]`` (and ``E_q[∇ log q] = 0``), the per-sample
    estimate is ``(f(z_i) - b_i) ∇ log q(z_i)`` with, for ``σ² = e^{log_var}``,

    ``∇_mean log q(z) = (z - mean) / σ²``,   ``∇_{log_var} log q(z) = 1/2 [(z - mean)² / σ² - 1]``.

    ``f`` is only evaluated (under ``torch.no_grad``), never differentiated: it may be a
    black box or discontinuous.

    Parameters
    ----------
    f : callable
        Maps ``z`` of shape ``(n, d)`` to ``(n,)``.
    mean, log_var : Tensor, shape (d,)
    n_samples : int
        ``n >= 1`` (``>= 2`` for the leave-one-out baseline).
    baseline : None, float or "leave_one_out"
        ``None``: ``b_i = 0``. A float: the constant ``b_i = b``. ``"leave_one_out"``:
        ``b_i = 1/(n-1) Σ_{j≠i} f(z_j)``, which is independent of ``z_i`` and so keeps the
        estimate unbiased (the per-sample terms are then slightly dependent, so
        ``standard_error`` is approximate).
    generator : torch.Generator, int or None

    Returns
    -------
    GradientEstimate
    """
    mean, log_var, n = _gradient_inputs(mean, log_var, n_samples)
    if isinstance(baseline, str):
        if baseline != "leave_one_out":
            raise ValueError(f"baseline must be None, a float or 'leave_one_out', got {baseline!r}")
        if n < 2:
            raise ValueError(f"the leave_one_out baseline needs n_samples >= 2, got {n}")
    elif baseline is not None and (isinstance(baseline, bool) or not isinstance(baseline, numbers.Real)
                                   or not math.isfinite(baseline)):
        raise ValueError(f"baseline must be None, a finite float or 'leave_one_out', got {baseline!r}")
    generator = as_generator(generator)
    with torch.no_grad():
        z = rsample_diag_gaussian(mean, log_var, n, generator)  # (n, d)
        values = _call_f(f, z).to(mean)
        require_finite(values, "f(z)")
        if baseline is None:
            centred = values
        elif baseline == "leave_one_out":
            centred = values - (values.sum() - values) / (n - 1)
        else:
            centred = values - float(baseline)
        diff = z - mean
        inv_var = torch.exp(-log_var)
        score = torch.cat([diff * inv_var, 0.5 * (diff.square() * inv_var - 1.0)], dim=1)  # (n, 2d)
        per_sample = centred[:, None] * score
        estimate = per_sample.mean(dim=0)
    d = mean.shape[0]
    return GradientEstimate(estimate[:d], estimate[d:], per_sample)


def pathwise_gradient(f: Callable, mean, log_var, n_samples: int, generator=None) -> GradientEstimate:
    """Pathwise (reparameterisation) estimate of ``∇ E_{z~q}[f(z)]``, ``q = N(mean, diag e^{log_var})``.

    With ``z_i = mean + σ ε_i``, ``σ = e^{log_var / 2}``, the chain rule gives the per-sample
    estimates ``∇_mean f(z_i) = ∇f(z_i)`` and ``∇_{log_var} f(z_i) = ∇f(z_i) * σ ε_i / 2``
    (elementwise). All ``n`` gradients ``∇f(z_i)`` come from one backward pass of
    ``Σ_i f(z_i)`` with respect to ``z``.

    That shortcut requires ``f`` to act on the rows of ``z`` independently (``f(z)[i]``
    depends on ``z[i]`` only — no batch statistics such as batch normalisation), and ``f`` must
    be differentiable in torch.

    Parameters
    ----------
    f : callable
        Maps ``z`` of shape ``(n, d)`` to ``(n,)``, row by row.
    mean, log_var : Tensor, shape (d,)
    n_samples : int
    generator : torch.Generator, int or None

    Returns
    -------
    GradientEstimate
    """
    mean, log_var, n = _gradient_inputs(mean, log_var, n_samples)
    generator = as_generator(generator)
    eps = standard_normal((n, mean.shape[0]), mean, generator)
    scaled_eps = torch.exp(0.5 * log_var) * eps
    z = (mean + scaled_eps).requires_grad_(True)
    with torch.enable_grad():
        values = _call_f(f, z)
        if not values.requires_grad:
            raise ValueError("f(z) does not depend differentiably on z; use score_function_gradient "
                             "for functions torch cannot differentiate")
        (grad_z,) = torch.autograd.grad(values.sum(), z)
    require_finite(grad_z, "the gradient of f")
    per_sample = torch.cat([grad_z, 0.5 * grad_z * scaled_eps], dim=1)
    estimate = per_sample.mean(dim=0)
    d = mean.shape[0]
    return GradientEstimate(estimate[:d], estimate[d:], per_sample)


# ---------------------------------------------------------------------------------------
# An exactly solvable model
# ---------------------------------------------------------------------------------------
class LinearGaussianModel:
    """Probabilistic PCA: ``p(z) = N(0, I_k)``, ``p(x | z) = N(W z + b, σ² I_d)``.

    Everything is available in closed form, which makes it the test bed for variational
    methods:

    * marginal: ``p(x) = N(b, W Wᵀ + σ² I_d)``;
    * posterior (Bayes' rule for a linear-Gaussian model): with ``M = WᵀW + σ² I_k``,
      ``p(z | x) = N(M⁻¹ Wᵀ (x - b), σ² M⁻¹)`` — the covariance is the same for every ``x``.

    Parameters
    ----------
    weight : Tensor, shape (d, k)
    bias : Tensor, shape (d,)
    noise_var : float
        ``σ² > 0``.

    Attributes
    ----------
    weight, bias, noise_var
        As given (``noise_var`` as a Python float; ``bias`` in ``weight``'s dtype/device).
    """

    def __init__(self, weight, bias, noise_var: float):
        weight = as_float_tensor(weight, "weight", ndim=2)
        require_finite(weight, "weight")
        bias = as_float_tensor(bias, "bias", ndim=1, like=weight)
        require_finite(bias, "bias")
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(f"bias must have shape ({weight.shape[0]},) to match weight of shape "
                             f"{tuple(weight.shape)}, got {tuple(bias.shape)}")
        if isinstance(noise_var, torch.Tensor):
            if noise_var.numel() != 1:
                raise ValueError(f"noise_var must be a positive number, got a tensor of shape {tuple(noise_var.shape)}")
            noise_var = float(noise_var)
        require_positive(noise_var, "noise_var")
        self.weight, self.bias, self.noise_var = weight, bias, float(noise_var)

    @classmethod
    def random(cls, d: int, k: int, noise_var: float, generator=None,
               dtype: torch.dtype = torch.float64) -> "LinearGaussianModel":
        """A model with standard normal ``weight`` (``d × k``) and ``bias`` entries."""
        d, k = require_int(d, "d"), require_int(k, "k")
        generator = as_generator(generator)
        weight = torch.randn(d, k, generator=generator, dtype=dtype)
        bias = torch.randn(d, generator=generator, dtype=dtype)
        return cls(weight, bias, noise_var)

    def __repr__(self) -> str:
        d, k = self.weight.shape
        return f"LinearGaussianModel(d={d}, k={k}, noise_var={self.noise_var:g})"

    @property
    def d(self) -> int:
        return self.weight.shape[0]

    @property
    def k(self) -> int:
        return self.weight.shape[1]

    def _x(self, x) -> torch.Tensor:
        x = as_float_tensor(x, "x", ndim=2, like=self.weight)
        if x.shape[1] != self.d:
            raise ValueError(f"x must have shape (batch, {self.d}), got {tuple(x.shape)}")
        require_finite(x, "x")
        return x

    def log_likelihood(self, x, z) -> torch.Tensor:
        """``log p(x | z) = -1/2 [d log(2π σ²) + ||x - W z - b||² / σ²]``.

        ``x`` of shape ``(batch, d)`` and ``z`` of shape ``(..., batch, k)`` give ``(..., batch)``.
        """
        x = self._x(x)
        z = as_float_tensor(z, "z", like=self.weight)
        if z.ndim < 1 or z.shape[-1] != self.k:
            raise ValueError(f"z must have shape (..., batch, {self.k}), got {tuple(z.shape)}")
        residual = x - (z @ self.weight.T + self.bias)
        return -0.5 * (self.d * math.log(2 * math.pi * self.noise_var)
                       + residual.square().sum(dim=-1) / self.noise_var)

    def log_joint(self, x, z) -> torch.Tensor:
        """``log p(x, z) = log p(x | z) + log N(z; 0, I_k)``, shape ``(..., batch)``."""
        z = as_float_tensor(z, "z", like=self.weight)
        return self.log_likelihood(x, z) + _standard_normal_log_prob(z)

    def log_marginal(self, x) -> torch.Tensor:
        """Exact ``log p(x) = log N(x; b, W Wᵀ + σ² I_d)``, via its Cholesky factor; shape (batch,)."""
        x = self._x(x)
        cov = self.weight @ self.weight.T + self.noise_var * torch.eye(self.d, dtype=x.dtype, device=x.device)
        chol = torch.linalg.cholesky(cov)
        white = torch.linalg.solve_triangular(chol, (x - self.bias).T, upper=False)  # (d, batch)
        half_log_det = torch.log(torch.diagonal(chol)).sum()
        return -0.5 * (self.d * LOG_2PI + white.square().sum(dim=0)) - half_log_det

    def posterior(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact ``p(z | x) = N(M⁻¹ Wᵀ (x - b), σ² M⁻¹)``, ``M = WᵀW + σ² I_k``.

        Returns
        -------
        mean : Tensor, shape (batch, k)
        cov : Tensor, shape (k, k)
            Shared by all data points.
        """
        x = self._x(x)
        eye = torch.eye(self.k, dtype=x.dtype, device=x.device)
        chol = torch.linalg.cholesky(self.weight.T @ self.weight + self.noise_var * eye)
        mean = torch.cholesky_solve(self.weight.T @ (x - self.bias).T, chol).T
        cov = self.noise_var * torch.cholesky_inverse(chol)
        return mean, 0.5 * (cov + cov.T)

    def sample(self, n: int, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` draws ``z ~ N(0, I_k)``, ``x = W z + b + σ ε``; returns ``(x (n, d), z (n, k))``."""
        n = require_int(n, "n")
        generator = as_generator(generator)
        z = standard_normal((n, self.k), self.weight, generator)
        noise = standard_normal((n, self.d), self.weight, generator)
        x = z @ self.weight.T + self.bias + math.sqrt(self.noise_var) * noise
        return x, z
