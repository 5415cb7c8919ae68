"""MMD nets: a generator trained by minimising the MMD to the data (Dziugaite et al., 2015).

"Training generative neural networks via maximum mean discrepancy optimization" replaces
the GAN discriminator by a fixed kernel two-sample statistic: a generator ``g_θ`` maps noise
``z ~ N(0, I)`` to samples, and ``θ`` follows the gradient of the unbiased MMD² between a
batch of generated points and a batch of data (:func:`course_lib.mmd.mmd2`), with a sum of
Gaussian kernels at several bandwidths so that both coarse and fine structure is matched.

Examples
--------
>>> from course_lib.data import ring_of_gaussians
>>> data = ring_of_gaussians(2048, seed=0)
>>> generator, losses = train_mmd_net(data, n_steps=500, progress=False)  # doctest: +SKIP
>>> fake = generator.sample(1000)  # (1000, 2)                              # doctest: +SKIP
"""
from __future__ import annotations


import torch
from torch import nn
from .quick import progress_bar

from ._validate import as_float_tensor, require_finite, require_int
from .kernels import median_heuristic
from .mmd import mmd2

__all__ = ["MMDGenerator", "mmd_net_step", "train_mmd_net", "BANDWIDTH_FACTORS"]

#: Multiples of the median-heuristic bandwidth used by :func:`train_mmd_net` by default.
BANDWIDTH_FACTORS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)


