"""Build lectures/08_gans.ipynb (Generative adversarial networks) with nbformat.

    python tools/build_lecture_08.py                 # write the notebook without outputs
    python tools/build_lecture_08.py --keep-outputs  # keep the outputs of code cells whose source is unchanged

Then execute it in full mode, in place:

    DGM_DATA_DIR=../shared/data jupyter nbconvert --to notebook --execute --inplace \
        --ExecutePreprocessor.timeout=3000 lectures/08_gans.ipynb

``--keep-outputs`` lets the text (markdown) be edited after a long full run without running it
again: a code cell keeps the outputs of the existing notebook's cell with identical source.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_map import lecture_setup_cell  # tools/course_map.py: the repository URL's one home

REPO = Path(__file__).resolve().parents[1]
PATH = REPO / "lectures" / "08_gans.ipynb"

CELLS: list[tuple[str, str, bool]] = []   # (kind, source, hidden)


def md(text: str, hidden: bool = False) -> None:
    CELLS.append(("markdown", text.strip("\n"), hidden))


def code(text: str, hidden: bool = False) -> None:
    CELLS.append(("code", text.strip("\n"), hidden))


# ---------------------------------------------------------------------------------------------
md(r"""
# Lecture 08: Generative adversarial networks

Every model so far came with a density we could evaluate or at least bound: kernel density
estimates and Gaussian mixtures (lectures 02 and 04), the VAE through its ELBO (lectures 05–07).
A **generative adversarial network** (GAN; Goodfellow et al., 2014) gives that up. Its
generator is a network that turns noise into samples, and nothing more: there is no
likelihood to maximise. It is trained instead against a second network, the
**discriminator**, a classifier that learns to tell data from generated samples — a learned
replacement for the fixed kernel of the MMD nets of lecture 03. This lecture derives what the
game between the two optimises, checks every step numerically, and then trains GANs on 2-D
mixtures and on MNIST and *measures* their best-known failure, mode collapse.

**Learning goals.** After this lecture you can

* say what an implicit model is and why its density is unavailable, or does not even exist;
* write down the GAN minimax game, derive the optimal discriminator $D^* = p/(p+q)$ and the
  identity $V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}(p\,\|\,q)$, and check both numerically;
* explain, from the gradients with respect to the discriminator's logit, why generators are
  trained with the **non-saturating** loss;
* train GANs on the ring and the grid of Gaussians, recognise **mode collapse** in scatter
  plots and measure it (modes recovered, high-quality fraction, reverse KL);
* train a DCGAN on MNIST and evaluate it with a classifier: classes covered, KL of the label
  histogram from uniform, and a Fréchet distance read against a real-versus-real floor;
* name the practical levers of GAN training (update balance, two time-scale learning rates)
  and read a GAN's loss curves.

**Prerequisites.** Lecture 01 (KL divergence, maximum likelihood), lecture 03 (MMD nets: a
generator trained from samples only), lecture 06 (gradients through samples,
reparameterisation) and lecture 07 (MNIST set-up, decoders as generators).

**Outline.**

1. implicit models: sampling without a density,
2. the minimax game, the optimal discriminator and the Jensen–Shannon divergence,
3. a trained discriminator against $D^*$,
4. the non-saturating generator loss,
5. GANs on the ring and the grid; mode collapse, seen and measured,
6. a DCGAN on MNIST and how to score it,
7. practical notes: the discriminator wins, balancing updates, two time-scale learning rates.

The reference implementations live in `course_lib.gan` (networks, losses, `train_gan`) and
`course_lib.gan_metrics` (mode coverage, digit classifier, Fréchet distance). **Run time.** In
*quick mode* (`DGM_QUICK=1`) every run is a few hundred steps and the image part uses the 8×8
digits, so the numbers are only indicative. Without it the notebook trains on MNIST (when it
can be found or downloaded; otherwise on the digits); the committed outputs took 16 minutes on
a shared two-core machine with one compute thread, and the closing cell prints every training
time.
""")

code(lecture_setup_cell())

md(r"""
Helpers: `close(a, b, tol)` is the one-line check of earlier lectures (it asserts that the
largest absolute difference is at most `tol` and returns it); `show_images` tiles flattened
images into one picture; `timer` measures the wall time of a training run and records it in
`TIMES` for the closing note; `scatter_2d` draws generated points over the data.
""")

code(r'''
import math
import time
from contextlib import contextmanager

import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib import quick_or_full
from course_lib.data import grid_of_gaussians, load_digits, load_mnist_or_digits, ring_of_gaussians
from course_lib.gan import (DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator,
                            discriminator_step, gan_value, generator_loss_minimax,
                            generator_loss_nonsaturating, generator_step, jensen_shannon,
                            optimal_discriminator, train_gan)
from course_lib.gan_metrics import (PROTOCOL_N_SAMPLES, classifier_accuracy, digit_metrics,
                                    frechet_distance, frechet_distance_gaussians, grid_protocol,
                                    mode_coverage, ring_protocol, train_mnist_classifier)

plt.rcParams.update({"figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3})
T_START = time.perf_counter()
TIMES = {}                                   # training wall times in seconds, by run


def to_np(t):
    return t.detach().cpu().numpy()


def close(a, b, tol):
    # One-line check: max |a - b| <= tol. Returns the difference so a cell can print it.
    err = (torch.as_tensor(a).double() - torch.as_tensor(b).double()).abs().max().item()
    assert err <= tol, f"max |difference| = {err:.3e} exceeds the tolerance {tol:.1e}"
    return err


def show_images(ax, images, nrow, title, xlabel="", ylabel="", side=None):
    # Tile (n, side*side) images row by row into one grey-scale picture (dark = ink).
    images = to_np(torch.as_tensor(images)).reshape(len(images), -1)
    side = side or int(round(math.sqrt(images.shape[1])))
    ncol = math.ceil(len(images) / nrow)
    canvas = np.ones((nrow * (side + 1) - 1, ncol * (side + 1) - 1))
    for i, im in enumerate(images):
        r, c = divmod(i, ncol)
        canvas[r * (side + 1):r * (side + 1) + side, c * (side + 1):c * (side + 1) + side] = im.reshape(side, side)
    ax.imshow(1 - canvas, cmap="gray", vmin=0, vmax=1)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, xticks=[], yticks=[])
    ax.grid(False)


@contextmanager
def timer(label):
    start = time.perf_counter()
    yield
    TIMES[label] = time.perf_counter() - start
    print(f"{label}: {TIMES[label]:.1f} s")


def scatter_2d(ax, data, samples, title, lim):
    # Generated points (blue) over the data (grey), on a square window [-lim, lim]^2.
    ax.scatter(*to_np(data[:2000]).T, s=2, c="lightgrey", label="data")
    ax.scatter(*to_np(samples).T, s=2, c="C0", alpha=0.5, label="generated")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
''')

# ---------------------------------------------------------------------------------------------
md(r"""
## 1. Implicit models: sampling without a density

A **generator** is a network $G_\theta:\mathbb R^k\to\mathbb R^D$. To sample, draw
$z\sim\mathcal N(0, I_k)$ and return $x = G_\theta(z)$. The model distribution $q_\theta$ is the
distribution of $G_\theta(z)$ — the *push-forward* of the noise through the network. Sampling is
one forward pass; everything else is hard:

* if $k < D$ (the usual case: 64 noise dimensions for 784 pixels), all samples lie on the
  image of $G_\theta$, a $k$-dimensional surface in $\mathbb R^D$. A set of volume zero carries
  all the probability, so $q_\theta$ has **no density** at all, and $\log q_\theta(x)$ of a real image
  is not a small number but undefined;
* if $k = D$ and $G_\theta$ happens to be invertible, the change of variables
  $q_\theta(x) = \mathcal N\big(G_\theta^{-1}(x); 0, I\big)\,\lvert\det \partial G_\theta^{-1}(x)/\partial x\rvert$
  needs the inverse and a Jacobian determinant that a general network does not provide
  (normalising flows are built to pay exactly this price).

Such a model is called **implicit**: it defines a distribution through a sampling procedure.
Maximum likelihood is out of reach. What remains easy are expectations,
$\mathbb E_{x\sim q_\theta} f(x) = \mathbb E_{z} f(G_\theta(z))$, estimated by averaging over noise draws and
differentiable in $\theta$ by the reparameterisation of lecture 06. A training signal must be
built from such averages. Lecture 03 compared samples with a fixed kernel (MMD); a GAN
*learns* the comparison.

