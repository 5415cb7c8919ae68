"""Generative adversarial networks and Wasserstein GANs.

A GAN (Goodfellow et al., 2014) trains a generator ``G`` that maps noise ``z ~ N(0, I)`` to
samples against a discriminator ``D`` that tells data from generated points, in the game

    min_G max_D  V(D, G) = E_{x~p} log D(x) + E_{z} log(1 - D(G(z))).

For a fixed generator with density ``q`` the best discriminator is ``D* = p / (p + q)``
(:func:`optimal_discriminator`) and ``V(D*, G) = -log 4 + 2 JSD(p || q)``
(:func:`gan_value`, :func:`jensen_shannon`), so the generator minimises a Jensen-Shannon
divergence. A Wasserstein GAN (Arjovsky et al., 2017) replaces ``D`` by a *critic* ``f``
and, by Kantorovich-Rubinstein duality, ``W1(p, q) = sup_{||f||_L <= 1} E_p f - E_q f``;
the Lipschitz constraint is enforced by clipping the weights (:func:`clip_weights_`) or by a
gradient penalty (:func:`gradient_penalty`, Gulrajani et al., 2017).

Every network here returns *logits* (discriminator) or *scores* (critic): one real number
per input, no sigmoid. The losses take those numbers and return a 0-d tensor to minimise.

Examples
--------
>>> from course_lib.data import ring_of_gaussians
>>> data = ring_of_gaussians(4096, seed=0)
>>> G, D = MLPGenerator(noise_dim=2, data_dim=2), MLPDiscriminator(data_dim=2)
>>> history = train_gan(G, D, data, n_steps=1000, loss="wgan-gp")   # doctest: +SKIP
>>> fake = G.sample(2500)                                            # doctest: +SKIP
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from .quick import progress_bar

from ._validate import (
    as_float_tensor,
    make_generator,
    require_finite,
    require_int,
    require_real,
    standard_normal,
)

__all__ = [
    "MLPGenerator",
    "MLPDiscriminator",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "discriminator_loss",
    "generator_loss_minimax",
    "generator_loss_nonsaturating",
    "critic_loss",
    "generator_loss_wasserstein",
    "clip_weights_",
    "gradient_penalty",
    "optimal_discriminator",
    "gan_value",
    "jensen_shannon",
    "discriminator_step",
    "generator_step",
    "train_gan",
    "LOSSES",
    "DEFAULTS",
]

#: The losses :func:`train_gan` knows.
LOSSES = ("nonsaturating", "minimax", "wgan", "wgan-gp")

#: Optimiser and schedule of each loss in :func:`train_gan`, from the papers:
#: DCGAN (Radford et al., 2016) for the two original GAN losses, WGAN (Arjovsky et al., 2017)
#: and WGAN-GP (Gulrajani et al., 2017, Algorithm 1).
DEFAULTS = {
    "nonsaturating": dict(optimizer="adam", lr=2e-4, betas=(0.5, 0.999), n_critic=1),
    "minimax": dict(optimizer="adam", lr=2e-4, betas=(0.5, 0.999), n_critic=1),
    "wgan": dict(optimizer="rmsprop", lr=5e-5, betas=None, n_critic=5),
    "wgan-gp": dict(optimizer="adam", lr=1e-4, betas=(0.0, 0.9), n_critic=5),
}


# ---------------------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------------------
def _mlp(width_in: int, hidden: int, n_layers: int, width_out: int, activation) -> nn.Sequential:
    layers, width = [], width_in
    for _ in range(n_layers):
        layers += [nn.Linear(width, hidden), activation()]
        width = hidden
    layers.append(nn.Linear(width, width_out))
    return nn.Sequential(*layers)


class _Sampling(nn.Module):
    """Shared ``sample`` of the generators: noise of size ``noise_dim``, then ``forward``."""

    noise_dim: int

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` samples: ``z ~ N(0, I)`` on the module's device, then ``forward``.

        The result is differentiable with respect to the parameters; wrap the call in
        ``torch.no_grad()`` to only look at samples.

        Parameters
        ----------
        n : int
            Number of samples.
        generator : torch.Generator, optional
            Source of the noise; one on another device draws there and the noise is moved.
            ``None`` uses PyTorch's global random state.

        Returns
        -------
        Tensor, shape (n, data_dim)
        """
        n = require_int(n, "n")
        like = next(self.parameters())
        return self(standard_normal((n, self.noise_dim), like, generator))

    def _check_noise(self, z: torch.Tensor) -> None:
        if z.ndim != 2 or z.shape[1] != self.noise_dim:
            raise ValueError(f"z must have shape (b, {self.noise_dim}), got {tuple(z.shape)}")


