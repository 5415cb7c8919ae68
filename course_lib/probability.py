"""Probability basics: Gaussian log-density, maximum likelihood and conjugate MAP estimates.

These are the reference answers for lecture 01 and assignment a01. Everything is computed in
log space and works on whatever device the inputs are on.
"""
from __future__ import annotations

import math

import torch

from ._validate import as_float_tensor, require_finite, require_positive

__all__ = [
    "gaussian_log_prob",
    "gaussian_mle",
    "poisson_mle",
    "gaussian_mean_map",
    "poisson_rate_map",
    "kl_normal",
]

LOG_2PI = math.log(2.0 * math.pi)


def gaussian_log_prob(x, mean, cov) -> torch.Tensor:
    """Log-density of a multivariate Gaussian, computed stably through a Cholesky factor.

    ``log N(x | mu, Sigma) = -1/2 ||L^{-1}(x - mu)||^2 - sum_i log L_ii - d/2 log(2 pi)``
    with ``Sigma = L L^T``. No determinant or inverse is ever formed.

    Parameters
    ----------
    x : Tensor, shape (n, d)
    mean : Tensor, shape (d,)
    cov : Tensor, shape (d, d), symmetric positive definite

    Returns
    -------
    Tensor, shape (n,)
    """
    x = as_float_tensor(x, "x", ndim=2)
    mean = as_float_tensor(mean, "mean", ndim=1, like=x)
    cov = as_float_tensor(cov, "cov", ndim=2, like=x)
    d = x.shape[1]
    if mean.shape != (d,) or cov.shape != (d, d):
        raise ValueError(
            f"shapes do not match: x is {tuple(x.shape)}, so mean must be ({d},) and cov ({d}, {d}); "
            f"got mean {tuple(mean.shape)} and cov {tuple(cov.shape)}"
        )
    for name, t in (("x", x), ("mean", mean), ("cov", cov)):
        require_finite(t, name)
    chol, info = torch.linalg.cholesky_ex(cov)
    if int(info.max()) != 0:
        raise ValueError("cov is not symmetric positive definite (its Cholesky factorisation failed)")
    z = torch.linalg.solve_triangular(chol, (x - mean).T, upper=False)  # (d, n)
    half_log_det = torch.log(torch.diagonal(chol)).sum()
    return -0.5 * (z * z).sum(dim=0) - half_log_det - 0.5 * d * LOG_2PI


def gaussian_mle(x) -> tuple[torch.Tensor, torch.Tensor]:
    """Maximum-likelihood mean and covariance of a Gaussian.

    Parameters
    ----------
    x : Tensor, shape (n, d)

    Returns
    -------
    mean : Tensor, shape (d,)
    cov : Tensor, shape (d, d), normalised by ``n`` (the MLE, biased), not ``n - 1``
    """
    x = as_float_tensor(x, "x", ndim=2)
    require_finite(x, "x")
    if x.shape[0] < 1:
        raise ValueError("x must contain at least one sample")
    mean = x.mean(dim=0)
    centred = x - mean
    return mean, centred.T @ centred / x.shape[0]


def poisson_mle(k) -> torch.Tensor:
    """Maximum-likelihood rate of a Poisson distribution: the sample mean.

    Parameters
    ----------
    k : Tensor, shape (n,), non-negative counts

    Returns
    -------
    Tensor, shape ()
    """
    k = _counts(k)
    return k.mean()


def gaussian_mean_map(x, noise_var, prior_mean, prior_var) -> torch.Tensor:
    """MAP (= posterior mean) of a Gaussian mean with known variance and a Gaussian prior.

    Model: ``x_i ~ N(mu, noise_var)`` independently, ``mu ~ N(prior_mean, prior_var)``. The
    posterior is Gaussian with precision ``1/prior_var + n/noise_var`` and mean

    ``(prior_mean/prior_var + sum(x)/noise_var) / (1/prior_var + n/noise_var)``.

    Parameters
    ----------
    x : Tensor, shape (n,)
    noise_var, prior_var : positive floats
    prior_mean : float

    Returns
    -------
    Tensor, shape ()
    """
    x = as_float_tensor(x, "x", ndim=1)
    require_finite(x, "x")
    require_positive(noise_var, "noise_var")
    require_positive(prior_var, "prior_var")
    precision = 1.0 / prior_var + x.shape[0] / noise_var
    return (prior_mean / prior_var + x.sum() / noise_var) / precision


def poisson_rate_map(k, alpha, beta) -> torch.Tensor:
    """MAP rate of a Poisson likelihood under a Gamma(alpha, rate=beta) prior.

    The posterior is Gamma(alpha + sum k, beta + n), whose mode is
    ``(alpha + sum k - 1) / (beta + n)`` when ``alpha + sum k >= 1``.

    Parameters
    ----------
    k : Tensor, shape (n,), non-negative counts
    alpha, beta : positive floats (shape and rate of the prior)

    Returns
    -------
    Tensor, shape ()
    """
    k = _counts(k)
    require_positive(alpha, "alpha")
    require_positive(beta, "beta")
    shape = alpha + k.sum()
    if shape < 1:
        raise ValueError(
            f"the posterior Gamma has shape alpha + sum(k) = {float(shape):.3g} < 1, so its density "
            "is unbounded at 0 and there is no interior mode"
        )
    return (shape - 1) / (beta + k.shape[0])


def kl_normal(mu_p, sigma_p, mu_q, sigma_q) -> torch.Tensor:
    """KL(N(mu_p, sigma_p^2) || N(mu_q, sigma_q^2)) for univariate Gaussians, elementwise.

    ``log(sigma_q/sigma_p) + (sigma_p^2 + (mu_p - mu_q)^2) / (2 sigma_q^2) - 1/2``
    """
    mu_p, sigma_p, mu_q, sigma_q = torch.broadcast_tensors(
        *(torch.as_tensor(t, dtype=torch.get_default_dtype()) if not torch.is_tensor(t) else t
          for t in (mu_p, sigma_p, mu_q, sigma_q))
    )
    if bool((sigma_p <= 0).any()) or bool((sigma_q <= 0).any()):
        raise ValueError("standard deviations must be positive")
    return (torch.log(sigma_q / sigma_p)
            + (sigma_p**2 + (mu_p - mu_q) ** 2) / (2 * sigma_q**2) - 0.5)


def _counts(k) -> torch.Tensor:
    k = as_float_tensor(k, "k", ndim=1)
    require_finite(k, "k")
    if k.shape[0] < 1:
        raise ValueError("k must contain at least one count")
    if bool((k < 0).any()) or bool((k != torch.round(k)).any()):
        raise ValueError("k must hold non-negative integer counts")
    return k
