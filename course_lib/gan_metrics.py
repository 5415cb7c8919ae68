"""Measuring GANs: mode coverage on toy mixtures, classifier-based scores on digits, and exact
optimal-transport distances.

* Mode coverage (the protocol of VEEGAN, Srivastava et al., 2017, and PacGAN, Lin et al.,
  2018): draw 2,500 samples from the generator of a 2-D mixture with known centres; a sample
  is *high quality* if it lies within ``n_std`` (3) standard deviations of its nearest
  centre; a mode is *recovered* if it is the nearest centre of at least one high-quality
  sample (:func:`mode_coverage`, with :func:`ring_protocol` and :func:`grid_protocol`).
* Digits: a small classifier trained here (:func:`train_mnist_classifier`, no downloaded
  weights) gives the classes a generator covers (:func:`digit_metrics`) and a Fréchet
  distance between its penultimate features on real and generated images
  (:func:`frechet_distance`, the MNIST analogue of FID).
* Exact Wasserstein-1 distances to compare with a critic's estimate:
  :func:`wasserstein1_1d` from sorted samples, :func:`wasserstein1_exact` in any dimension
  with POT's network-simplex solver.

Examples
--------
>>> from course_lib.data import ring_of_gaussians
>>> centres, std = ring_protocol()
>>> x = ring_of_gaussians(PROTOCOL_N_SAMPLES, radius=1.0, std=std, seed=0)
>>> mode_coverage(x, centres, std).n_modes
8
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._validate import as_float_tensor, make_generator, require_finite, require_int, require_real
from .data.toy import grid_centres, ring_centres
from .quick import progress_bar

__all__ = [
    "PROTOCOL_N_SAMPLES",
    "ModeCoverage",
    "mode_coverage",
    "ring_protocol",
    "grid_protocol",
    "DigitClassifier",
    "train_mnist_classifier",
    "classifier_accuracy",
    "DigitMetrics",
    "digit_metrics",
    "frechet_distance_gaussians",
    "frechet_distance",
    "wasserstein1_1d",
    "wasserstein1_exact",
]

#: Number of generated samples in the VEEGAN / PacGAN mode-coverage protocol.
PROTOCOL_N_SAMPLES = 2500


# ---------------------------------------------------------------------------------------
# Mode coverage
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModeCoverage:
    """Result of :func:`mode_coverage`.

    Attributes
    ----------
    n_modes : int
        Modes recovered: nearest centre of at least one high-quality sample.
    n_modes_strict : int
        Modes that are the nearest centre of at least ``min_fraction`` of the high-quality
        samples (and of at least one).
    high_quality_fraction : float
        Fraction of samples within ``n_std · std`` of their nearest centre.
    reverse_kl : float
        ``KL(h || uniform)`` in nats, ``h`` the histogram of nearest modes over the
        high-quality samples; ``log K`` if all fall in one mode, NaN if there are none.
    counts : Tensor, shape (K,)
        High-quality samples per mode (int64, CPU).
    n_total_modes : int
        ``K``.
    """

    n_modes: int
    n_modes_strict: int
    high_quality_fraction: float
    reverse_kl: float
    counts: torch.Tensor
    n_total_modes: int


def mode_coverage(samples, centres, std: float, n_std: float = 3.0, min_fraction: float = 0.01) -> ModeCoverage:
    """Mode coverage of generated samples of a mixture with known, equal-width modes.

    Each sample is assigned to its nearest centre (Euclidean). It is *high quality* if its
    distance to that centre is at most ``n_std * std`` (the boundary counts as inside). A
    mode is *recovered* if at least one high-quality sample is assigned to it (VEEGAN,
    PacGAN); the stricter count requires at least ``min_fraction`` of the high-quality
    samples (1 % by default, i.e. 25 of 2,500 perfect samples). The reverse KL compares the
    histogram of modes of the high-quality samples with the uniform weights of the data.

    Parameters
    ----------
    samples : Tensor, shape (n, d)
    centres : Tensor, shape (K, d)
        Mode centres, e.g. from :func:`ring_protocol` / :func:`grid_protocol`.
    std : float
        Standard deviation of each mode (positive).
    n_std : float
        Radius of a high-quality sample, in standard deviations.
    min_fraction : float
        Share of the high-quality samples a mode needs in the strict count, in [0, 1].

    Returns
    -------
    ModeCoverage
    """
    samples = as_float_tensor(samples, "samples", ndim=2).to(torch.float64)
    centres = as_float_tensor(centres, "centres", ndim=2).to(torch.float64).to(samples.device)
    require_finite(samples, "samples")
    require_finite(centres, "centres")
    if samples.shape[0] == 0 or centres.shape[0] == 0:
        raise ValueError("samples and centres must not be empty")
    if samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples and centres must have the same dimension, got {samples.shape[1]} "
                         f"and {centres.shape[1]}")
    std = require_real(std, "std", positive=True)
    n_std = require_real(n_std, "n_std", positive=True)
    min_fraction = require_real(min_fraction, "min_fraction")
    if min_fraction > 1:
        raise ValueError(f"min_fraction must be in [0, 1], got {min_fraction}")
    k = centres.shape[0]
    # squared distances by explicit differences (no |a|² + |b|² - 2ab cancellation), in chunks
    nearest, sq_dist = [], []
    for chunk in samples.split(max(1, 2 ** 20 // k)):
        d2 = (chunk[:, None, :] - centres[None, :, :]).square().sum(-1)
        best, idx = d2.min(dim=1)
        nearest.append(idx)
        sq_dist.append(best)
    nearest, sq_dist = torch.cat(nearest), torch.cat(sq_dist)
    good = sq_dist <= (n_std * std) ** 2
    counts = torch.bincount(nearest[good], minlength=k).cpu()
    n_good = int(good.sum())
    if n_good == 0:
        reverse_kl = math.nan
    else:
        h = counts.to(torch.float64) / n_good
        reverse_kl = float(torch.special.xlogy(h, h * k).sum())
    strict = (counts > 0) & (counts >= min_fraction * n_good)
    return ModeCoverage(
        n_modes=int((counts > 0).sum()),
        n_modes_strict=int(strict.sum()),
        high_quality_fraction=n_good / samples.shape[0],
        reverse_kl=reverse_kl,
        counts=counts,
        n_total_modes=k,
    )


def ring_protocol(n_modes: int = 8, radius: float = 1.0, std: float = 0.01) -> tuple[torch.Tensor, float]:
    """Centres and width of the ring benchmark: by default PacGAN's 8 modes, radius 1, σ 0.01.

    The course's own ring (``course_lib.data.ring_of_gaussians`` defaults) is
    ``ring_protocol(radius=2.0, std=0.02)``; sample the data with the same arguments, e.g.
    ``ring_of_gaussians(n, radius=1.0, std=0.01)``.

    Returns
    -------
    centres : Tensor, shape (n_modes, 2), float64
    std : float
    """
    return ring_centres(n_modes, radius, dtype=torch.float64), require_real(std, "std", positive=True)


def grid_protocol(grid_size: int = 5, spacing: float = 2.0, std: float = 0.05) -> tuple[torch.Tensor, float]:
    """Centres and width of the grid benchmark: 25 modes on ``{-4, -2, 0, 2, 4}²``, σ 0.05.

    These are ``course_lib.data.grid_of_gaussians``'s defaults.

    Returns
    -------
    centres : Tensor, shape (grid_size², 2), float64
    std : float
    """
    return grid_centres(grid_size, spacing, dtype=torch.float64), require_real(std, "std", positive=True)


# ---------------------------------------------------------------------------------------
# A small digit classifier and the scores built on it
# ---------------------------------------------------------------------------------------
class DigitClassifier(nn.Module):
    """An MLP ``x (b, in_dim) -> 10`` logits, with ReLU hidden layers of width ``hidden``
    and ``hidden // 2``; the second hidden layer is the feature space of
    :func:`frechet_distance` (:meth:`features`).

    Images of any shape ``(b, ...)`` are flattened; pixels are expected in [0, 1].
    """

    def __init__(self, in_dim: int, hidden: int = 256, n_classes: int = 10):
        super().__init__()
        self.in_dim = require_int(in_dim, "in_dim")
        hidden = require_int(hidden, "hidden", smallest=2)
        self.n_classes = require_int(n_classes, "n_classes", smallest=2)
        self.body = nn.Sequential(nn.Linear(self.in_dim, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden // 2), nn.ReLU())
        self.head = nn.Linear(hidden // 2, self.n_classes)

    def _flat(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], -1) if x.ndim > 1 else x
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"x must have {self.in_dim} values per image, got shape {tuple(x.shape)}")
        return x.to(self.head.weight.dtype)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features, shape ``(b, hidden // 2)``."""
        return self.body(self._flat(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits, shape ``(b, n_classes)``."""
        return self.head(self.features(x))


def train_mnist_classifier(x, y, epochs: int = 10, seed: int = 0, batch_size: int = 128, lr: float = 1e-3,
                           hidden: int = 256, progress: bool = False) -> DigitClassifier:
    """Train a :class:`DigitClassifier` with Adam and cross-entropy on labelled images.

    Meant for MNIST (``(60000, 784)``: about 1 s per epoch on one CPU thread) or the 8×8
    digits (``(n, 64)``) of ``course_lib.data.load_digits``; training runs on ``x``'s device
    and is reproducible through ``seed`` (PyTorch's global state is left as it was).

    Parameters
    ----------
    x : Tensor, shape (N, ...)
        Images with pixels in [0, 1] (rescale GAN outputs in [-1, 1] before scoring them).
    y : Tensor, shape (N,)
        Integer labels in ``0..9``.
    epochs : int
        Passes over the data.
    seed : int
        Seed of the weights and of the minibatch order.
    batch_size, lr, hidden
        Minibatch size, Adam learning rate, first hidden width.
    progress : bool
        Show a ``tqdm`` bar over epochs.

    Returns
    -------
    DigitClassifier
        In evaluation mode.
    """
    x = as_float_tensor(x, "x")
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (N, ...) with N >= 1, got {tuple(x.shape)}")
    x = x.reshape(x.shape[0], -1)
    require_finite(x, "x")
    y = torch.as_tensor(y, device=x.device)
    if y.shape != (x.shape[0],) or y.is_floating_point() or bool((y < 0).any()) or bool((y > 9).any()):
        raise ValueError(f"y must hold {x.shape[0]} integer labels in 0..9")
    epochs = require_int(epochs, "epochs")
    batch_size = require_int(batch_size, "batch_size")
    lr = require_real(lr, "lr", positive=True)
    rng = make_generator(seed)
    devices = [x.device.index or 0] if x.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        model = DigitClassifier(x.shape[1], hidden=hidden).to(device=x.device, dtype=x.dtype)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in progress_bar(range(epochs), desc="classifier", disable=not progress):
        for idx in torch.randperm(x.shape[0], generator=rng).to(x.device).split(batch_size):
            optimizer.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(x[idx]), y[idx].long()).backward()
            optimizer.step()
    return model.eval()


@torch.no_grad()
def classifier_accuracy(classifier: nn.Module, x, y) -> float:
    """Fraction of ``x`` whose arg-max class is ``y``."""
    x = as_float_tensor(x, "x")
    y = torch.as_tensor(y, device=x.device)
    return float((classifier(x).argmax(dim=1) == y).double().mean())


@dataclass(frozen=True)
class DigitMetrics:
    """Result of :func:`digit_metrics`.

    Attributes
    ----------
    n_classes_covered : int
        Classes predicted for at least one sample.
    kl_from_uniform : float
        ``KL(h || uniform)`` in nats of the predicted-label histogram ``h``: 0 for perfectly
        balanced samples, ``log 10`` if every sample gets the same label.
    counts : Tensor, shape (n_classes,)
        Samples per predicted class (int64, CPU).
    """

    n_classes_covered: int
    kl_from_uniform: float
    counts: torch.Tensor


@torch.no_grad()
def digit_metrics(classifier: DigitClassifier, samples) -> DigitMetrics:
    """Label coverage of generated digits, as judged by ``classifier``.

    Parameters
    ----------
    classifier : DigitClassifier
        E.g. from :func:`train_mnist_classifier`.
    samples : Tensor, shape (n, ...)
        Generated images, pixels in [0, 1] like the classifier's training data.

    Returns
    -------
    DigitMetrics
    """
    samples = as_float_tensor(samples, "samples")
    if samples.ndim < 2 or samples.shape[0] == 0:
        raise ValueError(f"samples must have shape (n, ...) with n >= 1, got {tuple(samples.shape)}")
    require_finite(samples, "samples")
    k = classifier.n_classes
    counts = torch.bincount(classifier(samples).argmax(dim=1), minlength=k).cpu()
    h = counts.to(torch.float64) / counts.sum()
    return DigitMetrics(int((counts > 0).sum()), float(torch.special.xlogy(h, h * k).sum()), counts)


def frechet_distance_gaussians(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet (2-Wasserstein squared) distance of two Gaussians.

    ``||μ1 - μ2||² + Tr(Σ1 + Σ2 - 2 (Σ1 Σ2)^{1/2})``. The trace of the matrix square root is
    computed from symmetric eigen-decompositions: ``Σ1 Σ2`` is similar to the positive
    semi-definite ``S = Σ1^{1/2} Σ2 Σ1^{1/2}``, so ``Tr (Σ1 Σ2)^{1/2} = Σ_i sqrt(λ_i(S))``
    (negative round-off eigenvalues clipped to 0). This avoids ``scipy.linalg.sqrtm``'s
    complex results on nearly singular covariances.

    Parameters
    ----------
    mu1, mu2 : array, shape (d,)
    sigma1, sigma2 : array, shape (d, d)
        Symmetric positive semi-definite covariances.

    Returns
    -------
    float
        Non-negative up to round-off (clipped at 0).
    """
    mu1 = as_float_tensor(mu1, "mu1", ndim=1).double().cpu()
    mu2 = as_float_tensor(mu2, "mu2", ndim=1).double().cpu()
    s1 = as_float_tensor(sigma1, "sigma1", ndim=2).double().cpu()
    s2 = as_float_tensor(sigma2, "sigma2", ndim=2).double().cpu()
    d = mu1.shape[0]
    if mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(f"mu1, mu2 must have shape (d,) and sigma1, sigma2 shape (d, d); got {tuple(mu1.shape)}, "
                         f"{tuple(mu2.shape)}, {tuple(s1.shape)}, {tuple(s2.shape)}")
    for t, name in ((mu1, "mu1"), (mu2, "mu2"), (s1, "sigma1"), (s2, "sigma2")):
        require_finite(t, name)
    lam1, v1 = torch.linalg.eigh((s1 + s1.T) / 2)
    root1 = (v1 * lam1.clamp_min(0).sqrt()) @ v1.T
    s = root1 @ s2 @ root1
    tr_root = torch.linalg.eigvalsh((s + s.T) / 2).clamp_min(0).sqrt().sum()
    value = (mu1 - mu2).square().sum() + torch.trace(s1) + torch.trace(s2) - 2 * tr_root
    return max(float(value), 0.0)


@torch.no_grad()
def frechet_distance(classifier: DigitClassifier, real, fake) -> float:
    """The Fréchet distance between real and generated images in ``classifier``'s features.

    Fits a Gaussian (mean, unbiased covariance, in float64) to the penultimate features
    (:meth:`DigitClassifier.features`) of each set and returns
    :func:`frechet_distance_gaussians` of the two: the MNIST analogue of the FID, which uses
    Inception features. It is biased upwards for small sets: compare sets of equal size.

    Parameters
    ----------
    classifier : DigitClassifier
    real, fake : Tensor, shape (n, ...), (m, ...)
        Images, pixels in [0, 1]; at least 2 of each.

    Returns
    -------
    float
    """
    stats = []
    for t, name in ((real, "real"), (fake, "fake")):
        t = as_float_tensor(t, name)
        if t.ndim < 2 or t.shape[0] < 2:
            raise ValueError(f"{name} must have shape (n, ...) with n >= 2, got {tuple(t.shape)}")
        require_finite(t, name)
        f = classifier.features(t).double()
        stats += [f.mean(0), torch.cov(f.T)]
    return frechet_distance_gaussians(*stats)


# ---------------------------------------------------------------------------------------
# Exact Wasserstein-1 distances
# ---------------------------------------------------------------------------------------
def _as_numpy_1d(v, name: str) -> np.ndarray:
    t = as_float_tensor(v, name).detach()
    if t.ndim == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if t.ndim != 1 or t.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n,) or (n, 1) with n >= 1, got {tuple(t.shape)}")
    require_finite(t, name)
    return t.cpu().double().numpy()


def wasserstein1_1d(x, y) -> float:
    """Exact ``W1`` between the empirical distributions of two 1-D samples.

    With equal sizes the optimal coupling pairs order statistics:
    ``W1 = mean |x_(i) - y_(i)|``. With unequal sizes ``W1 = ∫ |F_x(t) - F_y(t)| dt``, the
    integral of the difference of the empirical CDFs, evaluated exactly between consecutive
    points of the pooled sample (the same value as ``scipy.stats.wasserstein_distance``).

    Parameters
    ----------
    x : array, shape (n,) or (n, 1)
    y : array, shape (m,) or (m, 1)

    Returns
    -------
    float
    """
    x, y = np.sort(_as_numpy_1d(x, "x")), np.sort(_as_numpy_1d(y, "y"))
    if x.size == y.size:
        return float(np.abs(x - y).mean())
    pooled = np.sort(np.concatenate([x, y]))
    widths = np.diff(pooled)
    cdf_x = np.searchsorted(x, pooled[:-1], side="right") / x.size
    cdf_y = np.searchsorted(y, pooled[:-1], side="right") / y.size
    return float(np.sum(np.abs(cdf_x - cdf_y) * widths))


def wasserstein1_exact(x, y) -> float:
    """Exact ``W1`` between two empirical distributions in any dimension, with POT.

    Solves the transport linear program ``min_P Σ P_ij ||x_i - y_j||`` over couplings of the
    uniform weights ``1/n`` and ``1/m`` with ``ot.emd2`` (network simplex) on the Euclidean
    cost matrix ``ot.dist(x, y, metric="euclidean")``. Cost and memory grow like ``n m``
    (time roughly cubically): meant for samples of at most a few thousand points. POT is
    imported on the first call, which takes a few seconds.

    Parameters
    ----------
    x : array, shape (n, d) (or (n,) for 1-D)
    y : array, shape (m, d) (or (m,))

    Returns
    -------
    float
    """
    import ot

    arrays = []
    for v, name in ((x, "x"), (y, "y")):
        t = as_float_tensor(v, name).detach()
        if t.ndim == 1:
            t = t[:, None]
        if t.ndim != 2 or t.shape[0] == 0:
            raise ValueError(f"{name} must have shape (n, d) with n >= 1, got {tuple(t.shape)}")
        require_finite(t, name)
        arrays.append(t.cpu().double().numpy())
    x, y = arrays
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension, got {x.shape[1]} and {y.shape[1]}")
    a = np.full(x.shape[0], 1.0 / x.shape[0])
    b = np.full(y.shape[0], 1.0 / y.shape[0])
    return float(ot.emd2(a, b, ot.dist(x, y, metric="euclidean")))
