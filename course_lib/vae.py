"""Autoencoders and variational autoencoders.

* An **autoencoder** compresses ``x`` into a deterministic code ``h = f(x)`` and decodes it,
  ``x̂ = g(h)``; it is trained on the reconstruction error alone and is not a generative model.
* A **denoising autoencoder** (Vincent et al., 2008) reconstructs ``x`` from a corrupted copy
  ``x̃ ~ C(x̃ | x)``. Its reconstruction distribution ``P(x | x̃)`` and the corruption define a
  Markov chain ``x → x̃ → x → ...`` whose stationary distribution approaches the data
  distribution as ``P(x | x̃)`` approaches the true posterior (Bengio et al., 2013,
  "Generalized denoising auto-encoders as generative models"); *walkback* training also
  teaches the model to return from the points the chain visits.
* A **variational autoencoder** (Kingma and Welling, 2014; Rezende et al., 2014) is the
  latent-variable model ``p(z) = N(0, I)``, ``p_θ(x | z)`` = the decoder, fitted with an
  amortised Gaussian posterior ``q_φ(z | x) = N(μ(x), diag σ²(x))`` = the encoder, by
  maximising the ELBO ``E_q[log p(x | z)] - KL(q(z | x) || p(z))``. Its loss here is the
  negative ELBO (with a weight ``β`` on the KL, Higgins et al., 2017), in nats per image:

  ``loss = E_q[-log p(x | z)] + β KL(q(z | x) || N(0, I))``,

  the expectation estimated with one reparameterised sample and the KL in closed form
  (:func:`course_lib.vi.kl_diag_gaussian_standard_normal`).

Likelihoods. ``"bernoulli"``: the decoder returns logits ``ℓ`` and
``log p(x | z) = Σ_i [x_i log σ(ℓ_i) + (1 - x_i) log(1 - σ(ℓ_i))]`` (binary cross-entropy,
which also accepts grey levels in [0, 1]). ``"gaussian"``: the decoder returns the mean ``x̂``
and ``log p(x | z) = -1/2 Σ_i [log 2πσ² + (x_i - x̂_i)² / σ²]`` with ``σ`` fixed, learned, or
set to its maximum-likelihood value ``σ*² = mean (x - x̂)²`` (:func:`optimal_sigma2`; the
"σ-VAE" of Rybkin et al., 2021).

Shapes. Data are flattened, ``x`` of shape ``(batch, D)`` (``D = 784`` for MNIST); latent
samples ``z`` have shape ``(..., batch, d_z)``. ``model.encoder`` and ``model.log_likelihood``
have exactly the interface of :func:`course_lib.vi.elbo` and :func:`course_lib.vi.iwae_bound`.
Everything runs on the device of the model's parameters.

Examples
--------
>>> from course_lib.data import load_digits
>>> x, _ = load_digits()                                   # (1797, 64) in [0, 1]
>>> model = VAE(MLPEncoder(64, 128, 2), MLPDecoder(2, 128, 64))
>>> history = fit(model, x[:1500], x[1500:], epochs=5, batch_size=100, lr=1e-3,
...               progress=False)                          # doctest: +SKIP
>>> log_px = iwae_log_likelihood(model, x[1500:], k=100)   # (297,) nats  # doctest: +SKIP
"""
from __future__ import annotations

import copy
import math
import os
from typing import NamedTuple, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from .quick import progress_bar

from ._validate import as_float_tensor, as_generator, require_finite, require_int, require_real, standard_normal
from .data.binarize import DynamicallyBinarized, _bernoulli, _uniform
from .vi import (_kl_to_standard_normal, _reparameterise, elbo, iwae_bound, kl_diag_gaussian_standard_normal,
                 rsample_diag_gaussian)

__all__ = [
    "MLPEncoder",
    "MLPDecoder",
    "ConvEncoder",
    "ConvDecoder",
    "Autoencoder",
    "DenoisingAutoencoder",
    "VAE",
    "LossTerms",
    "LIKELIHOODS",
    "SIGMA_MODES",
    "optimal_sigma2",
    "bernoulli_log_likelihood",
    "gaussian_log_likelihood",
    "train_step",
    "fit",
    "save_checkpoint",
    "load_checkpoint",
    "iwae_log_likelihood",
    "elbo_over_dataset",
    "sample",
    "encode",
    "decode_latent_grid",
    "interpolate",
    "active_units",
]

LIKELIHOODS = ("bernoulli", "gaussian")
SIGMA_MODES = ("fixed", "learned", "optimal")
LOG_2PI = math.log(2.0 * math.pi)
IMAGE_SIDE = 28


class LossTerms(NamedTuple):
    """The terms of a loss, each a mean over the batch in nats per image.

    ``loss = reconstruction + β · kl``; ``kl`` is 0 for (denoising) autoencoders. Tensors
    from ``model.loss`` (``loss`` is differentiable), floats from :func:`train_step`.
    """

    loss: torch.Tensor | float
    reconstruction: torch.Tensor | float
    kl: torch.Tensor | float


# ---------------------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------------------
def _widths(hidden, name: str = "hidden") -> list[int]:
    if isinstance(hidden, Sequence) and not isinstance(hidden, str):
        widths = [require_int(h, name) for h in hidden]
    else:
        widths = [require_int(hidden, name)]
    return widths