**Predict, then run.** Below, two untrained generators map noise to the plane: one with
$k = 1$, one with $k = 2$ noise dimensions. What does a scatter plot of 3,000 samples of each look
like? Which of the two could have a density?
""")

code(r'''
torch.manual_seed(0)
gen_k1, gen_k2 = MLPGenerator(noise_dim=1, data_dim=2), MLPGenerator(noise_dim=2, data_dim=2)
g = torch.Generator().manual_seed(0)
z1 = torch.randn(3000, 1, generator=g)
with torch.no_grad():
    x_k1, x_k2 = gen_k1(z1), gen_k2.sample(3000, generator=g)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
sc = axes[0].scatter(*to_np(x_k1).T, s=3, c=to_np(z1[:, 0]), cmap="viridis")
fig.colorbar(sc, ax=axes[0], label="noise value $z$")
axes[0].set(title="k = 1: every sample lies on one curve", xlabel="$x_1$", ylabel="$x_2$")
axes[1].scatter(*to_np(x_k2).T, s=3, alpha=0.5)
axes[1].set(title="k = 2: samples fill a region of the plane", xlabel="$x_1$", ylabel="$x_2$")
fig.suptitle("Samples of two untrained generators $G(z)$, $z \\sim \\mathcal{N}(0, I_k)$")
plt.tight_layout()
plt.show()
''')

md(r"""
With one noise dimension every sample lies on the curve $z\mapsto G(z)$ (the colour runs along it):
a distribution on a curve in the plane has no density. With $k = 2$ the samples fill a region
and a density exists, but evaluating it would need $G^{-1}$ and a Jacobian. The GAN never needs
either.

## 2. The minimax game and the optimal discriminator

The **discriminator** $D_\phi:\mathbb R^D\to(0,1)$ outputs the probability that its input is real
data rather than a generated sample. The two networks play the game
$$\min_G\,\max_D\; V(D, G) = \mathbb E_{x\sim p}\log D(x) + \mathbb E_{z\sim\mathcal N(0,I)}\log\big(1 - D(G(z))\big),$$
where $p$ is the data distribution. For fixed $G$, $V$ is minus the binary cross-entropy of a
classifier with label 1 for data and 0 for fakes on a balanced mix, so $D$ does what a
classifier does. The generator wants the classifier to fail. In code the networks return a
**logit** $l$ with $D = \sigma(l)$, and $\log D = -\operatorname{softplus}(-l)$,
$\log(1-D) = -\operatorname{softplus}(l)$ are evaluated without overflow
(`course_lib.gan.discriminator_loss` is $-V$ in this form).

**The optimal discriminator.** Fix $G$ and let $q$ be its distribution; assume for the derivation
that $p$ and $q$ have densities (for discrete distributions replace integrals by sums). Since
$\mathbb E_z f(G(z)) = \mathbb E_{x\sim q} f(x)$,
$$V(D, G) = \int \big[\,p(x)\log D(x) + q(x)\log\big(1 - D(x)\big)\big]\,dx .$$
Nothing couples the values of $D$ at different points, so we can maximise the integrand at each
$x$ separately. For $a = p(x)$, $b = q(x)$, not both zero, the function
$y\mapsto a\log y + b\log(1-y)$ on $(0,1)$ has derivative $a/y - b/(1-y)$, which vanishes at
$y = a/(a+b)$, and second derivative $-a/y^2 - b/(1-y)^2 < 0$. So the maximiser is
$$D^*(x) = \frac{p(x)}{p(x) + q(x)} .$$
(Where $p = q = 0$ the integrand is zero whatever $D$ is.)

**The value at the optimum.** Write $m = (p+q)/2$ for the mixture. Then $D^* = p/(2m)$ and
$1 - D^* = q/(2m)$, and
$$V(D^*, G) = \mathbb E_p\log\frac{p}{2m} + \mathbb E_q\log\frac{q}{2m}
 = -2\log 2 + \mathrm{KL}(p\,\|\,m) + \mathrm{KL}(q\,\|\,m) = -\log 4 + 2\,\mathrm{JSD}(p\,\|\,q),$$
with the **Jensen–Shannon divergence** $\mathrm{JSD}(p\,\|\,q) = \tfrac12\mathrm{KL}(p\,\|\,m) + \tfrac12\mathrm{KL}(q\,\|\,m)$,
which is symmetric and lies in $[0, \log 2]$. So against an optimal discriminator the generator
minimises a Jensen–Shannon divergence; the minimum $-\log 4$ is reached exactly when $q = p$, and
there $D^*\equiv\tfrac12$: the classifier can only guess. (Some notes define the JSD without the
factor $\tfrac12$, and then the identity reads $-\log 4 + \mathrm{JSD}$.)

**Predict, then run.** (a) What is $V(D^*, G)$ when $q = p$? (b) If $p$ and $q$ have *disjoint*
supports, what are $D^*$, the JSD and $V(D^*, G)$, and does $V(D^*, G)$ change when $q$ moves a
little while staying disjoint from $p$? The cell checks the identities on random distributions
over 10 outcomes with `optimal_discriminator`, `gan_value` and `jensen_shannon`.
""")

code(r'''
g = torch.Generator().manual_seed(0)
K = 10
p = torch.softmax(torch.randn(K, generator=g, dtype=torch.float64), 0)
q = torch.softmax(torch.randn(K, generator=g, dtype=torch.float64), 0)
d_star = optimal_discriminator(p, q)
v_star, jsd = gan_value(d_star, p, q), jensen_shannon(p, q)
m = (p + q) / 2
print(f"V(D*, G) = {v_star:.6f};  -log 4 + 2 JSD = {-math.log(4) + 2 * jsd:.6f};  JSD = {jsd:.6f} nats")
print(f"D* = p / (p + q):          {close(d_star, p / (p + q), 1e-15):.1e}")
print(f"JSD = (KL(p||m) + KL(q||m))/2: {close(jsd, 0.5 * (p * (p / m).log()).sum() + 0.5 * (q * (q / m).log()).sum(), 1e-15):.1e}")
print(f"V(D*) = -log 4 + 2 JSD:    {close(v_star, -math.log(4) + 2 * jsd, 1e-14):.1e}")

d_random = torch.rand(100_000, K, generator=g, dtype=torch.float64)         # 100,000 random discriminators
v_random = (p * d_random.log() + q * (1 - d_random).log()).sum(1)
print(f"best of 100,000 random D: V = {v_random.max():.4f} <= V(D*) = {v_star:.4f}")
assert v_random.max() <= v_star

print(f"(a) q = p:       V = {gan_value(optimal_discriminator(p, p), p, p):.6f}, -log 4 = {-math.log(4):.6f}, "
      f"D* = 1/2: {close(optimal_discriminator(p, p), 0.5, 0):.0e}")
p_left = torch.tensor([0.2, 0.3, 0.5, 0, 0, 0, 0, 0, 0, 0], dtype=torch.float64)
for q_right in ([0, 0, 0, 0.5, 0.5, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0.1, 0.1, 0.8]):
    q_right = torch.tensor(q_right, dtype=torch.float64)
    d_dis = optimal_discriminator(p_left, q_right)
    print(f"(b) disjoint:    V = {gan_value(d_dis, p_left, q_right):.6f}, JSD = {jensen_shannon(p_left, q_right):.6f} "
          f"(log 2 = {math.log(2):.6f}), D* on the supports: {d_dis[p_left > 0].tolist()} / {d_dis[q_right > 0].tolist()}")
''')

md(r"""
The identity holds to round-off, and no random discriminator beats $D^*$. The disjoint case is the
warning: as long as the supports do not overlap, $D^*$ is exactly 1 on the data and 0 on the
fakes, the JSD is stuck at its maximum $\log 2$ and $V(D^*,G) = 0$, **whatever** the distance
between the two supports. Moving $q$ closer to $p$ does not change the value, so an optimal
discriminator gives the generator no direction to move in. Real images and early generator
samples live on thin sets (Section 1) that typically do not overlap; this is one motivation for
the Wasserstein GANs of lecture 09.