class MMDGenerator(nn.Module):
    """A multilayer perceptron from noise to data space: ``z (b, noise_dim) -> x (b, data_dim)``.

    ``n_layers`` hidden layers of width ``hidden`` with ReLU activations, and a linear
    output layer (the data may take any real value).

    Parameters
    ----------
    noise_dim : int
        Dimension of the noise ``z ~ N(0, I)``.
    data_dim : int
        Dimension of the generated samples.
    hidden : int
        Width of the hidden layers.
    n_layers : int
        Number of hidden layers (at least 1).
    """

    def __init__(self, noise_dim: int, data_dim: int, hidden: int = 128, n_layers: int = 2):
        super().__init__()
        self.noise_dim = require_int(noise_dim, "noise_dim")
        self.data_dim = require_int(data_dim, "data_dim")
        hidden = require_int(hidden, "hidden")
        n_layers = require_int(n_layers, "n_layers")
        layers, width = [], self.noise_dim
        for _ in range(n_layers):
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, self.data_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map noise to samples.

        Parameters
        ----------
        z : Tensor, shape (b, noise_dim)

        Returns
        -------
        Tensor, shape (b, data_dim)
        """
        if z.ndim != 2 or z.shape[1] != self.noise_dim:
            raise ValueError(f"z must have shape (b, {self.noise_dim}), got {tuple(z.shape)}")
        return self.net(z)

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` draws of ``z ~ N(0, I)``, shape ``(n, noise_dim)``, on the module's device.

        ``generator`` (e.g. ``torch.Generator().manual_seed(0)``) makes the draw reproducible;
        one on another device than the module draws there and the noise is then moved.
        ``None`` uses PyTorch's global state.
        """
        n = require_int(n, "n")
        weight = self.net[0].weight
        draw_on = weight.device if generator is None else generator.device
        z = torch.randn(n, self.noise_dim, generator=generator, device=draw_on, dtype=weight.dtype)
        return z.to(weight.device)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` samples: :meth:`noise`, then :meth:`forward`, shape ``(n, data_dim)``.

        The result is differentiable with respect to the parameters (this is what training
        uses); wrap the call in ``torch.no_grad()`` when you only want to look at samples.
        """
        return self(self.noise(n, generator))


def mmd_net_step(generator: MMDGenerator, optimizer: torch.optim.Optimizer, x_real: torch.Tensor,
                 z: torch.Tensor, bandwidth) -> float:
    """One gradient step of an MMD net on a batch of data (assignment a02 writes the same step).

    Generates ``generator(z)``, computes the loss ``mmd2(fake, x_real, bandwidth=bandwidth,
    estimator="unbiased")`` with a (multi-scale) Gaussian kernel, back-propagates it and takes
    one ``optimizer`` step.

    Parameters
    ----------
    generator : MMDGenerator
    optimizer : torch.optim.Optimizer
        Over ``generator.parameters()``.
    x_real : Tensor, shape (b, data_dim)
        A batch of data, on the generator's device.
    z : Tensor, shape (m, noise_dim)
        The generator's noise for this step, ``m >= 2`` (e.g. ``generator.noise(b)``).
    bandwidth : float or sequence of floats
        Fixed kernel bandwidth(s) ``σ``; a sequence sums the Gaussian kernels.

    Returns
    -------
    float
        The loss (unbiased MMD² estimate) before the step; it can be slightly negative.
    """
    if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[0] < 2:
        shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(f"z must be a tensor of shape (m, noise_dim) with m >= 2, got {shape}")
    optimizer.zero_grad(set_to_none=True)
    loss = mmd2(generator(z), x_real, bandwidth=bandwidth, estimator="unbiased")
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def train_mmd_net(
    data,
    noise_dim: int = 8,
    n_steps: int = 2000,
    batch_size: int = 256,
    lr: float = 1e-3,
    bandwidths=None,
    seed: int = 0,
    progress: bool = True,
    *,
    hidden: int = 128,
    n_layers: int = 2,
) -> tuple[MMDGenerator, list[float]]:
    """Train an :class:`MMDGenerator` on ``data`` with Adam and the multi-scale MMD² loss.

    Each step takes a minibatch of ``batch_size`` data points (without replacement within
    the step) and as many generated points, and calls :func:`mmd_net_step`. Training runs
    on ``data.device``. The run is reproducible through ``seed`` (initial weights, noise and
    minibatches) and leaves PyTorch's global random state as it was.

    The tensors of a step are small, so on a CPU ``torch.set_num_threads(1)`` is often
    faster than several threads, and much faster on a machine busy with other jobs.

    Parameters
    ----------
    data : Tensor, shape (N, d)
        The training set (floating point; the generator gets its dtype and device).
    noise_dim : int
        Dimension of the generator's noise.
    n_steps : int
        Number of gradient steps.
    batch_size : int
        Data points (and generated points) per step, at least 2; capped at ``N``.
    lr : float
        Adam learning rate.
    bandwidths : float, sequence of floats or None
        Gaussian kernel bandwidths. ``None``: the median heuristic ``σ`` on the data times
        :data:`BANDWIDTH_FACTORS` ``= (1/8, 1/4, 1/2, 1, 2, 4)``.
    seed : int
        Seed of the run.
    progress : bool
        Show a ``tqdm`` progress bar with the running loss.
    hidden, n_layers
        Size of the generator's MLP.

    Returns
    -------
    generator : MMDGenerator
        The trained generator, in evaluation mode.
    losses : list of float
        The loss of every step.
    """
    data = as_float_tensor(data, "data", ndim=2)
    require_finite(data, "data")
    n_data = data.shape[0]
    if n_data < 2:
        raise ValueError(f"data must contain at least 2 points, got {n_data}")
    n_steps = require_int(n_steps, "n_steps")
    batch_size = min(require_int(batch_size, "batch_size"), n_data)
    if batch_size < 2:
        raise ValueError("batch_size must be at least 2 (the unbiased MMD² needs pairs)")
    if bandwidths is None:
        sigma = median_heuristic(data)
        bandwidths = [f * sigma for f in BANDWIDTH_FACTORS]

    devices = []
    if data.device.type == "cuda":
        devices = [data.device.index if data.device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        generator = MMDGenerator(noise_dim, data.shape[1], hidden=hidden, n_layers=n_layers)
        generator = generator.to(device=data.device, dtype=data.dtype)
        optimizer = torch.optim.Adam(generator.parameters(), lr=lr)
        losses = []
        bar = progress_bar(range(n_steps), desc="MMD net", disable=not progress)
        for step in bar:
            if batch_size == n_data:
                batch = data
            else:
                batch = data[torch.randperm(n_data, device=data.device)[:batch_size]]
            losses.append(mmd_net_step(generator, optimizer, batch, generator.noise(len(batch)), bandwidths))
            if progress and (step % 50 == 0 or step == n_steps - 1):
                bar.set_postfix(mmd2=f"{losses[-1]:.2e}")
    return generator.eval(), losses