def _mlp(in_dim: int, hidden: list[int], out_dim: int) -> nn.Sequential:
    layers, width = [], in_dim
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


def _check_last_dim(t: torch.Tensor, size: int, name: str, owner: str) -> None:
    if not isinstance(t, torch.Tensor) or t.ndim < 1 or t.shape[-1] != size:
        got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
        raise ValueError(f"{owner}: {name} must have shape (..., {size}), got {got}")


class MLPEncoder(nn.Module):
    """``x (batch, in_dim) -> (mean, log_var)``, each ``(batch, latent_dim)``.

    Hidden layers of the given widths with ReLU, then one linear layer of ``2 · latent_dim``
    outputs split into the mean and the log-variance of ``q(z | x)``.

    Parameters
    ----------
    in_dim : int
    hidden : int or sequence of int
        Width(s) of the hidden layer(s).
    latent_dim : int
    """

    def __init__(self, in_dim: int, hidden, latent_dim: int):
        super().__init__()
        self.in_dim = require_int(in_dim, "in_dim")
        self.latent_dim = require_int(latent_dim, "latent_dim")
        self.net = _mlp(self.in_dim, _widths(hidden), 2 * self.latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_last_dim(x, self.in_dim, "x", type(self).__name__)
        mean, log_var = self.net(x).chunk(2, dim=-1)
        return mean, log_var


class MLPDecoder(nn.Module):
    """``z (..., latent_dim) -> (..., out_dim)``: Bernoulli logits or Gaussian means.

    Parameters
    ----------
    latent_dim : int
    hidden : int or sequence of int
        Width(s) of the hidden layer(s) (ReLU).
    out_dim : int
    """

    def __init__(self, latent_dim: int, hidden, out_dim: int):
        super().__init__()
        self.latent_dim = require_int(latent_dim, "latent_dim")
        self.out_dim = require_int(out_dim, "out_dim")
        self.net = _mlp(self.latent_dim, _widths(hidden), self.out_dim)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        _check_last_dim(z, self.latent_dim, "z", type(self).__name__)
        return self.net(z)


class ConvEncoder(nn.Module):
    """A small convolutional encoder for 28×28 images given flattened: ``(batch, 784) -> (mean, log_var)``.

    ``1×28×28 → conv 4×4 stride 2 → c₁×14×14 → conv 4×4 stride 2 → c₂×7×7 → linear → 2·latent_dim``
    (ReLU after each convolution).

    Parameters
    ----------
    latent_dim : int
    channels : (int, int)
        Channels ``(c₁, c₂)`` of the two convolutions.
    """

    def __init__(self, latent_dim: int, channels: tuple[int, int] = (32, 64)):
        super().__init__()
        self.in_dim = IMAGE_SIDE * IMAGE_SIDE
        self.latent_dim = require_int(latent_dim, "latent_dim")
        c1, c2 = _conv_channels(channels)
        self.conv = nn.Sequential(
            nn.Conv2d(1, c1, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(),
        )
        self.head = nn.Linear(c2 * 7 * 7, 2 * self.latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_last_dim(x, self.in_dim, "x", type(self).__name__)
        lead = x.shape[:-1]
        h = self.conv(x.reshape(-1, 1, IMAGE_SIDE, IMAGE_SIDE))
        mean, log_var = self.head(h).reshape(*lead, 2 * self.latent_dim).chunk(2, dim=-1)
        return mean, log_var


class ConvDecoder(nn.Module):
    """A small transposed-convolution decoder: ``z (..., latent_dim) -> (..., 784)`` logits or means.

    ``linear → c₁×7×7 → transposed conv 4×4 stride 2 → c₂×14×14 → transposed conv 4×4 stride 2
    → 1×28×28`` (ReLU after the linear layer and the first transposed convolution), flattened.

    Parameters
    ----------
    latent_dim : int
    channels : (int, int)
        Channels ``(c₁, c₂)``.
    """

    def __init__(self, latent_dim: int, channels: tuple[int, int] = (64, 32)):
        super().__init__()
        self.latent_dim = require_int(latent_dim, "latent_dim")
        self.out_dim = IMAGE_SIDE * IMAGE_SIDE
        c1, c2 = _conv_channels(channels)
        self.c1 = c1
        self.fc = nn.Sequential(nn.Linear(self.latent_dim, c1 * 7 * 7), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(c1, c2, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c2, 1, 4, stride=2, padding=1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        _check_last_dim(z, self.latent_dim, "z", type(self).__name__)
        lead = z.shape[:-1]
        h = self.fc(z.reshape(-1, self.latent_dim)).reshape(-1, self.c1, 7, 7)
        return self.deconv(h).reshape(*lead, self.out_dim)


def _conv_channels(channels) -> tuple[int, int]:
    if not isinstance(channels, Sequence) or len(channels) != 2:
        raise ValueError(f"channels must be a pair of positive integers, got {channels!r}")
    return require_int(channels[0], "channels"), require_int(channels[1], "channels")


# ---------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------
def _check_choice(value, name: str, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def _data(x, model: nn.Module, name: str = "x") -> torch.Tensor:
    """``x`` as a ``(batch, D)`` tensor in the model's dtype, on the model's device."""
    param = next(model.parameters(), None)
    x = as_float_tensor(x, name)
    if param is not None:
        x = x.to(device=param.device, dtype=param.dtype)
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (batch, D) (flatten images first), got {tuple(x.shape)}")
    return x


def bernoulli_log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """``Σ_i log Bernoulli(x_i; sigmoid(logits_i))`` over the last dimension (x broadcast to logits)."""
    return -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(dim=-1)


def gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, sigma2) -> torch.Tensor:
    """``Σ_i log N(x_i; mean_i, σ²)`` over the last dimension; ``sigma2`` a scalar or broadcastable."""
    sigma2 = torch.as_tensor(sigma2, dtype=mean.dtype, device=mean.device)
    return -0.5 * (LOG_2PI + torch.log(sigma2) + (x - mean).square() / sigma2).sum(dim=-1)


def optimal_sigma2(x, x_hat) -> torch.Tensor:
    """The variance ``σ*²`` that maximises the Gaussian likelihood of ``x`` given the means ``x_hat``.

    For ``n`` values with residuals ``r = x - x̂``,
    ``Σ log N(x; x̂, σ²) = -n/2 log(2πσ²) - Σ r² / (2σ²)``; its derivative in ``σ²``,
    ``-n / (2σ²) + Σ r² / (2σ⁴)``, vanishes at ``σ*² = Σ r² / n``: the mean squared error
    over the whole batch (all samples, images and pixels).

    Parameters
    ----------
    x : Tensor, shape (batch, D)
    x_hat : Tensor, shape (..., batch, D)
        Broadcast against ``x``.

    Returns
    -------
    Tensor, shape ()
        Differentiable (with respect to ``x_hat``).
    """
    x = as_float_tensor(x, "x")
    x_hat = as_float_tensor(x_hat, "x_hat", like=x)
    try:
        residual = x - x_hat
    except RuntimeError:
        raise ValueError(f"x {tuple(x.shape)} and x_hat {tuple(x_hat.shape)} do not broadcast together") from None
    if residual.numel() == 0:
        raise ValueError("x and x_hat must not be empty")
    return residual.square().mean()


def _reconstruction_log_likelihood(x, out, likelihood: str, sigma2=1.0) -> torch.Tensor:
    if likelihood == "bernoulli":
        return bernoulli_log_likelihood(x, out)
    return gaussian_log_likelihood(x, out, sigma2)


def _device(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


# ---------------------------------------------------------------------------------------
# Autoencoders
# ---------------------------------------------------------------------------------------
class Autoencoder(nn.Module):
    """A deterministic autoencoder ``x̂ = decoder_net(encoder_net(x))``.

    The loss is the reconstruction error alone, ``-log p(x | x̂)`` summed over the pixels and
    averaged over the batch: binary cross-entropy (``"bernoulli"``, ``decoder_net`` returns
    logits) or ``1/2 ||x - x̂||² + D/2 log 2π`` (``"gaussian"`` with ``σ = 1``). Nothing makes
    the codes of unseen points meaningful, which is what the VAE adds.

    Parameters
    ----------
    encoder_net : nn.Module
        ``x (batch, D) -> h (batch, d_h)``; if it returns a pair (like :class:`MLPEncoder`),
        the first element is the code.
    decoder_net : nn.Module
        ``h (..., d_h) -> (..., D)``.
    likelihood : {"bernoulli", "gaussian"}
    """

    def __init__(self, encoder_net: nn.Module, decoder_net: nn.Module, likelihood: str = "bernoulli"):
        super().__init__()
        if not isinstance(encoder_net, nn.Module):
            raise ValueError(f"encoder_net must be an nn.Module, got {type(encoder_net).__name__}")
        if not isinstance(decoder_net, nn.Module):
            raise ValueError(f"decoder_net must be an nn.Module, got {type(decoder_net).__name__}")
        self.encoder, self.decoder = encoder_net, decoder_net
        self.likelihood = _check_choice(likelihood, "likelihood", LIKELIHOODS)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code ``h = encoder_net(x)``, shape (batch, d_h)."""
        h = self.encoder(x)
        return h[0] if isinstance(h, (tuple, list)) else h

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        """Decoder output (logits or means), shape (..., D)."""
        return self.decoder(h)

    def reconstruct(self, x) -> torch.Tensor:
        """``x̂`` in data space (probabilities for ``"bernoulli"``), shape (batch, D)."""
        out = self.decode(self.encode(_data(x, self)))
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def loss(self, x, generator=None) -> LossTerms:
        """Mean reconstruction loss ``-log p(x | x̂)`` in nats per image (``kl`` is 0).

        ``generator`` is unused (there is no randomness); it is accepted so that :func:`fit`
        treats all models alike.
        """
        x = _data(x, self)
        reconstruction = -_reconstruction_log_likelihood(x, self.decode(self.encode(x)), self.likelihood).mean()
        return LossTerms(reconstruction, reconstruction, torch.zeros_like(reconstruction))

    def forward(self, x) -> LossTerms:
        """``model(x)`` is ``model.loss(x)``."""
        return self.loss(x)


class DenoisingAutoencoder(Autoencoder):
    """An autoencoder trained to undo a corruption process, and the Markov chain it defines.

    Corruption ``C(x̃ | x)``: each coordinate is set to 0 with probability ``mask_prob``
    (masking noise), then Gaussian noise of standard deviation ``noise_std`` is added.
    Reconstruction distribution ``P(x | x̃)``: Bernoulli with logits ``decoder(encoder(x̃))``,
    or Gaussian with mean ``decoder(encoder(x̃))`` and a learned standard deviation
    ``exp(log_sigma)`` (one per coordinate if ``data_dim`` is given, else one shared). The
    loss is ``-log P(x | x̃)``.

    Sampling (Bengio et al. 2013) alternates ``x̃_t ~ C(x̃ | x_{t-1})`` and
    ``x_t ~ P(x | x̃_t)`` (:meth:`walkback_chain`). With ``walkback_steps = K > 1`` the loss
    is the walkback loss (:meth:`walkback_loss`): the chain is run ``K`` steps from each
    training point and the model learns to reconstruct the *original* ``x`` from every
    corrupted point of the chain, so it also learns to come back from where its own chain
    wanders.

    Parameters
    ----------
    encoder_net, decoder_net, likelihood
        As in :class:`Autoencoder`; ``likelihood="gaussian"`` by default.
    noise_std : float
        Standard deviation of the additive Gaussian noise (``>= 0``).
    mask_prob : float
        Probability of zeroing a coordinate, in ``[0, 1)``.
    walkback_steps : int
        Chain steps in the training loss (1: the plain denoising loss).
    data_dim : int or None
        Gaussian likelihood only: learn one ``σ`` per coordinate of this many; ``None``: one ``σ``.
    """

    def __init__(self, encoder_net: nn.Module, decoder_net: nn.Module, likelihood: str = "gaussian",
                 noise_std: float = 0.5, mask_prob: float = 0.0, walkback_steps: int = 1,
                 data_dim: int | None = None):
        super().__init__(encoder_net, decoder_net, likelihood)
        self.noise_std = require_real(noise_std, "noise_std")
        self.mask_prob = require_real(mask_prob, "mask_prob")
        if self.mask_prob >= 1:
            raise ValueError(f"mask_prob must be in [0, 1), got {mask_prob!r}")
        if self.noise_std == 0 and self.mask_prob == 0:
            raise ValueError("noise_std and mask_prob are both 0: the corruption must do something")
        self.walkback_steps = require_int(walkback_steps, "walkback_steps")
        shape = () if data_dim is None else (require_int(data_dim, "data_dim"),)
        self.log_sigma = nn.Parameter(torch.zeros(shape)) if likelihood == "gaussian" else None

    def corrupt(self, x, generator=None) -> torch.Tensor:
        """One draw ``x̃ ~ C(x̃ | x)`` (masking, then additive Gaussian noise), shape of ``x``."""
        x = _data(x, self)
        generator = as_generator(generator)
        if self.mask_prob > 0:
            keep = _uniform(x.shape, x, generator) >= self.mask_prob  # kept with probability 1 - mask_prob
            x = x * keep
        if self.noise_std > 0:
            x = x + self.noise_std * standard_normal(x.shape, x, generator)
        return x

    def log_prob(self, x: torch.Tensor, x_tilde: torch.Tensor) -> torch.Tensor:
        """``log P(x | x̃)`` summed over coordinates, shape (batch,)."""
        out = self.decode(self.encode(x_tilde))
        sigma2 = None if self.log_sigma is None else torch.exp(2 * self.log_sigma)
        return _reconstruction_log_likelihood(x, out, self.likelihood, sigma2)

    def sample_reconstruction(self, x_tilde: torch.Tensor, generator=None) -> torch.Tensor:
        """One draw ``x ~ P(x | x̃)``, shape of ``x_tilde`` (Bernoulli bits, or mean + σ · noise)."""
        generator = as_generator(generator)
        out = self.decode(self.encode(x_tilde))
        if self.likelihood == "bernoulli":
            return _bernoulli(torch.sigmoid(out), generator)
        return out + torch.exp(self.log_sigma) * standard_normal(out.shape, out, generator)

    def walkback_chain(self, x, n_steps: int, generator=None) -> torch.Tensor:
        """Run the chain ``x_0 = x``, ``x̃_t ~ C(· | x_{t-1})``, ``x_t ~ P(· | x̃_t)`` for ``n_steps`` steps.

        Parameters
        ----------
        x : Tensor, shape (batch, D)
            Starting points (one chain each).
        n_steps : int
        generator : torch.Generator, int or None

        Returns
        -------
        Tensor, shape (n_steps + 1, batch, D)
            ``x_0 = x, x_1, ..., x_n``; no gradient.
        """
        x = _data(x, self)
        n_steps = require_int(n_steps, "n_steps")
        generator = as_generator(generator)
        states = [x]
        with torch.no_grad():
            for _ in range(n_steps):
                states.append(self._step(states[-1], generator))
        return torch.stack(states)

    def _step(self, x: torch.Tensor, generator) -> torch.Tensor:
        return self.sample_reconstruction(self.corrupt(x, generator), generator)

    def walkback_loss(self, x, n_steps: int, generator=None) -> torch.Tensor:
        """Walkback loss: ``1/K Σ_{t=1..K} -log P(x | x̃_t)``, batch mean, ``K = n_steps``.

        ``x̃_1 ~ C(· | x)`` and ``x̃_t ~ C(· | x_{t-1})`` with ``x_{t-1} ~ P(· | x̃_{t-1})``: the
        chain's points are sampled without gradient, and every term scores the *original* ``x``.
        ``K = 1`` is the ordinary denoising loss.
        """
        x = _data(x, self)
        n_steps = require_int(n_steps, "n_steps")
        generator = as_generator(generator)
        total, state = 0.0, x
        for t in range(n_steps):
            x_tilde = self.corrupt(state, generator)
            total = total - self.log_prob(x, x_tilde).mean()
            if t + 1 < n_steps:
                with torch.no_grad():
                    state = self.sample_reconstruction(x_tilde, generator)
        return total / n_steps

    def loss(self, x, generator=None) -> LossTerms:
        """The walkback loss with ``walkback_steps`` steps (``kl`` is 0)."""
        reconstruction = self.walkback_loss(x, self.walkback_steps, generator)
        return LossTerms(reconstruction, reconstruction, torch.zeros_like(reconstruction))


# ---------------------------------------------------------------------------------------
# The variational autoencoder
# ---------------------------------------------------------------------------------------
class VAE(nn.Module):
    """A variational autoencoder: prior ``N(0, I)``, Gaussian encoder, Bernoulli or Gaussian decoder.

    Parameters
    ----------
    encoder : nn.Module
        ``x (batch, D) -> (mean, log_var)``, each ``(batch, d_z)`` (e.g. :class:`MLPEncoder`).
    decoder : nn.Module
        ``z (..., d_z) -> (..., D)``: Bernoulli logits or Gaussian means (e.g. :class:`MLPDecoder`).
    likelihood : {"bernoulli", "gaussian"}
    sigma : {"fixed", "learned", "optimal"}
        Gaussian likelihood only: ``σ = sigma_value`` throughout; a learned scalar ``σ``
        (parameter ``log_sigma``, initialised at ``log sigma_value``); or, in every call,
        the maximum-likelihood ``σ*² = optimal_sigma2(x, x̂)`` of that call's batch
        (detached: ``σ*`` maximises the likelihood, so its own gradient would contribute
        nothing). With ``"optimal"`` a value depends on the batch it was computed with.
    sigma_value : float
        ``σ`` for ``"fixed"``, the initial ``σ`` for ``"learned"``.
    beta : float
        Default weight ``β >= 0`` of the KL term in :meth:`loss` (1: the negative ELBO).

    Attributes
    ----------
    encoder, decoder
    latent_dim : int or None
        ``d_z``, from the decoder's (or encoder's) ``latent_dim`` attribute if it has one.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, likelihood: str = "bernoulli",
                 sigma: str = "fixed", sigma_value: float = 1.0, beta: float = 1.0):
        super().__init__()
        for name, net in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(net, nn.Module):
                raise ValueError(f"{name} must be an nn.Module, got {type(net).__name__}")
        self.encoder, self.decoder = encoder, decoder
        self.likelihood = _check_choice(likelihood, "likelihood", LIKELIHOODS)
        self.sigma = _check_choice(sigma, "sigma", SIGMA_MODES)
        self.sigma_value = require_real(sigma_value, "sigma_value", positive=True)
        self.beta = require_real(beta, "beta")
        self.latent_dim = getattr(decoder, "latent_dim", getattr(encoder, "latent_dim", None))
        if likelihood == "gaussian" and sigma == "learned":
            self.log_sigma = nn.Parameter(torch.tensor(math.log(self.sigma_value)))
        else:
            self.log_sigma = None

    def extra_repr(self) -> str:
        sigma = f", sigma={self.sigma!r}" if self.likelihood == "gaussian" else ""
        return f"likelihood={self.likelihood!r}{sigma}, beta={self.beta:g}"

    def sigma2(self, x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
        """The Gaussian variance used for ``x`` given means ``x_hat`` (see ``sigma``), shape ()."""
        if self.sigma == "learned":
            return torch.exp(2 * self.log_sigma)
        if self.sigma == "optimal":
            return optimal_sigma2(x, x_hat.detach()).clamp_min(torch.finfo(x_hat.dtype).eps)
        return torch.tensor(self.sigma_value ** 2, dtype=x_hat.dtype, device=x_hat.device)

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``log p(x | z)``, summed over the ``D`` coordinates.

        Parameters
        ----------
        x : Tensor, shape (batch, D)
        z : Tensor, shape (..., batch, d_z)
            E.g. ``(S, batch, d_z)`` samples, as :func:`course_lib.vi.elbo` passes them.

        Returns
        -------
        Tensor, shape (..., batch)
        """
        out = self.decoder(z)
        if self.likelihood == "bernoulli":
            return bernoulli_log_likelihood(x, out)
        return gaussian_log_likelihood(x, out, self.sigma2(x, out))

    def encode(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        """Parameters of ``q(z | x)``: ``(mean, log_var)``, each (batch, d_z)."""
        return self.encoder(_data(x, self))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The mean of ``p(x | z)`` (probabilities for ``"bernoulli"``), shape (..., D)."""
        out = self.decoder(z)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def loss(self, x, beta: float | None = None, generator=None) -> LossTerms:
        """``reconstruction + β · kl``, batch means in nats per image.

        ``reconstruction = -log p(x | z)`` at one reparameterised draw
        ``z = mean + exp(log_var / 2) ε`` (:func:`course_lib.vi.rsample_diag_gaussian`), an
        unbiased estimate of ``E_q[-log p(x | z)]``; ``kl = KL(q(z | x) || N(0, I))`` in closed
        form (:func:`course_lib.vi.kl_diag_gaussian_standard_normal`). With ``β = 1`` the loss is
        the negative ELBO.

        Parameters
        ----------
        x : Tensor, shape (batch, D)
        beta : float or None
            ``None``: ``self.beta``.
        generator : torch.Generator, int or None
            Source of ``ε`` (shape ``(batch, d_z)``).

        Returns
        -------
        LossTerms
            Scalar tensors; ``loss`` is differentiable with respect to every parameter.
        """
        beta = self.beta if beta is None else require_real(beta, "beta")
        x = _data(x, self)
        mean, log_var = self.encoder(x)
        if mean.shape == log_var.shape:
            # the encoder's own outputs, at every training step: the formulas without the input checks
            z = _reparameterise(mean, log_var, mean.shape, as_generator(generator))  # one draw, (batch, d_z)
            kl = _kl_to_standard_normal(mean, log_var).mean()
        else:  # a custom encoder: the checked versions say what is wrong
            z = rsample_diag_gaussian(mean, log_var, generator=generator)
            kl = kl_diag_gaussian_standard_normal(mean, log_var).mean()
        reconstruction = -self.log_likelihood(x, z).mean()
        return LossTerms(reconstruction + beta * kl, reconstruction, kl)

    def forward(self, x) -> LossTerms:
        """``model(x)`` is ``model.loss(x)``."""
        return self.loss(x)


# ---------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------
def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, generator=None) -> LossTerms:
    """One gradient step on a batch: ``loss = model.loss(x)``, backward, ``optimizer.step()``.

    Returns
    -------
    LossTerms of floats
        The terms before the step.
    """
    optimizer.zero_grad(set_to_none=True)
    terms = model.loss(x, generator=generator)
    terms.loss.backward()
    optimizer.step()
    return LossTerms(*torch.stack([t.detach() for t in terms]).tolist())  # one device-to-host copy


def _evaluate(model: nn.Module, x: torch.Tensor, batch_size: int, seed: int = 0) -> LossTerms:
    """Mean loss terms over ``x`` (eval mode, no gradient, the same noise at every call)."""
    generator = torch.Generator().manual_seed(seed)
    sums = [0.0, 0.0, 0.0]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            batch = x[start:start + batch_size]
            terms = model.loss(batch, generator=generator)
            for i, t in enumerate(terms):
                sums[i] += float(t) * batch.shape[0]
    model.train(was_training)
    return LossTerms(*(s / x.shape[0] for s in sums))


def _require_finite_data(x: torch.Tensor, name: str) -> None:
    """``require_finite`` for a whole data set, in one cheap pass: a sum is finite whenever
    every term is (NaN and ±inf propagate), so the elementwise check (20 times slower on a CPU)
    runs only when the sum is not — bad values, or finite values so large that it overflows."""
    if not bool(torch.isfinite(x.sum())):
        require_finite(x, name)


def fit(model: nn.Module, train, validation=None, epochs: int = 10, batch_size: int = 128, lr: float = 1e-3,
        device=None, patience: int | None = None, checkpoint: str | os.PathLike | None = None,
        progress: bool = True, generator=None) -> dict[str, list[float]]:
    """Train ``model`` (a :class:`VAE` or an autoencoder) with Adam on minibatches.

    Every epoch: shuffle, one :func:`train_step` per minibatch, then the mean loss terms on
    ``validation`` (eval mode, no gradient, the same seeded noise every epoch so that epochs
    compare fairly).

    Parameters
    ----------
    model : nn.Module
        Anything with ``loss(x, generator=None) -> LossTerms``.
    train : Tensor of shape (N, D), or DynamicallyBinarized
        A dataset is re-binarised every epoch.
    validation : Tensor of shape (M, D) or None
    epochs, batch_size : int
    lr : float
        Adam's learning rate.
    device : torch.device, str or None
        Where to train; ``None``: where the model's parameters are. The model is moved there
        (and stays); the data are moved batch by batch (a tensor ``train`` once).
    patience : int or None
        Early stopping: stop when the validation loss has not improved for ``patience``
        epochs, and restore the weights of the best epoch. Needs ``validation``.
    checkpoint : path or None
        Save the model (:func:`save_checkpoint`) after every epoch that improves the
        validation loss (every epoch without ``validation``).
    progress : bool
        A ``tqdm`` bar over epochs with the latest losses.
    generator : torch.Generator, int or None
        Source of the shuffling and of the model's noise.

    Returns
    -------
    dict of lists of float, one entry per epoch run
        ``"train_loss"``, ``"train_reconstruction"``, ``"train_kl"`` (means over the epoch's
        steps) and, with ``validation``, ``"validation_loss"``, ``"validation_reconstruction"``,
        ``"validation_kl"``; ``"best_epoch"`` (a one-element list, 0-based) with validation.
    """
    if not isinstance(model, nn.Module) or not callable(getattr(model, "loss", None)):
        raise ValueError(f"model must be an nn.Module with a loss method, got {type(model).__name__}")
    epochs, batch_size = require_int(epochs, "epochs"), require_int(batch_size, "batch_size")
    lr = require_real(lr, "lr", positive=True)
    if patience is not None:
        patience = require_int(patience, "patience")
        if validation is None:
            raise ValueError("patience needs a validation set (early stopping watches the validation loss)")
    device = _device(model) if device is None else torch.device(device)
    model.to(device)
    dtype = next(model.parameters()).dtype
    generator = as_generator(generator)
    if not isinstance(train, DynamicallyBinarized):
        train = as_float_tensor(train, "train", ndim=2)
        _require_finite_data(train, "train")
        train = train.to(device=device, dtype=dtype)
    if validation is not None:
        validation = as_float_tensor(validation, "validation", ndim=2).to(device=device, dtype=dtype)
        _require_finite_data(validation, "validation")

    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    names = ("loss", "reconstruction", "kl")
    history = {f"train_{n}": [] for n in names}
    if validation is not None:
        history.update({f"validation_{n}": [] for n in names})
    best, best_epoch, best_state = math.inf, -1, None
    bar = progress_bar(range(epochs), desc=type(model).__name__, disable=not progress)
    for epoch in bar:
        model.train()
        if isinstance(train, DynamicallyBinarized):
            batches = train.batches(batch_size, generator=generator)
        else:
            order = torch.randperm(train.shape[0], generator=generator).to(device)
            batches = (train[order[i:i + batch_size]] for i in range(0, train.shape[0], batch_size))
        sums, count = [0.0, 0.0, 0.0], 0
        for batch in batches:
            batch = batch.to(device=device, dtype=dtype)
            terms = train_step(model, optimizer, batch, generator)
            for i, t in enumerate(terms):
                sums[i] += t * batch.shape[0]
            count += batch.shape[0]
        for i, n in enumerate(names):
            history[f"train_{n}"].append(sums[i] / count)
        postfix = {"train": f"{history['train_loss'][-1]:.2f}"}

        improved = True
        if validation is not None:
            for n, value in zip(names, _evaluate(model, validation, batch_size)):
                history[f"validation_{n}"].append(value)
            postfix["validation"] = f"{history['validation_loss'][-1]:.2f}"
            improved = history["validation_loss"][-1] < best
            if improved:
                best, best_epoch = history["validation_loss"][-1], epoch
                if patience is not None:
                    best_state = copy.deepcopy(model.state_dict())
        if improved and checkpoint is not None:
            save_checkpoint(model, checkpoint)
        bar.set_postfix(postfix)
        if patience is not None and epoch - best_epoch >= patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    if validation is not None:
        history["best_epoch"] = [best_epoch]
    model.eval()
    return history


def save_checkpoint(model: nn.Module, path: str | os.PathLike) -> None:
    """Save ``model.state_dict()`` (with the model's class name) to ``path``."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Module, got {type(model).__name__}")
    torch.save({"class": type(model).__name__, "state_dict": model.state_dict()}, os.fspath(path))


def load_checkpoint(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load a :func:`save_checkpoint` file into ``model`` (same architecture), on the model's device.

    Returns ``model``. A ValueError if the file was saved from another class of model.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Module, got {type(model).__name__}")
    saved = torch.load(os.fspath(path), map_location=_device(model), weights_only=True)
    if not isinstance(saved, dict) or "state_dict" not in saved:
        raise ValueError(f"path {os.fspath(path)!r} is not a course_lib checkpoint")
    if saved.get("class") != type(model).__name__:
        raise ValueError(f"the checkpoint in path {os.fspath(path)!r} holds a {saved.get('class')}, "
                         f"not a {type(model).__name__}")
    model.load_state_dict(saved["state_dict"])
    return model


# ---------------------------------------------------------------------------------------
# Evaluation and inspection
# ---------------------------------------------------------------------------------------
def _require_vae(model) -> None:
    if not isinstance(model, VAE):
        raise ValueError(f"model must be a VAE, got {type(model).__name__}")


def _batched(model: VAE, x, batch_size: int, function) -> torch.Tensor:
    """``function(batch)`` over ``x`` in batches, eval mode, no gradient; result on ``x``'s device."""
    _require_vae(model)
    batch_size = require_int(batch_size, "batch_size")
    x_device = x.device if isinstance(x, torch.Tensor) else torch.device("cpu")
    x = _data(x, model)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        parts = [function(x[i:i + batch_size]) for i in range(0, x.shape[0], batch_size)]
    model.train(was_training)
    return torch.cat(parts).to(x_device)


def iwae_log_likelihood(model: VAE, x, k: int = 5000, batch_size: int = 100, max_elements: int = 2**16,
                        generator=None) -> torch.Tensor:
    """Importance-sampled estimate of ``log p(x)`` for every image: the bound ``L_k``.

    :func:`course_lib.vi.iwae_bound` with the encoder as proposal, batch by batch. ``L_k``
    rises with ``k`` towards ``log p(x)`` (k = 5,000 is the usual reporting choice).
    Memory: the decoder sees ``max(1, max_elements // (batch_size · d_z))`` samples of a
    batch at a time, i.e. about ``max_elements · D / d_z`` numbers per chunk (the default
    2^16 gives 32 samples × 100 images × 784 logits for ``d_z = 20``).

    Parameters
    ----------
    model : VAE
    x : Tensor, shape (N, D)
    k : int
        Importance samples per image.
    batch_size : int
    max_elements : int
    generator : torch.Generator, int or None

    Returns
    -------
    Tensor, shape (N,)
        Nats per image, on ``x``'s device.
    """
    k = require_int(k, "k")
    max_elements = require_int(max_elements, "max_elements")
    generator = as_generator(generator)
    return _batched(model, x, batch_size,
                    lambda b: iwae_bound(b, model.encoder, model.log_likelihood, k, max_elements, generator))


def elbo_over_dataset(model: VAE, x, batch_size: int = 500, n_samples: int = 1, generator=None) -> torch.Tensor:
    """The ELBO of every image (``β = 1``), via :func:`course_lib.vi.elbo` with the analytic KL.

    Returns
    -------
    Tensor, shape (N,)
        Nats per image, on ``x``'s device.
    """
    n_samples = require_int(n_samples, "n_samples")
    generator = as_generator(generator)
    return _batched(model, x, batch_size,
                    lambda b: elbo(b, model.encoder, model.log_likelihood, n_samples, "analytic", generator))


def _latent_dim(model: VAE) -> int:
    _require_vae(model)
    if model.latent_dim is None:
        raise ValueError("model.latent_dim is unknown: give the decoder a latent_dim attribute")
    return model.latent_dim


def _decode_means(model: VAE, z: torch.Tensor) -> torch.Tensor:
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model.decode(z)
    model.train(was_training)
    return out


def sample(model: VAE, n: int, generator=None) -> torch.Tensor:
    """``n`` draws ``z ~ N(0, I)`` decoded to the mean of ``p(x | z)`` (pixel probabilities for a
    Bernoulli decoder; ``torch.bernoulli`` of them gives binary images).

    Returns
    -------
    Tensor, shape (n, D)
        On the model's device.
    """
    d_z = _latent_dim(model)
    n = require_int(n, "n")
    param = next(model.parameters())
    z = standard_normal((n, d_z), param, as_generator(generator))
    return _decode_means(model, z)


def encode(model: VAE, x, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean, log_var)`` of ``q(z | x)`` for every row of ``x``, each (N, d_z), on ``x``'s device."""
    _require_vae(model)
    both = _batched(model, x, batch_size, lambda b: torch.cat(model.encoder(b), dim=-1))
    mean, log_var = both.chunk(2, dim=-1)
    return mean, log_var


def decode_latent_grid(model: VAE, n_per_side: int = 15, span: float = 3.0) -> torch.Tensor:
    """Decode a regular grid of a 2-D latent space: the classic VAE manifold picture.

    Grid point ``(i, j)`` is ``z = (z₁, z₂)`` with ``z₁ = linspace(-span, span)[j]`` (left to
    right) and ``z₂ = linspace(span, -span)[i]`` (top to bottom, as on a plot).

    Returns
    -------
    Tensor, shape (n_per_side, n_per_side, D)
        Decoder means, on the model's device.
    """
    if _latent_dim(model) != 2:
        raise ValueError(f"model must have a 2-D latent space for a grid, got latent_dim = {model.latent_dim}")
    n = require_int(n_per_side, "n_per_side")
    span = require_real(span, "span", positive=True)
    param = next(model.parameters())
    values = torch.linspace(-span, span, n, dtype=param.dtype, device=param.device)
    z2, z1 = torch.meshgrid(values.flip(0), values, indexing="ij")
    return _decode_means(model, torch.stack([z1, z2], dim=-1))


def interpolate(model: VAE, x_a, x_b, n_steps: int = 10) -> torch.Tensor:
    """Decode the straight line between the posterior means of two images.

    ``z_t = (1 - t) μ(x_a) + t μ(x_b)`` for ``t = linspace(0, 1, n_steps)``.

    Parameters
    ----------
    x_a, x_b : Tensor, shape (D,) or (1, D)
    n_steps : int
        At least 2.

    Returns
    -------
    Tensor, shape (n_steps, D)
        Decoder means, on the model's device.
    """
    _require_vae(model)
    n_steps = require_int(n_steps, "n_steps", 2)
    ends = []
    for name, x in (("x_a", x_a), ("x_b", x_b)):
        x = as_float_tensor(x, name)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[0] != 1:
            raise ValueError(f"{name} must be one image of shape (D,) or (1, D), got {tuple(x.shape)}")
        ends.append(encode(model, x)[0].to(_device(model)))
    t = torch.linspace(0, 1, n_steps, dtype=ends[0].dtype, device=ends[0].device)[:, None]
    return _decode_means(model, (1 - t) * ends[0] + t * ends[1])


def active_units(model: VAE, x, threshold: float = 0.01, batch_size: int = 1000) -> tuple[int, torch.Tensor]:
    """Count the latent dimensions the model uses (Burda et al. 2016's activity statistic).

    The activity of dimension ``j`` is ``A_j = Var_x(E_{q(z | x)}[z_j])``, the variance over
    the data of the posterior mean; a unit is active when ``A_j > threshold``. A collapsed
    unit has ``q(z_j | x) ≈ N(0, 1)`` for every ``x``: its mean does not move with ``x``.

    Parameters
    ----------
    model : VAE
    x : Tensor, shape (N, D)
        At least 2 rows.
    threshold : float
    batch_size : int

    Returns
    -------
    n_active : int
    activity : Tensor, shape (d_z,)
        ``A_j`` (variance with divisor ``N``), on ``x``'s device.
    """
    threshold = require_real(threshold, "threshold")
    mean, _ = encode(model, x, batch_size)
    if mean.shape[0] < 2:
        raise ValueError(f"x must have at least 2 rows to measure a variance, got {mean.shape[0]}")
    activity = mean.var(dim=0, correction=0)
    return int((activity > threshold).sum()), activity