## 3. A trained discriminator approaches $D^*$

The derivation assumed that $D$ can be any function and that the expectations are exact. A
real discriminator is a network trained by stochastic gradient steps on finite batches. To see
how close it gets, we fix a simple 1-D generator, $G(z) = 0.5 + 1.2\,z$, so that $q = \mathcal N(0.5, 1.2^2)$
is known to us (not to the discriminator), take as data the mixture
$p = \tfrac12\mathcal N(-1.5, 0.5^2) + \tfrac12\mathcal N(1.5, 0.5^2)$, and train an `MLPDiscriminator` (three hidden
layers of 64 units) with `discriminator_step`: Adam, fresh batches of 512 data points and 512
fakes per step. Then we compare $\sigma(\text{logit})$ with $p/(p+q)$ on a grid, and the value the network
achieves with $V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}(p\,\|\,q)$ (the JSD by numerical integration).

**Predict, then run.** Where on the line will the trained discriminator be furthest from $D^*$:
near the modes of $p$, between them, or far out in the tails?
""")

code(r'''
MU_Q, SD_Q = 0.5, 1.2                                          # the fixed generator G(z) = MU_Q + SD_Q z


def normal_pdf(x, mu, sd):
    return torch.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))


def p_pdf(x):                                                  # the data: two Gaussians at -1.5 and +1.5
    return 0.5 * normal_pdf(x, -1.5, 0.5) + 0.5 * normal_pdf(x, 1.5, 0.5)


def sample_p(n, g):
    sign = torch.where(torch.rand(n, 1, generator=g) < 0.5, -1.0, 1.0)
    return 1.5 * sign + 0.5 * torch.randn(n, 1, generator=g)


def sample_q(n, g):
    return MU_Q + SD_Q * torch.randn(n, 1, generator=g)


torch.manual_seed(0)
disc_1d = MLPDiscriminator(data_dim=1, hidden=64)
opt_1d = torch.optim.Adam(disc_1d.parameters(), lr=1e-3)
g = torch.Generator().manual_seed(1)
with timer("1-D discriminator against a fixed generator"):
    for step in range(quick_or_full(600, 4000)):
        discriminator_step(disc_1d, opt_1d, sample_p(512, g), sample_q(512, g))

xs = torch.linspace(-4, 4, 801)
with torch.no_grad():
    d_net = torch.sigmoid(disc_1d(xs[:, None]))
d_opt = optimal_discriminator(p_pdf(xs), normal_pdf(xs, MU_Q, SD_Q))

# Values: the network's V by Monte Carlo (200,000 draws of each), V(D*) from the JSD by the trapezoid rule.
x_fine = torch.linspace(-10, 10, 200_001, dtype=torch.float64)
pf, qf = p_pdf(x_fine), normal_pdf(x_fine, MU_Q, SD_Q)
mf = (pf + qf) / 2
jsd_1d = torch.trapezoid(0.5 * torch.special.xlogy(pf, pf / mf) + 0.5 * torch.special.xlogy(qf, qf / mf), x_fine).item()
with torch.no_grad():
    terms = torch.cat([torch.nn.functional.logsigmoid(disc_1d(sample_p(200_000, g))),
                       torch.nn.functional.logsigmoid(-disc_1d(sample_q(200_000, g)))])
v_net = terms[:200_000].mean().item() + terms[200_000:].mean().item()
v_se = math.sqrt(terms[:200_000].var().item() / 2e5 + terms[200_000:].var().item() / 2e5)
v_opt = -math.log(4) + 2 * jsd_1d
core = (p_pdf(xs) + normal_pdf(xs, MU_Q, SD_Q)) > 0.05            # where either density is not negligible
print(f"JSD(p || q) = {jsd_1d:.4f} nats; V(D*, G) = -log 4 + 2 JSD = {v_opt:.4f}; V(trained D) = {v_net:.4f} ± {v_se:.4f}")
print(f"max |D - D*| where p + q > 0.05 (x in [{xs[core].min():.1f}, {xs[core].max():.1f}]): "
      f"{close(d_net[core], d_opt[core], quick_or_full(0.15, 0.06)):.3f};  over all of [-4, 4]: {(d_net - d_opt).abs().max():.3f}")
print(f"V(D*) - V(trained D) = {close(v_opt, v_net, quick_or_full(0.03, 0.01)):.4f} (>= 0 up to Monte Carlo error)")
assert v_net <= v_opt + 3 * v_se
''')

code(r'''
fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
axes[0].plot(to_np(xs), to_np(p_pdf(xs)), label="data $p$")
axes[0].plot(to_np(xs), to_np(normal_pdf(xs, MU_Q, SD_Q)), label="generator $q = \\mathcal{N}(0.5, 1.2^2)$")
axes[0].set(title="The data and the fixed generator", xlabel="$x$", ylabel="density")
axes[0].legend()
axes[1].plot(to_np(xs), to_np(d_opt), "k--", label="$D^* = p / (p + q)$")
axes[1].plot(to_np(xs), to_np(d_net), c="C3", label="trained discriminator $\\sigma(\\mathrm{logit})$")
axes[1].axhline(0.5, c="grey", lw=0.8)
axes[1].set(title="A trained discriminator against the optimal one", xlabel="$x$", ylabel="$D(x)$", ylim=(-0.02, 1.02))
axes[1].legend()
plt.tight_layout()
plt.show()
''')

md(r"""
Where $p$ or $q$ has mass, the trained network follows $p/(p+q)$ closely, and its value is within
a few thousandths of a nat of $V(D^*, G)$. The largest deviations sit in the tails, where neither
density puts samples and the network's output is extrapolation (a LeakyReLU network is
piecewise linear in $x$ there, so its logit keeps growing linearly while the true log-ratio
$\log p - \log q$ is quadratic). A discriminator is a good **density-ratio estimator** where data
are, and says nothing reliable elsewhere (Exercise 3 reads the ratio $p/q$ off the logit).

## 4. The non-saturating generator loss

Take one generated point with discriminator logit $l$, so $D(G(z)) = \sigma(l)$. The minimax game asks
the generator to minimise $\log(1 - \sigma(l)) = -\operatorname{softplus}(l)$ (`generator_loss_minimax`), with
$$\frac{\partial}{\partial l}\log\big(1-\sigma(l)\big) = -\sigma(l) = -D(G(z)).$$
Early in training the fakes are poor and the discriminator rejects them confidently:
$D(G(z))\to 0$, $l\to-\infty$, and this derivative vanishes. The generator loss **saturates** exactly
when the generator most needs a signal; every gradient that reaches $\theta$ passes through this
factor. Goodfellow et al. (2014) therefore proposed to let the generator *maximise*
$\log D(G(z))$ instead, i.e. minimise the **non-saturating** loss
$-\log\sigma(l) = \operatorname{softplus}(-l)$ (`generator_loss_nonsaturating`), with
$$\frac{\partial}{\partial l}\big(-\log\sigma(l)\big) = -\big(1 - \sigma(l)\big) = -\big(1 - D(G(z))\big)\;\to\;-1 \quad (l\to-\infty).$$
Both derivatives are negative: both losses push the logit of the fakes up, towards "real", and
both are stationary at the same point ($q = p$, $D\equiv\tfrac12$). They differ in *weighting*: the
ratio of the two derivatives is $(1-D)/D$, huge for confidently rejected fakes. The game is no
longer zero-sum, but in practice it is what everybody trains (and what `train_gan` calls
`"nonsaturating"`).