class MLPGenerator(_Sampling):
    """A multilayer perceptron from noise to data: ``z (b, noise_dim) -> x (b, data_dim)``.

    ``n_layers`` hidden layers of width ``hidden`` with ReLU, and a linear output (2-D toy
    data may take any real value).

    Parameters
    ----------
    noise_dim : int
        Dimension of the noise ``z ~ N(0, I)``.
    data_dim : int
        Dimension of the samples.
    hidden : int
        Width of the hidden layers.
    n_layers : int
        Number of hidden layers (at least 1).
    """

    def __init__(self, noise_dim: int = 2, data_dim: int = 2, hidden: int = 64, n_layers: int = 3):
        super().__init__()
        self.noise_dim = require_int(noise_dim, "noise_dim")
        self.data_dim = require_int(data_dim, "data_dim")
        self.net = _mlp(self.noise_dim, require_int(hidden, "hidden"), require_int(n_layers, "n_layers"),
                        self.data_dim, nn.ReLU)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map noise ``z (b, noise_dim)`` to samples ``(b, data_dim)``."""
        self._check_noise(z)
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """A multilayer perceptron ``x (b, data_dim) -> (b,)`` logits, or critic scores.

    There is no sigmoid: as a GAN discriminator the output is the logit ``l`` with
    ``D(x) = σ(l)``; as a Wasserstein critic it is the score ``f(x)`` itself. Hidden layers
    use LeakyReLU(0.2) and no normalisation (batch norm would make the gradient penalty,
    which is per sample, ill-defined).

    Parameters
    ----------
    data_dim : int
        Dimension of the inputs.
    hidden : int
        Width of the hidden layers.
    n_layers : int
        Number of hidden layers (at least 1).
    """

    def __init__(self, data_dim: int = 2, hidden: int = 64, n_layers: int = 3):
        super().__init__()
        self.data_dim = require_int(data_dim, "data_dim")
        self.net = _mlp(self.data_dim, require_int(hidden, "hidden"), require_int(n_layers, "n_layers"), 1,
                        lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (or scores) of ``x (b, data_dim)``, shape ``(b,)``."""
        if x.ndim != 2 or x.shape[1] != self.data_dim:
            raise ValueError(f"x must have shape (b, {self.data_dim}), got {tuple(x.shape)}")
        return self.net(x).squeeze(-1)