**Predict, then run.** At $D(G(z)) = 10^{-3}$, by what factor is the non-saturating gradient
larger than the minimax one? The cell differentiates both library losses with autograd and
compares with the formulas.
""")

code(r'''
d_vals = torch.logspace(-5, math.log10(0.999), 300, dtype=torch.float64)
logits = torch.logit(d_vals).requires_grad_(True)
n = len(logits)                                                # the losses are means: multiply by n for per-sample derivatives
(grad_mm,) = torch.autograd.grad(n * generator_loss_minimax(logits), logits)
(grad_ns,) = torch.autograd.grad(n * generator_loss_nonsaturating(logits), logits)
print(f"minimax:         d/dl = -sigma(l):       {close(grad_mm, -d_vals, 1e-12):.1e}")
print(f"non-saturating:  d/dl = -(1 - sigma(l)): {close(grad_ns, -(1 - d_vals), 1e-12):.1e}")
i = torch.argmin((d_vals - 1e-3).abs())
print(f"at D(G(z)) = {d_vals[i]:.4f}: ratio of the derivatives = {(grad_ns[i] / grad_mm[i]).item():.0f} = (1 - D)/D")

fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
axes[0].plot(to_np(d_vals), to_np(-torch.nn.functional.softplus(logits)), label="minimax: $\\log(1 - D)$")
axes[0].plot(to_np(d_vals), to_np(torch.nn.functional.softplus(-logits)), label="non-saturating: $-\\log D$")
axes[0].set(xscale="log", title="Generator losses against $D(G(z))$", xlabel="$D(G(z))$ (log scale)", ylabel="loss (to minimise)")
axes[0].legend()
axes[1].plot(to_np(d_vals), to_np(grad_mm.abs()), label="minimax: $|\\partial/\\partial l| = D$")
axes[1].plot(to_np(d_vals), to_np(grad_ns.abs()), label="non-saturating: $|\\partial/\\partial l| = 1 - D$")
axes[1].set(xscale="log", yscale="log", title="Their gradients with respect to the logit $l$",
            xlabel="$D(G(z))$ (log scale): fakes rejected ←  → fakes accepted", ylabel="|derivative| (log scale)")
axes[1].legend()
plt.tight_layout()
plt.show()
''')

md(r"""
On the left of the plot — fakes that the discriminator rejects — the minimax gradient falls in
proportion to $D(G(z))$, while the non-saturating one stays at about 1. How small does
$D(G(z))$ get in practice? The next cell takes an untrained generator and the ring data of
Section 5, trains only the discriminator for 300 steps (it wins quickly, as it usually does),
and then measures the norm of the generator's parameter gradient under each loss, on the same
noise.
""")

code(r'''
ring_data = ring_of_gaussians(20_000, seed=0)                  # 8 modes on a circle of radius 2, std 0.02
torch.manual_seed(0)
gen_probe, disc_probe = MLPGenerator(noise_dim=2, data_dim=2, hidden=128), MLPDiscriminator(data_dim=2, hidden=128)
opt_probe = torch.optim.Adam(disc_probe.parameters(), lr=1e-3, betas=(0.5, 0.999))
g = torch.Generator().manual_seed(2)
for step in range(300):
    with torch.no_grad():
        fake = gen_probe.sample(256, generator=g)
    discriminator_step(disc_probe, opt_probe, ring_data[torch.randint(len(ring_data), (256,), generator=g)], fake)

z_probe = torch.randn(1024, 2, generator=g)
norms = {}
for name, loss_fn in [("minimax", generator_loss_minimax), ("non-saturating", generator_loss_nonsaturating)]:
    gen_probe.zero_grad()
    loss_fn(disc_probe(gen_probe(z_probe))).backward()
    norms[name] = torch.sqrt(sum(p.grad.square().sum() for p in gen_probe.parameters())).item()
with torch.no_grad():
    d_fake = torch.sigmoid(disc_probe(gen_probe(z_probe)))
print(f"after 300 discriminator steps: mean D(G(z)) = {d_fake.mean():.4f} (median {d_fake.median():.4f})")
print(f"generator gradient norm: minimax {norms['minimax']:.2e}, non-saturating {norms['non-saturating']:.2e}, "
      f"ratio {norms['non-saturating'] / norms['minimax']:.0f}")
assert norms["non-saturating"] > norms["minimax"]
''')

md(r"""
The minimax gradient is smaller by the factor printed above, because the discriminator already
rejects almost every fake. With plain gradient descent that is a proportionally smaller step.
Adam (used everywhere below) divides each parameter's gradient by a running estimate of its own
magnitude, so a gradient that is *uniformly* small still produces normal-sized steps; this
hides part of the saturation, which is why the minimax loss still trains in the 2-D runs of the
next section. What Adam cannot undo is the *weighting*: under the minimax loss the few fakes
that already fool the discriminator dominate the gradient, and the rejected ones (those that
most need to move) contribute almost nothing.

## 5. GANs on the ring and the grid: mode collapse

Two 2-D benchmarks with known modes:

* the **ring**: 8 Gaussians of standard deviation 0.02 evenly spaced on a circle of radius 2
  (`ring_of_gaussians`);
* the **grid**: 25 Gaussians of standard deviation 0.05 on $\{-4,-2,0,2,4\}^2$ (`grid_of_gaussians`).

**Mode coverage** (the protocol of VEEGAN and PacGAN; `mode_coverage`): draw 2,500 samples; a
sample is **high quality** if it lies within 3 standard deviations of its nearest mode centre;
a mode is **recovered** if it is the nearest centre of at least one high-quality sample (the
*strict* count asks for at least 1% of the high-quality samples); the **reverse KL** is
$\mathrm{KL}(h\,\|\,\text{uniform})$ of the histogram $h$ of modes over the high-quality samples — 0 when
the generator spreads its good samples evenly, $\log K$ when they all fall in one mode.

The networks: an `MLPGenerator` with 2 noise dimensions and an `MLPDiscriminator`, both with three
hidden layers of 128 units; Adam with learning rate $10^{-3}$ and $\beta = (0.5, 0.999)$ for both; batches of
256; one discriminator step per generator step (`train_gan`); the same initial weights for
both losses. Each training step is, in a few lines,

```python
fake = G(z).detach();  loss_D = softplus(-D(x_real)).mean() + softplus(D(fake)).mean()   # -V, a step on D
loss_G = softplus(-D(G(z'))).mean()     # non-saturating (minimax: -softplus(D(G(z'))).mean()), a step on G
```

**Mode collapse** is the generator putting its samples on a few modes only. The game invites
it: the generator is rewarded for moving samples to wherever the *current* discriminator says
"real"; if it concentrates them there, the discriminator learns to reject that place, and the
samples move on, rather than spread out. No term of the generator's loss asks it to cover
every mode (compare maximum likelihood, where a missed mode costs $-\log 0 = \infty$).

**Predict, then run.** Which benchmark is harder? Will the minimax loss train at all? Will the
mode counts rise steadily over training, or go up and down?
""")

code(r'''
grid_data = grid_of_gaussians(20_000, seed=0)                  # 25 modes on {-4,...,4}^2, std 0.05
BENCH = {"ring": (ring_data, *ring_protocol(radius=2.0, std=0.02), 2.6),
         "grid": (grid_data, *grid_protocol(), 5.2)}           # data, centres, std, plot window
N_STEPS_2D = quick_or_full(200, 4000)
SNAP_2D = N_STEPS_2D // 5
snap_noise = torch.randn(PROTOCOL_N_SAMPLES, 2, generator=torch.Generator().manual_seed(3))   # 2,500 fixed z


def train_2d(data, loss, n_steps=N_STEPS_2D, seed=0, **kwargs):
    torch.manual_seed(seed)
    G, D = MLPGenerator(noise_dim=2, data_dim=2, hidden=128), MLPDiscriminator(data_dim=2, hidden=128)
    hist = train_gan(G, D, data, n_steps=n_steps, loss=loss, batch_size=256, lr=1e-3, snapshot_every=SNAP_2D,
                     snapshot_noise=snap_noise, seed=seed, **kwargs)
    return G, D, hist


runs_2d = {}
for bench, (data, centres, std, lim) in BENCH.items():
    for loss in ("nonsaturating", "minimax"):
        with timer(f"2-D GAN, {bench}, {loss}, {N_STEPS_2D} steps"):
            runs_2d[bench, loss] = train_2d(data, loss)
''')

code(r'''
fig, axes = plt.subplots(4, 5, figsize=(16, 13.5))
for r, ((bench, loss), (G, D, hist)) in enumerate(runs_2d.items()):
    data, centres, std, lim = BENCH[bench]
    for c, (step, snap) in enumerate(zip(hist["snapshot_steps"], hist["snapshots"])):
        cov = mode_coverage(snap, centres, std)
        scatter_2d(axes[r, c], data, snap, f"{bench}, {loss}, step {step}\n{cov.n_modes}/{cov.n_total_modes} modes, "
                   f"{cov.high_quality_fraction:.0%} high quality", lim)
fig.suptitle("Samples over training (2,500 fixed noise draws; grey: data)", y=1.0)
plt.tight_layout()
plt.show()
''')

code(r'''
def coverage_row(name, samples, centres, std):
    cov = mode_coverage(samples, centres, std)
    print(f"{name:<34} {cov.n_modes:>3}/{cov.n_total_modes:<3} {cov.n_modes_strict:>4}/{cov.n_total_modes:<3} "
          f"{cov.high_quality_fraction:>12.3f} {cov.reverse_kl:>11.3f}")
    return cov


print(f"{'run (2,500 samples)':<34} {'modes':>7} {'strict':>8} {'high quality':>12} {'reverse KL':>11}")
COVERAGE = {}
for bench, (data, centres, std, lim) in BENCH.items():
    fresh = (ring_of_gaussians if bench == "ring" else grid_of_gaussians)(PROTOCOL_N_SAMPLES, seed=1)
    ref = coverage_row(f"{bench}: data itself (reference)", fresh, centres, std)
    assert ref.n_modes == ref.n_total_modes and ref.high_quality_fraction > 0.98   # real data: P(chi2_2 <= 9) = 98.9%
    for loss in ("nonsaturating", "minimax"):
        G = runs_2d[bench, loss][0]
        with torch.no_grad():
            samples = G.sample(PROTOCOL_N_SAMPLES, generator=torch.Generator().manual_seed(4))
        COVERAGE[bench, loss] = coverage_row(f"{bench}: {loss}", samples, centres, std)
print(f"(reverse KL: 0 = good samples spread evenly; log 8 = {math.log(8):.2f}, log 25 = {math.log(25):.2f}: all in one mode)")
''')

code(r'''
fig, axes = plt.subplots(1, 2, figsize=(13, 4))
for ax, bench in zip(axes, BENCH):
    for loss in ("nonsaturating", "minimax"):
        cov = COVERAGE[bench, loss]
        ax.bar(np.arange(cov.n_total_modes) + (0.2 if loss == "minimax" else -0.2), to_np(cov.counts), width=0.4,
               label=loss)
    ax.axhline(PROTOCOL_N_SAMPLES / cov.n_total_modes, c="k", ls="--", lw=1, label="uniform share of 2,500")
    ax.set(title=f"{bench}: high-quality samples per mode", xlabel="mode index", ylabel="number of samples")
    ax.legend()
plt.tight_layout()
plt.show()
''')

md(r"""
RESULTS_2D_PLACEHOLDER

**Step through training.** With a live kernel the slider below shows the samples of the grid
run with the non-saturating loss at each snapshot; without widgets (on GitHub, or in a static
export) the row of the figure above shows the same snapshots.
""")

code(r'''
def snapshot_slider(hist, draw):
    # A slider over the training snapshots of `hist`; `draw(samples, step)` makes one figure.
    # Without ipywidgets (or when widgets are not rendered) the static figures above show the same snapshots.
    if not course_lib.widgets_enabled():  # headless runs (nbval, grading) or no ipywidgets
        print("No widgets in this run; the static figures above show the snapshots.")
        return
    import ipywidgets as widgets
    steps = hist["snapshot_steps"]

    def show(step=steps[-1]):
        draw(hist["snapshots"][steps.index(step)], step)
        plt.show()

    every = steps[1] - steps[0] if len(steps) > 1 else 1
    widgets.interact(show, step=widgets.IntSlider(min=steps[0], max=steps[-1], step=every, value=steps[-1],
                                                  description="step"))


def draw_grid_snapshot(samples, step):
    data, centres, std, lim = BENCH["grid"]
    cov = mode_coverage(samples, centres, std)
    fig, ax = plt.subplots(figsize=(5, 5))
    scatter_2d(ax, data, samples, f"grid, non-saturating, step {step}: {cov.n_modes}/25 modes, "
               f"{cov.high_quality_fraction:.0%} high quality", lim)


snapshot_slider(runs_2d["grid", "nonsaturating"][2], draw_grid_snapshot)
''')

# ---------------------------------------------------------------------------------------------
md(r"""
## 6. A DCGAN on MNIST, and how to score it