class DCGANGenerator(_Sampling):
    """A small DCGAN generator for 1×28×28 images: ``z (b, noise_dim) -> x (b, 784)``.

    Linear to 128×7×7, then two stride-2 transposed convolutions (7 -> 14 -> 28) with batch
    norm and ReLU in between, as in Radford et al. (2016). The output goes through ``tanh``:
    pixels are in **[-1, 1]**, so train on images scaled as ``2 x - 1`` and map samples
    back with ``(x + 1) / 2``. The image is returned flattened (``reshape(-1, 1, 28, 28)``
    to view it).

    Parameters
    ----------
    noise_dim : int
        Dimension of the noise.
    width : int
        Channels of the first convolution (the second has ``width // 2``).
    """

    data_dim = 784

    def __init__(self, noise_dim: int = 64, width: int = 128):
        super().__init__()
        self.noise_dim = require_int(noise_dim, "noise_dim")
        width = require_int(width, "width", smallest=2)
        self.width = width
        self.project = nn.Sequential(nn.Linear(self.noise_dim, width * 7 * 7), nn.BatchNorm1d(width * 7 * 7), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1),  # 7 -> 14
            nn.BatchNorm2d(width // 2),
            nn.ReLU(),
            nn.ConvTranspose2d(width // 2, 1, 4, stride=2, padding=1),      # 14 -> 28
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map noise ``z (b, noise_dim)`` to images ``(b, 784)`` in [-1, 1]."""
        self._check_noise(z)
        h = self.project(z).view(-1, self.width, 7, 7)
        return self.deconv(h).flatten(1)


class DCGANDiscriminator(nn.Module):
    """A small DCGAN discriminator (or critic) for 1×28×28 images: ``(b, 784) -> (b,)``.

    Two stride-2 convolutions (28 -> 14 -> 7) with LeakyReLU(0.2), then a linear layer to
    one logit (no sigmoid). Inputs are ``(b, 784)`` or ``(b, 1, 28, 28)``, pixels in
    [-1, 1] like :class:`DCGANGenerator`'s. ``batch_norm=True`` adds batch norm after the
    second convolution as in DCGAN; keep it off for WGAN-GP, whose penalty is per sample.

    Parameters
    ----------
    width : int
        Channels of the first convolution (the second has ``2 * width``).
    batch_norm : bool
        Batch norm after the second convolution.
    """

    def __init__(self, width: int = 64, batch_norm: bool = False):
        super().__init__()
        width = require_int(width, "width")
        self.conv = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1),            # 28 -> 14
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),    # 14 -> 7
            nn.BatchNorm2d(2 * width) if batch_norm else nn.Identity(),
            nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(2 * width * 7 * 7, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (or scores) of images ``(b, 784)`` or ``(b, 1, 28, 28)``, shape ``(b,)``."""
        if x.shape[1:] not in (torch.Size([784]), torch.Size([1, 28, 28])):
            raise ValueError(f"x must have shape (b, 784) or (b, 1, 28, 28), got {tuple(x.shape)}")
        return self.head(self.conv(x.reshape(-1, 1, 28, 28)).flatten(1)).squeeze(-1)


# ---------------------------------------------------------------------------------------
# Losses: all take logits / scores of shape (b,) and return a 0-d tensor to minimise
# ---------------------------------------------------------------------------------------
def _scores(t, name: str) -> torch.Tensor:
    t = as_float_tensor(t, name)
    if t.ndim != 1 or t.shape[0] == 0:
        raise ValueError(f"{name} must have shape (b,) with b >= 1, got {tuple(t.shape)}")
    return t


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The negative GAN value, which the discriminator minimises.

    ``-[mean log D(x) + mean log(1 - D(G(z)))]`` with ``D = σ(logit)``. Since
    ``log σ(l) = -softplus(-l)`` and ``log(1 - σ(l)) = -softplus(l)``, this is the binary
    cross-entropy with logits of "real = 1, fake = 0", computed without overflow.

    Parameters
    ----------
    real_logits : Tensor, shape (b,)
        Discriminator logits on data.
    fake_logits : Tensor, shape (m,)
        Discriminator logits on generated samples.

    Returns
    -------
    Tensor, shape ()
    """
    real_logits, fake_logits = _scores(real_logits, "real_logits"), _scores(fake_logits, "fake_logits")
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator's term of the minimax game: ``mean log(1 - D(G(z)))`` (saturating).

    Computed as ``-mean softplus(l)``. Its derivative in a logit is ``-σ(l)/b``, which
    vanishes when the discriminator confidently rejects the fakes (``l -> -∞``): early in
    training the generator gets almost no signal.

    Parameters
    ----------
    fake_logits : Tensor, shape (b,)

    Returns
    -------
    Tensor, shape ()
    """
    return -F.softplus(_scores(fake_logits, "fake_logits")).mean()


def generator_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss ``-mean log D(G(z))`` (Goodfellow et al., 2014).

    Computed as ``mean softplus(-l)``. Its derivative in a logit is ``-(1 - σ(l))/b``,
    which tends to ``-1/b`` (not 0) when ``l -> -∞``: strong gradients exactly where the
    minimax loss saturates. Same fixed point as the minimax game.

    Parameters
    ----------
    fake_logits : Tensor, shape (b,)

    Returns
    -------
    Tensor, shape ()
    """
    return F.softplus(-_scores(fake_logits, "fake_logits")).mean()


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """The Wasserstein critic's loss ``mean f(G(z)) - mean f(x)``.

    Its negative, ``mean f(x) - mean f(G(z))``, estimates ``W1`` when ``f`` is 1-Lipschitz.

    Parameters
    ----------
    real_scores : Tensor, shape (b,)
    fake_scores : Tensor, shape (m,)

    Returns
    -------
    Tensor, shape ()
    """
    real_scores, fake_scores = _scores(real_scores, "real_scores"), _scores(fake_scores, "fake_scores")
    return fake_scores.mean() - real_scores.mean()


def generator_loss_wasserstein(fake_scores: torch.Tensor) -> torch.Tensor:
    """The WGAN generator's loss ``-mean f(G(z))`` (the only term of ``W1`` that depends on G).

    Parameters
    ----------
    fake_scores : Tensor, shape (b,)

    Returns
    -------
    Tensor, shape ()
    """
    return -_scores(fake_scores, "fake_scores").mean()


@torch.no_grad()
def clip_weights_(critic: nn.Module, c: float = 0.01) -> nn.Module:
    """Clip every parameter of ``critic`` to ``[-c, c]``, in place (WGAN's Lipschitz device).

    Parameters
    ----------
    critic : nn.Module
    c : float
        Clipping bound (positive).

    Returns
    -------
    nn.Module
        ``critic`` itself.
    """
    c = require_real(c, "c", positive=True)
    for p in critic.parameters():
        p.clamp_(-c, c)
    return critic


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP's penalty ``mean (||∇_x f(x̂)|| - 1)²`` on random interpolates.

    ``x̂ = ε x + (1 - ε) x̃`` with one ``ε ~ U(0, 1)`` per pair (real ``x``, fake ``x̃``).
    Both inputs are detached: the penalty trains the critic only. The gradient is built with
    ``create_graph=True``, so the penalty can be back-propagated to the critic's weights.

    The penalty is two-sided: it pulls ``||∇f||`` towards 1 from below too. In one dimension
    this creates a spurious optimum: a critic whose slope starts negative cannot reach
    ``+1`` without passing through 0, and for a shift by ``W`` the penalised objective
    ``W s - λ (|s| - 1)²`` has a local maximum at ``s = -(1 - W / (2λ))`` besides the global
    one at ``s = 1 + W / (2λ)`` (itself an overestimate of the slope). In more dimensions
    the gradient can rotate instead of shrinking.

    Parameters
    ----------
    critic : nn.Module
        Maps ``(b, ...)`` to scores ``(b,)``.
    real, fake : Tensor, shape (b, ...)
        Paired batches of the same shape.
    generator : torch.Generator, optional
        Source of ``ε`` (a CPU generator works for inputs on any device).

    Returns
    -------
    Tensor, shape ()
    """
    real = as_float_tensor(real, "real")
    fake = as_float_tensor(fake, "fake", like=real)
    if real.shape != fake.shape or real.ndim < 2 or real.shape[0] == 0:
        raise ValueError(f"real and fake must have the same shape (b, ...), got {tuple(real.shape)} "
                         f"and {tuple(fake.shape)}")
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    if generator is None:
        eps = torch.rand(shape, dtype=real.dtype, device=real.device)
    else:
        eps = torch.rand(shape, generator=generator, dtype=real.dtype, device=generator.device).to(real.device)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1).square().mean()


# ---------------------------------------------------------------------------------------
# Discrete theory: the optimal discriminator and the Jensen-Shannon divergence
# ---------------------------------------------------------------------------------------
def _probabilities(p, name: str) -> torch.Tensor:
    p = as_float_tensor(p, name, ndim=1)
    require_finite(p, name)
    if bool((p < 0).any()):
        raise ValueError(f"{name} must be non-negative")
    if abs(float(p.sum()) - 1.0) > 1e-6:
        raise ValueError(f"{name} must sum to 1, got {float(p.sum())}")
    return p


def optimal_discriminator(p, q) -> torch.Tensor:
    """The best discriminator for fixed data and model: ``D*(x) = p(x) / (p(x) + q(x))``.

    Works element-wise on densities or probabilities. Where ``p = q = 0`` the value does not
    matter (it is weighted by zero in the GAN value) and 1/2 is returned.

    Parameters
    ----------
    p, q : Tensor, same shape
        Data and model densities (or probabilities) at the same points; non-negative.

    Returns
    -------
    Tensor, same shape, in [0, 1]
    """
    p = as_float_tensor(p, "p")
    q = as_float_tensor(q, "q", like=p)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {tuple(p.shape)} and {tuple(q.shape)}")
    for t, name in ((p, "p"), (q, "q")):
        require_finite(t, name)
        if bool((t < 0).any()):
            raise ValueError(f"{name} must be non-negative")
    total = p + q
    return torch.where(total > 0, p / torch.where(total > 0, total, 1), 0.5)


def gan_value(d, p, q) -> torch.Tensor:
    """The GAN value ``V = E_p log D + E_q log(1 - D)`` for discrete distributions.

    Uses ``0 log 0 = 0``, so a discriminator equal to 0 or 1 outside the support it is
    weighted by is allowed.

    Parameters
    ----------
    d : Tensor, shape (K,)
        Discriminator output ``D(k)`` in [0, 1] on each of ``K`` outcomes.
    p, q : Tensor, shape (K,)
        Data and model probabilities (non-negative, summing to 1).

    Returns
    -------
    Tensor, shape ()
        ``V(D*) = -log 4 + 2 JSD(p || q)`` at the optimum (:func:`optimal_discriminator`).
    """
    p = _probabilities(p, "p")
    q = _probabilities(q, "q")
    d = as_float_tensor(d, "d", ndim=1, like=p)
    if not (d.shape == p.shape == q.shape):
        raise ValueError(f"d, p and q must have the same shape, got {tuple(d.shape)}, {tuple(p.shape)}, {tuple(q.shape)}")
    require_finite(d, "d")
    if bool((d < 0).any()) or bool((d > 1).any()):
        raise ValueError("d must lie in [0, 1]")
    return torch.special.xlogy(p, d).sum() + torch.special.xlogy(q, 1 - d).sum()


def jensen_shannon(p, q) -> torch.Tensor:
    """The Jensen-Shannon divergence (in nats) of two discrete distributions.

    ``JSD(p || q) = ½ KL(p || m) + ½ KL(q || m)`` with ``m = (p + q) / 2``; it lies in
    ``[0, log 2]``.

    Parameters
    ----------
    p, q : Tensor, shape (K,)
        Probabilities (non-negative, summing to 1).

    Returns
    -------
    Tensor, shape ()
    """
    p = _probabilities(p, "p")
    q = _probabilities(q, "q").to(p)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {tuple(p.shape)} and {tuple(q.shape)}")
    m = (p + q) / 2
    kl = lambda a: (torch.special.xlogy(a, a) - torch.special.xlogy(a, m)).sum()  # noqa: E731
    return 0.5 * kl(p) + 0.5 * kl(q)


# ---------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------
def _check_loss(loss: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return loss


def discriminator_step(discriminator: nn.Module, optimizer: torch.optim.Optimizer, real: torch.Tensor,
                       fake: torch.Tensor, loss: str = "nonsaturating", clip: float = 0.01,
                       gp_weight: float = 10.0, generator: torch.Generator | None = None) -> tuple[float, float]:
    """One update of the discriminator (or critic) on a batch of data and of fakes.

    * ``"nonsaturating"``, ``"minimax"``: minimise :func:`discriminator_loss`.
    * ``"wgan"``: minimise :func:`critic_loss`, then :func:`clip_weights_` to ``clip``.
    * ``"wgan-gp"``: minimise ``critic_loss + gp_weight * gradient_penalty``.

    Parameters
    ----------
    discriminator : nn.Module
    optimizer : torch.optim.Optimizer
        Over the discriminator's parameters.
    real, fake : Tensor, shape (b, ...)
        Data and generated samples (``fake`` is detached here).
    loss : str
        One of :data:`LOSSES`.
    clip, gp_weight : float
        Clipping bound (``"wgan"``) and penalty weight ``λ`` (``"wgan-gp"``).
    generator : torch.Generator, optional
        Source of the interpolation weights of the gradient penalty.

    Returns
    -------
    loss : float
        The loss before the step (with the penalty for ``"wgan-gp"``).
    wasserstein : float
        ``mean f(real) - mean f(fake)`` before the step (the critic's ``W1`` estimate) for
        the WGAN losses, NaN for the others.
    """
    loss = _check_loss(loss)
    fake = fake.detach()
    optimizer.zero_grad(set_to_none=True)
    real_out, fake_out = discriminator(real), discriminator(fake)
    if loss in ("nonsaturating", "minimax"):
        value = discriminator_loss(real_out, fake_out)
        w = math.nan
    else:
        value = critic_loss(real_out, fake_out)
        w = -float(value.detach())
        if loss == "wgan-gp":
            value = value + gp_weight * gradient_penalty(discriminator, real, fake, generator)
    value.backward()
    optimizer.step()
    if loss == "wgan":
        clip_weights_(discriminator, clip)
    return float(value.detach()), w


def generator_step(generator: nn.Module, discriminator: nn.Module, optimizer: torch.optim.Optimizer,
                   z: torch.Tensor, loss: str = "nonsaturating") -> float:
    """One update of the generator on noise ``z (b, noise_dim)``.

    Minimises :func:`generator_loss_nonsaturating`, :func:`generator_loss_minimax` or (both
    WGAN losses) :func:`generator_loss_wasserstein` of ``discriminator(generator(z))``. The
    discriminator's gradients are computed too but left for its next ``zero_grad``.

    Returns
    -------
    float
        The loss before the step.
    """
    loss = _check_loss(loss)
    optimizer.zero_grad(set_to_none=True)
    out = discriminator(generator(z))
    if loss == "nonsaturating":
        value = generator_loss_nonsaturating(out)
    elif loss == "minimax":
        value = generator_loss_minimax(out)
    else:
        value = generator_loss_wasserstein(out)
    value.backward()
    optimizer.step()
    return float(value.detach())


def _optimizer(params, kind: str, lr: float, betas):
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adam(params, lr=lr, betas=betas)


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    data,
    n_steps: int,
    loss: str = "nonsaturating",
    n_critic: int | None = None,
    batch_size: int = 64,
    lr: float | None = None,
    betas: tuple[float, float] | None = None,
    clip: float = 0.01,
    gp_weight: float = 10.0,
    device: torch.device | str | None = None,
    snapshot_every: int | None = None,
    snapshot_noise: torch.Tensor | None = None,
    progress: bool = True,
    seed: int = 0,
) -> dict:
    """Train a GAN or a Wasserstein GAN, in place, with the papers' optimisers.

    Each of the ``n_steps`` generator steps is preceded by ``n_critic`` discriminator (critic)
    steps (:func:`discriminator_step`), each on a fresh minibatch of ``batch_size`` data points
    (drawn without replacement within the minibatch) and as many fakes; then one
    :func:`generator_step` on fresh noise. Defaults per ``loss`` (:data:`DEFAULTS`):

    ================  =========================================  ========
    loss              optimiser (both networks)                  n_critic
    ================  =========================================  ========
    "nonsaturating"   Adam, lr 2e-4, betas (0.5, 0.999) [DCGAN]  1
    "minimax"         Adam, lr 2e-4, betas (0.5, 0.999) [DCGAN]  1
    "wgan"            RMSprop, lr 5e-5, clip 0.01 [WGAN]         5
    "wgan-gp"         Adam, lr 1e-4, betas (0, 0.9), λ 10 [GP]   5
    ================  =========================================  ========

    All randomness of the loop (minibatches, noise, interpolation weights) comes from a CPU
    generator seeded with ``seed``; the initial weights are the networks' own (seed
    PyTorch before building them). The networks are left in evaluation mode.

    Parameters
    ----------
    generator : nn.Module
        Has a ``noise_dim`` attribute and maps ``(b, noise_dim)`` to samples shaped like
        the data rows (e.g. :class:`MLPGenerator`, :class:`DCGANGenerator`).
    discriminator : nn.Module
        Maps a batch to logits / scores ``(b,)``.
    data : Tensor, shape (N, ...)
        Training set (floating point).
    n_steps : int
        Number of generator steps.
    loss : str
        One of :data:`LOSSES`.
    n_critic : int, optional
        Discriminator steps per generator step (default from the table).
    batch_size : int
        Minibatch size (capped at ``N``).
    lr : float, optional
        Learning rate of both optimisers (default from the table).
    betas : (float, float), optional
        Adam's betas (default from the table; ignored by RMSprop).
    clip : float
        Weight-clipping bound of ``"wgan"``.
    gp_weight : float
        Gradient-penalty weight ``λ`` of ``"wgan-gp"``.
    device : torch.device or str, optional
        Where to train; the networks and the data are moved there. Default: the
        generator's device.
    snapshot_every : int, optional
        Every this many steps (and after the last), keep ``generator(snapshot_noise)`` on
        the CPU.
    snapshot_noise : Tensor, shape (m, noise_dim), optional
        Fixed noise of the snapshots; default 512 draws from the run's seed.
    progress : bool
        Show a ``tqdm`` progress bar.
    seed : int
        Seed of the loop's random generator.

    Returns
    -------
    dict
        ``"generator_loss"``: list of ``n_steps`` floats; ``"discriminator_loss"``: the
        mean discriminator (critic) loss of each step, penalty included; ``"wasserstein"``:
        the critic's ``W1`` estimate ``mean f(real) - mean f(fake)`` of the last critic step
        of each step (WGAN losses only, else empty); ``"snapshot_steps"``: list of int and
        ``"snapshots"``: list of CPU tensors ``(m, ...)``; ``"loss"``, ``"n_critic"``,
        ``"lr"``, ``"betas"``: the settings used.
    """
    loss = _check_loss(loss)
    settings = DEFAULTS[loss]
    n_steps = require_int(n_steps, "n_steps")
    n_critic = require_int(settings["n_critic"] if n_critic is None else n_critic, "n_critic")
    lr = require_real(settings["lr"] if lr is None else lr, "lr", positive=True)
    betas = settings["betas"] if betas is None else tuple(betas)
    if settings["optimizer"] == "adam" and (len(betas) != 2 or not all(0 <= b < 1 for b in betas)):
        raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
    clip = require_real(clip, "clip", positive=True)
    gp_weight = require_real(gp_weight, "gp_weight")
    if not hasattr(generator, "noise_dim"):
        raise ValueError("generator must have a noise_dim attribute")
    noise_dim = require_int(generator.noise_dim, "generator.noise_dim")
    if snapshot_every is not None:
        snapshot_every = require_int(snapshot_every, "snapshot_every")
    rng = make_generator(seed)

    device = torch.device(device) if device is not None else next(generator.parameters()).device
    generator.to(device).train()
    discriminator.to(device).train()
    data = as_float_tensor(data, "data").to(device)
    if data.ndim < 2 or data.shape[0] < 1:
        raise ValueError(f"data must have shape (N, ...) with N >= 1, got {tuple(data.shape)}")
    require_finite(data, "data")
    like = next(generator.parameters())
    n_data = data.shape[0]
    batch_size = min(require_int(batch_size, "batch_size"), n_data)
    if snapshot_noise is None and snapshot_every is not None:
        snapshot_noise = standard_normal((512, noise_dim), like, rng)
    if snapshot_noise is not None:
        snapshot_noise = as_float_tensor(snapshot_noise, "snapshot_noise", ndim=2, like=like)
        if snapshot_noise.shape[1] != noise_dim:
            raise ValueError(f"snapshot_noise must have shape (m, {noise_dim}), got {tuple(snapshot_noise.shape)}")

    opt_g = _optimizer(generator.parameters(), settings["optimizer"], lr, betas)
    opt_d = _optimizer(discriminator.parameters(), settings["optimizer"], lr, betas)
    history = dict(generator_loss=[], discriminator_loss=[], wasserstein=[], snapshot_steps=[], snapshots=[],
                   loss=loss, n_critic=n_critic, lr=lr, betas=betas)

    def snapshot(step):
        generator.eval()
        with torch.no_grad():
            history["snapshots"].append(generator(snapshot_noise).cpu())
        history["snapshot_steps"].append(step)
        generator.train()

    bar = progress_bar(range(1, n_steps + 1), desc=f"GAN ({loss})", disable=not progress)
    for step in bar:
        d_losses = []
        for _ in range(n_critic):
            idx = torch.randperm(n_data, generator=rng)[:batch_size].to(device)
            with torch.no_grad():
                fake = generator(standard_normal((batch_size, noise_dim), like, rng))
            d_loss, w = discriminator_step(discriminator, opt_d, data[idx], fake, loss, clip, gp_weight, rng)
            d_losses.append(d_loss)
        z = standard_normal((batch_size, noise_dim), like, rng)
        history["generator_loss"].append(generator_step(generator, discriminator, opt_g, z, loss))
        history["discriminator_loss"].append(sum(d_losses) / n_critic)
        if loss in ("wgan", "wgan-gp"):
            history["wasserstein"].append(w)
        if snapshot_every is not None and (step % snapshot_every == 0 or step == n_steps):
            snapshot(step)
        if progress and (step % 50 == 0 or step == n_steps):
            post = dict(d=f"{history['discriminator_loss'][-1]:.3f}", g=f"{history['generator_loss'][-1]:.3f}")
            if history["wasserstein"]:
                post["W1"] = f"{w:.3f}"
            bar.set_postfix(post)
    generator.eval()
    discriminator.eval()
    return history