**Data and networks.** In full mode we train on the 60,000 MNIST training images, scaled to
$[-1, 1]$ ($2x - 1$) to match the generator's $\tanh$ output. The **DCGAN** architecture (Radford
et al., 2016) replaces fully connected layers by (transposed) convolutions: `DCGANGenerator`
projects 64 noise dimensions to $128\times7\times7$ feature maps and upsamples twice with
stride-2 transposed convolutions, batch norm and ReLU ($7\to14\to28$); `DCGANDiscriminator`
mirrors it with two stride-2 convolutions and LeakyReLU(0.2). Training: the non-saturating loss,
Adam with learning rate $2\cdot10^{-4}$ and $\beta = (0.5, 0.999)$ (DCGAN's settings), batches of 64. In
quick mode (or without MNIST) the same evaluation runs on the 8×8 digits with a small MLP GAN.

**How do we score a generator without a likelihood?** With a classifier trained on real labelled
images (`train_mnist_classifier`, a small MLP trained here, nothing downloaded):

* **classes covered** and the **KL of the predicted-label histogram from uniform**
  (`digit_metrics`): a collapsed generator produces few classes, or very unequal numbers of them
  (MNIST's classes are nearly balanced, so real images give a KL close to 0);
* the **Fréchet distance** (`frechet_distance`): fit a Gaussian to the classifier's penultimate
  features of real and of generated images and compute
  $\lVert\mu_r-\mu_g\rVert^2 + \operatorname{Tr}\big(\Sigma_r+\Sigma_g-2(\Sigma_r\Sigma_g)^{1/2}\big)$ — the MNIST analogue of the FID,
  which uses Inception features. It penalises both poor samples (shifted means) and missing
  variety (shrunk covariance).

A Fréchet distance is not 0 even for a perfect generator: two finite samples of the same
distribution differ, and the estimate is biased upwards. So we first measure a **floor**: the
distance between 10,000 training and 10,000 test images. A generator is judged by how far above
this floor it lands, always with the same sample sizes.
""")

code(r'''
if QUICK:
    X_dig, y_dig = load_digits()                                 # quick mode: the 8x8 digits
    x_tr, y_tr, x_te, y_te, data_name = X_dig[:1500], y_dig[:1500], X_dig[1500:], y_dig[1500:], "digits"
else:
    train_set, test_set = load_mnist_or_digits("train"), load_mnist_or_digits("test")   # MNIST, or the digits if it cannot be had
    data_name = train_set.name
    x_tr, y_tr = train_set.images.reshape(len(train_set.images), -1), train_set.labels
    x_te, y_te = test_set.images.reshape(len(test_set.images), -1), test_set.labels
IS_MNIST = data_name == "mnist"
D_PIX = x_tr.shape[1]
N_EVAL = min(10_000, len(x_te))                                  # images per set in every score below
print(f"data: {data_name}; train {tuple(x_tr.shape)}, test {tuple(x_te.shape)}; scores use {N_EVAL:,} images per set")

with timer("digit classifier"):
    clf = train_mnist_classifier(x_tr, y_tr, epochs=quick_or_full(20, 5 if IS_MNIST else 40), seed=0)
acc = classifier_accuracy(clf, x_te, y_te)
real_metrics = digit_metrics(clf, x_te[:N_EVAL])
fd_floor = frechet_distance(clf, x_tr[:N_EVAL], x_te[:N_EVAL])
print(f"classifier test accuracy: {acc:.4f}")
print(f"real test images: {real_metrics.n_classes_covered} classes, label KL from uniform {real_metrics.kl_from_uniform:.4f} nats")
print(f"Fréchet distance, {N_EVAL:,} train vs {N_EVAL:,} test images (the floor): {fd_floor:.3f}")
assert acc > (0.95 if IS_MNIST else 0.85)
# frechet_distance_gaussians: 0 for equal Gaussians; ||mu1 - mu2||^2 when the covariances are equal
S = torch.cov(clf.features(x_te[:500]).T.double())
mu = torch.randn(S.shape[0], generator=torch.Generator().manual_seed(0), dtype=torch.float64)
print(f"FD checks: {close(frechet_distance_gaussians(mu, S, mu, S), 0, 1e-6):.1e}, "
      f"{close(frechet_distance_gaussians(mu, S, mu + 1, S), S.shape[0], 1e-6):.1e}")
''')

md(r"""
**Predict, then run.** After about two passes over MNIST (2,000 steps of 64 images), will the generator produce all ten
digit classes? Will its Fréchet distance be within a factor of 2 of the floor, or far above it?
""")

code(r'''
torch.manual_seed(0)
if IS_MNIST:
    gen_img, disc_img = DCGANGenerator(noise_dim=64, width=128), DCGANDiscriminator(width=64)
else:                                                            # 8x8 digits: a small MLP GAN on 64 pixels
    gen_img = MLPGenerator(noise_dim=16, data_dim=D_PIX, hidden=256, n_layers=2)
    disc_img = MLPDiscriminator(data_dim=D_PIX, hidden=256, n_layers=2)
N_STEPS_IMG = quick_or_full(200, 2000)
img_noise = torch.randn(64, gen_img.noise_dim, generator=torch.Generator().manual_seed(5))   # fixed z for the snapshots
with timer(f"{'DCGAN' if IS_MNIST else 'MLP GAN'} on {data_name}, {N_STEPS_IMG} steps of 64"):
    hist_img = train_gan(gen_img, disc_img, 2 * x_tr - 1, n_steps=N_STEPS_IMG, loss="nonsaturating", batch_size=64,
                         snapshot_every=N_STEPS_IMG // 10, snapshot_noise=img_noise, device=device, seed=0)


@torch.no_grad()
def generate_images(G, n, seed):
    # n images in [0, 1] (the generator works in [-1, 1]), in chunks of 1,000.
    g = torch.Generator().manual_seed(seed)
    out = [G(torch.randn(min(1000, n - i), G.noise_dim, generator=g).to(device)).cpu() for i in range(0, n, 1000)]
    return ((torch.cat(out) + 1) / 2).clamp(0, 1)


fake_img = generate_images(gen_img, N_EVAL, seed=6)
gan_metrics = digit_metrics(clf, fake_img)
fd_gan = frechet_distance(clf, x_te[:N_EVAL], fake_img)
print(f"generated: {gan_metrics.n_classes_covered} classes, label KL from uniform {gan_metrics.kl_from_uniform:.4f} nats "
      f"(real: {real_metrics.kl_from_uniform:.4f})")
print(f"Fréchet distance to {N_EVAL:,} test images: {fd_gan:.3f}  (floor {fd_floor:.3f}; ratio {fd_gan / fd_floor:.1f})")
''')

code(r'''
fig, axes = plt.subplots(1, 3, figsize=(16, 5.6), gridspec_kw={"width_ratios": [1, 1, 1.1]})
show_images(axes[0], x_te[:64], 8, f"64 real test images ({data_name})", xlabel="real")
show_images(axes[1], fake_img[:64], 8, f"64 generated images, step {N_STEPS_IMG}", xlabel="G(z), fresh z")
classes = np.arange(10)
axes[2].bar(classes - 0.2, to_np(real_metrics.counts) / N_EVAL, width=0.4, label="real test images")
axes[2].bar(classes + 0.2, to_np(gan_metrics.counts) / N_EVAL, width=0.4, label="generated")
axes[2].set(title="Predicted classes (classifier trained on real data)", xlabel="predicted digit",
            ylabel="fraction of images", xticks=classes)
axes[2].legend()
plt.tight_layout()
plt.show()
''')

code(r'''
SHOW = [0, 1, 2, 4, len(hist_img["snapshot_steps"]) - 1]       # which snapshots the static figure shows
fig, axes = plt.subplots(1, len(SHOW), figsize=(3.2 * len(SHOW), 3.6))
for ax, k in zip(axes, SHOW):
    show_images(ax, (hist_img["snapshots"][k][:16] + 1) / 2, 4, f"step {hist_img['snapshot_steps'][k]}",
                xlabel="the same 16 z")
fig.suptitle("The generator over training (fixed noise)")
plt.tight_layout()
plt.show()


def draw_image_snapshot(samples, step):
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    show_images(ax, (samples + 1) / 2, 8, f"step {step}: 64 samples of the same fixed noise", xlabel="G(z)")


snapshot_slider(hist_img, draw_image_snapshot)
''')

md(r"""
RESULTS_IMG_PLACEHOLDER

## 7. Practical notes

**The discriminator usually wins.** At the equilibrium of the game $D\equiv\tfrac12$, so the
discriminator's loss $-V$ would be $2\log 2\approx 1.386$ and the non-saturating generator loss
$\log 2\approx 0.693$. Real training rarely sits there. The curves below are the image GAN's losses,
smoothed over 50 steps.
""")

code(r'''
def smooth(values, w=50):
    v = np.asarray(values, dtype=float)
    w = max(1, min(w, len(v) // 4))
    return np.convolve(v, np.ones(w) / w, mode="valid")


fig, ax = plt.subplots(figsize=(9, 4.2))
ax.plot(smooth(hist_img["discriminator_loss"]), label="discriminator loss $-V$")
ax.plot(smooth(hist_img["generator_loss"]), label="generator loss $-\\log D(G(z))$")
ax.axhline(2 * math.log(2), c="C0", ls="--", lw=1, label="equilibrium: $2 \\log 2$")
ax.axhline(math.log(2), c="C1", ls="--", lw=1, label="equilibrium: $\\log 2$")
ax.set(title=f"Losses of the {data_name} GAN (moving average over 50 steps)", xlabel="generator step", ylabel="loss (nats)")
ax.legend()
plt.show()
d_late = np.mean(hist_img["discriminator_loss"][-N_STEPS_IMG // 5:])
g_late = np.mean(hist_img["generator_loss"][-N_STEPS_IMG // 5:])
print(f"last 20% of training: discriminator loss {d_late:.3f} (equilibrium {2 * math.log(2):.3f}), "
      f"generator loss {g_late:.3f} (equilibrium {math.log(2):.3f})")
''')

md(r"""
RESULTS_LOSSES_PLACEHOLDER

**Balancing the updates.** Two opposite recipes are in use, and which one helps depends on the
problem:

* *more discriminator steps per generator step* (`n_critic` in `train_gan`) keep $D$ closer to
  $D^*$, so the generator follows the divergence of Section 2 more faithfully; the cost is a
  stronger, more saturated discriminator and more compute per step (WGANs, lecture 09, rely on
  it);
* **two time-scale updates** (TTUR; Heusel et al., 2017) give the discriminator a *larger learning
  rate* than the generator instead; with learning rates that decay suitably, the pair provably
  converges to a local Nash equilibrium, and in practice it is a cheap way to let $D$ track $G$.

A small experiment on the grid with the non-saturating loss: the baseline of Section 5 (both
learning rates $10^{-3}$), TTUR ($10^{-3}$ for $D$, $2.5\cdot10^{-4}$ for $G$) and 5 discriminator steps per
generator step (both $10^{-3}$). `train_gan` uses one learning rate for both networks, so the TTUR
run is a short explicit loop over `discriminator_step` and `generator_step`. One seed each: the
differences between single runs of a GAN are partly luck, so read this as an illustration, not
a benchmark.
""")

code(r'''
def train_ttur(data, lr_d, lr_g, n_steps=N_STEPS_2D, seed=0, batch_size=256):
    # Non-saturating GAN with separate learning rates for D and G (two time-scale update rule).
    torch.manual_seed(seed)
    G, D = MLPGenerator(noise_dim=2, data_dim=2, hidden=128), MLPDiscriminator(data_dim=2, hidden=128)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=(0.5, 0.999))
    g = torch.Generator().manual_seed(seed)
    for step in range(n_steps):
        with torch.no_grad():
            fake = G.sample(batch_size, generator=g)
        discriminator_step(D, opt_d, data[torch.randperm(len(data), generator=g)[:batch_size]], fake)
        generator_step(G, D, opt_g, torch.randn(batch_size, 2, generator=g))
    return G.eval()


data, centres, std, lim = BENCH["grid"]
N_BAL = quick_or_full(100, N_STEPS_2D)                           # generator steps of each run (quick mode: fewer)
balance = {"baseline: lr_D = lr_G = 1e-3, 1 D step": runs_2d["grid", "nonsaturating"][0]}
with timer(f"2-D GAN, grid, TTUR, {N_BAL} steps"):
    balance["TTUR: lr_D = 1e-3, lr_G = 2.5e-4"] = train_ttur(data, lr_d=1e-3, lr_g=2.5e-4, n_steps=N_BAL)
with timer(f"2-D GAN, grid, 5 D steps per G step, {N_BAL} steps"):
    balance["5 D steps per G step, lr 1e-3"] = train_2d(data, "nonsaturating", n_steps=N_BAL, n_critic=5)[0]

print(f"{'grid, non-saturating (2,500 samples)':<44} {'modes':>7} {'strict':>8} {'high quality':>12} {'reverse KL':>11}")
BALANCE = {}
for name, G in balance.items():
    with torch.no_grad():
        samples = G.sample(PROTOCOL_N_SAMPLES, generator=torch.Generator().manual_seed(4))
    cov = BALANCE[name] = mode_coverage(samples, centres, std)
    print(f"{name:<44} {cov.n_modes:>3}/{25:<3} {cov.n_modes_strict:>4}/{25:<3} {cov.high_quality_fraction:>12.3f} "
          f"{cov.reverse_kl:>11.3f}")

fig, axes = plt.subplots(1, 3, figsize=(15, 5))
for ax, (name, G) in zip(axes, balance.items()):
    with torch.no_grad():
        scatter_2d(ax, data, G.sample(PROTOCOL_N_SAMPLES, generator=torch.Generator().manual_seed(4)),
                   f"{name}\n{BALANCE[name].n_modes}/25 modes, {BALANCE[name].high_quality_fraction:.0%} high quality", lim)
fig.suptitle("Balancing discriminator and generator on the grid (non-saturating loss)")
plt.tight_layout()
plt.show()
''')

md(r"""
RESULTS_BALANCE_PLACEHOLDER

**More practical notes**, without experiments here:

* *Look at samples and at a metric, not at the losses.* A GAN's losses measure the current
  discriminator, which changes; they do not decrease as the samples improve.
* *Label smoothing and noise:* training the discriminator on targets 0.9 instead of 1, or
  adding small noise to its inputs, keeps it from becoming over-confident (and its logits from
  saturating the generator's gradient).
* *Batch norm* in the generator helps DCGANs; it couples the samples of a batch, so generate in
  evaluation mode, as `train_gan` leaves the networks.
* *Adam with $\beta_1 = 0.5$* (instead of 0.9): less momentum makes the alternating game oscillate less.
* *Seeds matter.* GAN results vary between runs with identical settings; compare methods over
  several seeds before believing a difference.

## Summary

* A GAN's generator is an **implicit model**: sampling is a forward pass, but the density is
  unavailable and, when the noise has fewer dimensions than the data, does not exist.
* The game $\min_G\max_D\,\mathbb E_p\log D + \mathbb E_z\log(1 - D(G(z)))$ has the optimal discriminator
  $D^* = p/(p+q)$, and $V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}(p\,\|\,q)$: against $D^*$ the generator minimises a
  Jensen–Shannon divergence, which saturates at $\log 2$ for disjoint supports.
* A trained discriminator approximates $D^*$ (a density ratio) where the data are, and
  extrapolates elsewhere.
* The minimax generator loss has logit-gradient $-D(G(z))$, which vanishes for rejected fakes;
  the **non-saturating** loss $-\log D(G(z))$ has $-(1 - D(G(z)))$ and the same fixed point.
* **Mode collapse** is measured, not guessed: modes recovered, high-quality fraction and the
  reverse KL of the mode histogram on 2-D mixtures; classes covered, label KL and the Fréchet
  distance (read against the real-vs-real floor) on digits.
* In practice the discriminator tends to win; the update balance (steps or learning rates) is a
  tuning knob, and single runs differ by seed.

## Exercises

**Exercise 1 (what the non-saturating loss minimises).** Show that against the optimal
discriminator the non-saturating generator loss is
$$\mathbb E_{x\sim q}\big[-\log D^*(x)\big] = \mathrm{KL}(q\,\|\,p) - \mathrm{KL}(q\,\|\,m) + \log 2, \qquad m = \tfrac{p+q}{2},$$
and explain why the $\mathrm{KL}(q\,\|\,p)$ term (the *reverse* KL) tolerates missing modes. Check the
identity on random discrete distributions.
""")

md(r"""
**Solution.** With $D^* = p/(p+q)$, $-\log D^* = \log\frac{p+q}{p} = \log\frac qp + \log\frac{p+q}{q} = \log\frac qp - \log\frac{q}{2m}$.
Taking $\mathbb E_q$: $\mathrm{KL}(q\,\|\,p) - \big(\mathrm{KL}(q\,\|\,m) - \log 2\big)$. The reverse KL $\mathbb E_q\log(q/p)$ is
infinite if $q$ puts mass where $p$ has none, but costs nothing finite when $q$ *misses* a region
where $p$ has mass ($q = 0$ there contributes $0$): it prefers a generator that covers a few modes
well to one that spreads over all of them and between them. The $-\mathrm{KL}(q\,\|\,m)$ term is
bounded by $\log 2$. (Arjovsky and Bottou, 2017, derive the corresponding statement for the
generator's gradient with $D^*$ held fixed.)
""", hidden=True)

code(r'''
g = torch.Generator().manual_seed(7)
p1 = torch.softmax(torch.randn(12, generator=g, dtype=torch.float64), 0)
q1 = torch.softmax(torch.randn(12, generator=g, dtype=torch.float64), 0)
m1 = (p1 + q1) / 2
kl = lambda a, b: (a * (a / b).log()).sum()  # noqa: E731
lhs = -(q1 * optimal_discriminator(p1, q1).log()).sum()
print(f"E_q[-log D*] = {lhs:.6f}; identity: {close(lhs, kl(q1, p1) - kl(q1, m1) + math.log(2), 1e-12):.1e}")
''', hidden=True)

md(r"""
**Exercise 2 (unbalanced classes).** Suppose the discriminator sees real and generated points in
proportions $\pi$ and $1-\pi$, i.e. it maximises $\pi\,\mathbb E_p\log D + (1-\pi)\,\mathbb E_q\log(1-D)$. Derive the
optimal $D$ and check it on a discrete example by comparing with a brute-force maximisation
over a fine grid of values at each outcome.
""")

md(r"""
**Solution.** Pointwise, maximise $\pi p\log y + (1-\pi) q\log(1-y)$: the same computation as in
Section 2 with $a = \pi p$, $b = (1-\pi) q$, so $D^*_\pi = \pi p/(\pi p + (1-\pi) q)$. Its logit is
$\log(p/q) + \log(\pi/(1-\pi))$: class proportions only shift the logit by a constant, which is why
a discriminator trained on unbalanced batches still ranks points by $p/q$.
""", hidden=True)

code(r'''
pi = 0.3
y_grid = torch.linspace(1e-6, 1 - 1e-6, 200_001, dtype=torch.float64)
objective = pi * p1[:, None] * y_grid.log() + (1 - pi) * q1[:, None] * (1 - y_grid).log()   # (outcome, y)
d_brute = y_grid[objective.argmax(1)]
print(f"D*_pi = pi p / (pi p + (1 - pi) q): {close(d_brute, pi * p1 / (pi * p1 + (1 - pi) * q1), 1e-5):.1e}")
''', hidden=True)

md(r"""
**Exercise 3 (the discriminator as a density-ratio estimator).** Since $D^* = p/(p+q)$, its logit is
$\log D^* - \log(1-D^*) = \log p(x) - \log q(x)$. Use the discriminator trained in Section 3 to estimate
$\log p(x)$ (you know $q$) and compare with the true $\log p(x)$ where the data are. Where does the
estimate fail, and why?
""")

md(r"""
**Solution.** $\widehat{\log p}(x) = \text{logit}(x) + \log q(x)$. Where $p$ or $q$ has mass the estimate is
good; in the tails and in the dip between the two modes of $p$, where $p/q$ is tiny, few data points
land and $D\approx 0$, so the logit is poorly determined. A discriminator only sees differences
between samples; this is the basis of *density-ratio* (noise-contrastive) estimation: with a
known $q$ the logit turns into a density model.
""", hidden=True)

code(r'''
with torch.no_grad():
    log_p_hat = disc_1d(xs[:, None]) + torch.log(normal_pdf(xs, MU_Q, SD_Q))
dense = p_pdf(xs) > 0.1                                           # where the data are
err = (log_p_hat - torch.log(p_pdf(xs)))[dense].abs()
print(f"|log p_hat - log p| where p > 0.1: mean {err.mean():.3f}, "
      f"max {close(log_p_hat[dense], torch.log(p_pdf(xs))[dense], quick_or_full(0.6, 0.3)):.3f}")
''', hidden=True)

md(r"""
**Exercise 4 (the minimax loss with plain SGD).** Repeat the ring experiment of Section 5 with
the minimax loss but plain SGD (no Adam) for the generator, and compare with the non-saturating
loss under the same SGD. Which one gets off the ground? (Hint: write the loop as in the TTUR cell,
with `torch.optim.SGD` for the generator.)
""")

md(r"""
**Solution (sketch).** With SGD the step is proportional to the gradient. Early on the
discriminator rejects the fakes ($D(G(z))\ll 1$), so the minimax gradient is smaller by the factor
$(1-D)/D$ measured in Section 4 (about $10^4$ there), so one expects the generator to barely move
while the discriminator sharpens further; the non-saturating loss gives steps of normal size
from the start. Adam's per-parameter
normalisation removes most of this difference, which is why both losses trained in Section 5.
""", hidden=True)

md(r"""
## Closing note: training times

The wall times of every training run of this execution (2 CPU cores unless a GPU was found).
""")

code(r'''
for label, seconds in TIMES.items():
    print(f"{label:<62} {seconds:7.1f} s")
print(f"{'total training':<62} {sum(TIMES.values()):7.1f} s")
print(f"whole notebook so far: {(time.perf_counter() - T_START) / 60:.1f} min (device: {device}, quick mode: {QUICK})")
''')

md(r"""
## References

* I. Goodfellow et al. (2014). Generative adversarial nets. NeurIPS.
* A. Radford, L. Metz, S. Chintala (2016). Unsupervised representation learning with deep convolutional generative adversarial networks (DCGAN). ICLR.
* M. Arjovsky, L. Bottou (2017). Towards principled methods for training generative adversarial networks. ICLR.
* A. Srivastava et al. (2017). VEEGAN: reducing mode collapse in GANs using implicit variational learning. NeurIPS.
* Z. Lin, A. Khetan, G. Fanti, S. Oh (2018). PacGAN: the power of two samples in generative adversarial networks. NeurIPS.
* M. Heusel et al. (2017). GANs trained by a two time-scale update rule converge to a local Nash equilibrium (TTUR, FID). NeurIPS.
* T. Salimans et al. (2016). Improved techniques for training GANs. NeurIPS.
* S. Mohamed, B. Lakshminarayanan (2016). Learning in implicit generative models. arXiv:1610.03483.
""")


# ---------------------------------------------------------------------------------------------
# Text that depends on the measured results of the committed full run (edit after executing).
RESULTS = {
    "RESULTS_2D_PLACEHOLDER": r"""
**What this run shows** (one seed per setting; the numbers are those printed above).

* *Ring, non-saturating:* all 8 modes, 95% of the samples high quality and an almost even
  spread (reverse KL 0.02). The snapshots show the typical course: first a blurred circle,
  then mass gathering on the modes.
* *Ring, minimax:* it trains — Adam hides most of the saturation (Section 4) — but less cleanly:
  6 of 8 modes at the end, 61% high quality, and the bar chart shows two modes with no
  high-quality sample and a third with 26. Its snapshots go 6, 8, 6, 7, 6 modes: the generator
  **drops and regains modes** as the discriminator moves, instead of settling.
* *Grid:* harder for both losses. The non-saturating run ends with 22 of 25 modes recovered
  but only 19 by the strict count, 27% high-quality samples and a very uneven histogram
  (reverse KL 0.54): several modes get a handful of samples each, i.e. **partial mode
  collapse**. The minimax run happens to do better here (24/25, 72% high quality, 0.21).

So the ranking of the two losses flips between the benchmarks in these single runs: the
robust findings are the failure patterns, not the winner. One of them has a simple cause:
the noise $z\sim\mathcal N(0, I_2)$ fills a *connected* set and $G$ is continuous, so the set of samples is
connected too. A generator cannot put all its mass on 25 separated blobs; it must leave
samples on the **bridges** between modes — the lines in the scatter plots, which the
high-quality fraction counts as failures. (The protocol itself accepts 99% of real samples:
within 3 standard deviations in 2-D is $1 - e^{-9/2} = 98.9\%$ of a Gaussian.)
""",
    "RESULTS_IMG_PLACEHOLDER": r"""
**What this run shows.** After 2,000 steps (about two passes over the training set, 6.8 minutes
here) most samples are recognisable digits, with broken strokes and blots among them. The
classifier finds **all 10 classes**, but not evenly: the KL of the label histogram from uniform
is **0.12 nats**, against 0.002 for real test images. Sevens, eights and nines are
over-represented (15–17% of the samples each) and zeros, ones and sixes under-represented
(3–5%): a mild mode collapse that a grid of 64 samples does not reveal and the histogram of
10,000 does. (Part of it may be the classifier's reading of malformed digits: it is 97.5%
accurate on real images and has never seen a bad one.) The **Fréchet distance** is **24.6**, about
33 times the real-versus-real floor of **0.74**: in the classifier's feature space the generated
images are still far from the data. The number means something only next to that floor,
computed with the same feature extractor and the same sample sizes. The first lever would be
longer training: DCGANs are usually trained for tens of passes, this one saw each image about twice.
""",
    "RESULTS_LOSSES_PLACEHOLDER": r"""
Over the last fifth of training the discriminator's loss averages 0.94, well below
$2\log 2 = 1.39$, and the generator's 1.24, well above $\log 2 = 0.69$: the discriminator stays ahead,
which is the usual situation.
That is not a failure by itself — the theory of Section 2 needs a good discriminator — as long
as the generator still gets a gradient, which the non-saturating loss ensures. Note also that
between steps 600 and 2,000 the generator's loss *rises* (from about 0.9 to about 1.2) while its
samples clearly improve (the snapshots above): a GAN loss measures the generator against the
current discriminator, which improves too, so it is not a progress measure.
""",
    "RESULTS_BALANCE_PLACEHOLDER": r"""
In this experiment neither change helped. TTUR produced a few more high-quality samples (32%
against 27%) but fewer modes (20, only 9 by the strict count), with much of its mass on the
outer frame of the grid; five discriminator steps per generator step made things clearly worse
(13 modes, 4 strict, reverse KL 1.95): the stronger discriminator pushed the generator onto the
border and the generator did not find the inner modes in 4,000 steps (it also took more than
twice as long). The baseline's settings remain the best of the three here. The
lesson is the practical one: these knobs *change* the dynamics, in either direction; they are
tuned per problem and judged with a metric over several seeds, not applied by default.
""",
}


def build(keep_outputs: bool = False) -> nbformat.NotebookNode:
    old = {}
    if keep_outputs and PATH.exists():
        for cell in nbformat.read(PATH, as_version=4).cells:
            if cell.cell_type == "code":
                old.setdefault(cell.source, cell)
    cells = []
    for kind, source, hidden in CELLS:
        for key, text in RESULTS.items():
            source = source.replace(key, text.strip("\n"))
        if kind == "markdown":
            cell = new_markdown_cell(source)
        else:
            cell = new_code_cell(source)
            if source in old:
                cell.outputs = old[source].outputs
                cell.execution_count = old[source].execution_count
                cell.metadata.update({k: v for k, v in old[source].metadata.items() if k == "execution"})
        if hidden:
            cell.metadata["jupyter"] = {"source_hidden": True}
        cells.append(cell)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    if keep_outputs and PATH.exists():
        previous = nbformat.read(PATH, as_version=4).metadata
        for key in ("widgets", "language_info"):
            if key in previous:
                nb.metadata[key] = previous[key]
    return nb


if __name__ == "__main__":
    notebook = build(keep_outputs="--keep-outputs" in sys.argv)
    nbformat.validate(notebook)
    nbformat.write(notebook, PATH)
    print(f"wrote {PATH.relative_to(REPO)} ({len(notebook.cells)} cells)")
