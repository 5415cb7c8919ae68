"""Build lectures/09_wasserstein_gans.ipynb (cells only, no outputs).

    .venv/bin/python tools/build_lecture_09.py
    OMP_NUM_THREADS=1 .venv/bin/jupyter nbconvert --to notebook --execute --inplace \
        --ExecutePreprocessor.timeout=6000 lectures/09_wasserstein_gans.ipynb
"""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_map import lecture_setup_cell  # tools/course_map.py: the repository URL's one home

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "lectures" / "09_wasserstein_gans.ipynb"

cells = []


def md(text):
    cells.append(new_markdown_cell(text.strip("\n")))


def code(text, hidden=False):
    cell = new_code_cell(text.strip("\n"))
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
    cells.append(cell)


def solution(text):
    cell = new_markdown_cell(text.strip("\n"))
    cell.metadata["jupyter"] = {"source_hidden": True}
    cells.append(cell)


# ---------------------------------------------------------------------------------------------
md(r"""
# Lecture 09: Wasserstein GANs

Lecture 08 trained GANs whose discriminator, at its optimum, makes the generator minimise a
Jensen–Shannon divergence. This lecture asks what happens when the data and the model live on
thin, non-overlapping sets — the normal situation for a generator that maps a low-dimensional
noise into a high-dimensional space — and replaces the divergence by a **distance that moves
mass**: the Wasserstein-1 or earth mover's distance. Its dual form turns the discriminator into
a *critic* restricted to 1-Lipschitz functions, and the two ways of imposing that restriction —
clipping the weights and penalising the gradient — are the WGAN and the WGAN-GP.

**Learning goals.** After this lecture you can

* define the earth mover's distance $W_1$ as an optimal-transport problem and solve small
  instances exactly (a linear program);
* derive the one-dimensional closed form $W_1 = \int |F_P - F_Q|$ and compute it from sorted samples;
* state the Kantorovich–Rubinstein dual, prove its easy half, and build the optimal critic in 1-D;
* explain with the parallel-lines example why KL, JS and TV give a generator no gradient on
  disjoint supports while $W_1$ does, and see the gradient of a trained discriminator vanish;
* describe weight clipping and its failure modes (weights piled at $\pm c$, a critic of low
  capacity and unknown scale);
* derive why an optimal critic has unit gradient norm on the segments between coupled points,
  and hence the gradient penalty of WGAN-GP;
* compare a critic's $W_1$ estimate with the exact value, and measure GAN, WGAN and WGAN-GP
  on the ring, grid and Swiss-roll benchmarks with the mode-coverage protocol.

**Prerequisites.** Lecture 03 (distances, divergences, MMD), lecture 08 (GANs: the minimax
game, the optimal discriminator, the non-saturating loss, mode collapse and the VEEGAN/PacGAN
mode-coverage protocol).

**Outline.**

1. the earth mover's distance,
2. the one-dimensional closed form,
3. the Kantorovich–Rubinstein dual,
4. parallel lines: when divergences give no gradient,
5. the WGAN and weight clipping,
6. the gradient penalty,
7. how good is the critic's $W_1$ estimate?,
8. GAN, WGAN and WGAN-GP on the toy benchmarks.

The losses, networks and training loop are `course_lib.gan`; the metrics (mode coverage,
exact $W_1$) are `course_lib.gan_metrics`. **Run time.** In *quick mode* (`DGM_QUICK=1`) every
training run is cut to a few dozen steps and the notebook runs in about half a minute; the
numbers are then meaningless. Without it, the notebook takes about 30 minutes on two CPU
cores (28.7 minutes for the committed outputs, on a shared machine with a load average of about 5),
25 of them for the 27 training runs of Section 8.
""")

code(lecture_setup_cell())

md(r"""
Helpers: `close(a, b, tol)` is the one-line check of earlier lectures (it asserts that the
largest absolute difference is at most `tol` and returns it); `timer` measures wall time;
`scatter`, `critic_contours` and `fit_critic` keep the plotting and the fixed-distribution
critic training out of the way. `fit_critic` trains a critic between two *fixed* samples with
`course_lib.gan.discriminator_step` — the same step (clipping or gradient penalty included) that
`train_gan` uses — so that we can look at a critic without a moving generator.
""")

code(r'''
import math
import time
from contextlib import contextmanager

import matplotlib.pyplot as plt
import numpy as np
import ot
import torch
from scipy import stats
from scipy.optimize import linprog
from tqdm.auto import tqdm

from course_lib import gan, quick_or_full
from course_lib.data import grid_of_gaussians, ring_of_gaussians, swiss_roll
from course_lib.gan_metrics import (grid_protocol, mode_coverage, ring_protocol, wasserstein1_1d,
                                    wasserstein1_exact)
from course_lib.mmd import mmd2

plt.rcParams.update({"figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3})
T_START = time.perf_counter()


def to_np(t):
    return t.detach().cpu().numpy()


def close(a, b, tol):
    # One-line check: max |a - b| <= tol, in float64. Returns the difference so a cell can print it.
    a, b = (t.detach().double() if torch.is_tensor(t) else torch.as_tensor(t, dtype=torch.float64) for t in (a, b))
    err = (a - b).abs().max().item()
    assert err <= tol, f"max |difference| = {err:.3e} exceeds the tolerance {tol:.1e}"
    return err


@contextmanager
def timer(label):
    start = time.perf_counter()
    yield
    print(f"{label}: {time.perf_counter() - start:.1f} s")


def scatter(ax, x, title, real=None, lim=None):
    # Generated points (blue) over real ones (grey), equal axes.
    if real is not None:
        ax.scatter(*to_np(real).T, s=2, c="0.7", label="data")
    ax.scatter(*to_np(x).T, s=2, c="C0", alpha=0.5, label="samples")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    if lim is not None:
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim))


def critic_contours(ax, critic, real, fake, title, lim=3.0):
    # Filled contours of a 2-D critic with the two samples on top.
    g = torch.linspace(-lim, lim, 121)
    xx, yy = torch.meshgrid(g, g, indexing="xy")
    with torch.no_grad():
        f = critic(torch.stack([xx.flatten(), yy.flatten()], 1)).reshape(xx.shape)
    cs = ax.contourf(to_np(xx), to_np(yy), to_np(f), levels=20, cmap="RdBu_r")
    plt.colorbar(cs, ax=ax, label="critic value $f(x)$")
    ax.scatter(*to_np(real[:500]).T, s=2, c="k", label="real")
    ax.scatter(*to_np(fake[:500]).T, s=2, c="w", edgecolors="none", label="fake")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")


def dist(x, y):
    # Euclidean distance matrix by explicit differences (exact to round-off, unlike torch.cdist's matmul trick)
    return (x[:, None, :] - y[None, :, :]).norm(dim=-1)


def grad_norms(critic, x):
    # ||grad_x f(x)|| at each row of x.
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x)
    return g.norm(dim=1).detach()


def fit_critic(real, fake, loss, n_steps, batch_size=256, lr=None, betas=None, seed=0):
    # Train a fresh MLP critic (3 x 64, LeakyReLU) between two fixed samples; returns it with the
    # trace of its W1 estimate mean f(real) - mean f(fake). loss: "wgan" (clipping) or "wgan-gp".
    torch.manual_seed(seed)
    critic = gan.MLPDiscriminator(data_dim=real.shape[1])
    if loss == "wgan-gp":
        # The two-sided penalty has a reversed local optimum (slope -1) in 1-D: start on the right side.
        with torch.no_grad():
            if critic(real).mean() < critic(fake).mean():
                critic.net[-1].weight.neg_(), critic.net[-1].bias.neg_()
    s = gan.DEFAULTS[loss]
    lr, betas = lr or s["lr"], betas or s["betas"]
    opt = (torch.optim.RMSprop(critic.parameters(), lr=lr) if s["optimizer"] == "rmsprop"
           else torch.optim.Adam(critic.parameters(), lr=lr, betas=betas))
    rng = torch.Generator().manual_seed(seed)
    b = min(batch_size, len(real), len(fake))
    trace = []
    for _ in range(n_steps):
        i = torch.randperm(len(real), generator=rng)[:b]
        j = torch.randperm(len(fake), generator=rng)[:b]
        trace.append(gan.discriminator_step(critic, opt, real[i], fake[j], loss=loss, generator=rng)[1])
    with torch.no_grad():
        estimate = (critic(real).mean() - critic(fake).mean()).item()
    return critic.eval(), trace, estimate
''')

# ---------------------------------------------------------------------------------------------
md(r"""
## 1. The earth mover's distance

Think of $P$ as a pile of earth and $Q$ as a hole of the same volume. A **transport plan** says
how much earth goes from $x$ to $y$: it is a joint distribution $\gamma(x, y)$ whose marginals
are $P$ and $Q$ — the set of such couplings is written $\Pi(P, Q)$. Moving a unit of mass from
$x$ to $y$ costs $\lVert x - y\rVert$, and the **earth mover's distance** (Wasserstein-1
distance) is the cost of the cheapest plan:
$$W_1(P, Q) = \inf_{\gamma\in\Pi(P,Q)} \mathbb E_{(x,y)\sim\gamma}\,\lVert x - y\rVert .$$
It is a metric on distributions with a finite first moment, and unlike the divergences of
lecture 03 it uses the geometry of the space: moving the pile a little changes $W_1$ a little.

For two discrete distributions $P = \sum_i a_i\delta_{x_i}$ and $Q = \sum_j b_j\delta_{y_j}$ this
is a **linear program** in the matrix $\gamma_{ij}\ge 0$:
$$\min_\gamma \sum_{ij}\gamma_{ij}C_{ij},\qquad C_{ij} = \lVert x_i - y_j\rVert,\qquad
\sum_j\gamma_{ij} = a_i,\quad \sum_i\gamma_{ij} = b_j .$$
We solve it with a general-purpose LP solver (`scipy.optimize.linprog`) and compare with
`wasserstein1_exact`, which calls the network-simplex solver of the POT library.

**Predict, then run.** Both samples have 5 points of mass $1/5$ each. The plan has 25
entries; how many of them are non-zero at the optimum?
""")

code(r'''
g = torch.Generator().manual_seed(0)
xs = torch.randn(5, 2, generator=g, dtype=torch.float64)
ys = torch.randn(5, 2, generator=g, dtype=torch.float64) + torch.tensor([2.0, 0.0], dtype=torch.float64)
a = b = np.full(5, 1 / 5)
C = to_np(dist(xs, ys))

# equality constraints: row sums = a, column sums = b (gamma flattened row by row)
A_eq = np.vstack([np.kron(np.eye(5), np.ones(5)), np.kron(np.ones(5), np.eye(5))])
lp = linprog(C.ravel(), A_eq=A_eq, b_eq=np.concatenate([a, b]), bounds=(0, None), method="highs")
plan = lp.x.reshape(5, 5)
print("optimal plan (x 5):\n", np.round(5 * plan, 3))
print(f"W1 by linprog = {lp.fun:.6f}, by POT = {wasserstein1_exact(xs, ys):.6f};",
      close(lp.fun, wasserstein1_exact(xs, ys), 1e-9))
''')

md(r"""
The optimal plan is a permutation matrix divided by 5: each point is sent, whole, to exactly
one target (5 non-zero entries). This is no accident: for uniform weights and equal sizes the
feasible set is the Birkhoff polytope of doubly stochastic matrices (scaled by $1/n$), whose
vertices are the permutation matrices, and a linear program attains its minimum at a vertex.
With unequal sizes a basic optimal solution has at most $n + m - 1$ non-zero entries, so some
points must be split.

## 2. The one-dimensional closed form

On the real line the optimal plan is known in advance: **never cross.**

*Step 1 (monotone coupling).* Take two transported pairs $x < x'$ and $y > y'$, i.e. crossing.
For any four reals, $|x - y'| + |x' - y| \le |x - y| + |x' - y'|$ when $x\le x'$ and $y'\le y$
(check the cases: the uncrossed pairing never costs more). Swapping the targets therefore never
increases the cost, and repeated uncrossing leads to the **monotone coupling**: the $u$-quantile of
$P$ is sent to the $u$-quantile of $Q$. With $F, G$ the CDFs of $P, Q$ and $U\sim\mathcal U(0,1)$,
$$W_1(P,Q) = \int_0^1 \big|F^{-1}(u) - G^{-1}(u)\big|\,du .$$
For two samples of the same size $n$ this is $\frac1n\sum_i |x_{(i)} - y_{(i)}|$: sort both
and pair the order statistics.

*Step 2 (CDF form).* Write $|x - y| = \int \mathbb 1[\min(x,y) \le t < \max(x,y)]\,dt$ and take the
expectation under the monotone coupling $(X, Y) = (F^{-1}(U), G^{-1}(U))$. The event
"$t$ lies between $X$ and $Y$" is "$F(t) \ge U > G(t)$ or $G(t) \ge U > F(t)$", of probability
$|F(t) - G(t)|$. By Fubini,
$$\boxed{\,W_1(P,Q) = \int_{-\infty}^{\infty} |F(t) - G(t)|\,dt\,}$$
— the area between the two CDFs. For empirical distributions of sizes $n \ne m$ both CDFs
are step functions, and the integral is a finite sum over the gaps of the pooled sample.

`wasserstein1_1d` implements both forms; we check it against SciPy and against the linear
program of Section 1.
""")

code(r'''
g = torch.Generator().manual_seed(1)
x1 = torch.randn(1000, generator=g, dtype=torch.float64)
y1 = 0.5 * torch.randn(700, generator=g, dtype=torch.float64) + 1.0

print("unequal sizes, vs scipy:   ", close(wasserstein1_1d(x1, y1), stats.wasserstein_distance(x1, y1), 1e-12))
y_eq = y1[:500]
sorted_pairs = (x1[:500].sort().values - y_eq.sort().values).abs().mean()
print("equal sizes, sorted pairs: ", close(wasserstein1_1d(x1[:500], y_eq), sorted_pairs, 1e-12))
print("equal sizes, vs POT's LP:  ", close(wasserstein1_1d(x1[:300], y1[:300]), wasserstein1_exact(x1[:300], y1[:300]), 1e-9))
print(f"W1 = {wasserstein1_1d(x1, y1):.4f}")
''')

md(r"""
**Two Gaussians.** The quantile function of $\mathcal N(\mu, \sigma^2)$ is $\mu + \sigma\Phi^{-1}(u)$,
so the monotone coupling is $(\mu_1 + \sigma_1 Z,\ \mu_2 + \sigma_2 Z)$ with one $Z\sim\mathcal N(0,1)$, and
$$W_1 = \mathbb E\,|\Delta\mu + \Delta\sigma\,Z|,\qquad \Delta\mu = \mu_1 - \mu_2,\ \Delta\sigma = \sigma_1 - \sigma_2,$$
the mean of a folded normal:
$|\Delta\sigma|\sqrt{2/\pi}\,e^{-\Delta\mu^2/2\Delta\sigma^2} + \Delta\mu\,\big(1 - 2\Phi(-\Delta\mu/|\Delta\sigma|)\big)$,
which is $|\Delta\mu|$ for a pure shift and $|\Delta\sigma|\sqrt{2/\pi}$ for a pure change of scale. We
will use this closed form to judge trained critics in Section 7.
""")

code(r'''
def w1_gauss(m1, s1, m2, s2):
    # Exact W1 between N(m1, s1^2) and N(m2, s2^2): mean of the folded normal |dm + ds Z|.
    dm, ds = m1 - m2, abs(s1 - s2)
    if ds == 0:
        return abs(dm)
    return ds * math.sqrt(2 / math.pi) * math.exp(-dm**2 / (2 * ds**2)) + dm * (1 - 2 * stats.norm.cdf(-dm / ds))


g = torch.Generator().manual_seed(2)
z1, z2 = torch.randn(200_000, generator=g, dtype=torch.float64), torch.randn(200_000, generator=g, dtype=torch.float64)
for m2, s2 in [(1.0, 1.0), (0.0, 2.0), (0.5, 0.3)]:
    est = wasserstein1_1d(z1, m2 + s2 * z2)
    print(f"N(0,1) vs N({m2}, {s2}^2): closed form {w1_gauss(0, 1, m2, s2):.4f}, "
          f"200,000 samples {est:.4f};", close(est, w1_gauss(0, 1, m2, s2), 0.01))
''')

# ---------------------------------------------------------------------------------------------
md(r"""
## 3. The Kantorovich–Rubinstein dual

The primal problem ranges over couplings, which a neural network cannot represent easily. The
dual ranges over functions:
$$W_1(P,Q) = \sup_{\lVert f\rVert_L\le 1}\ \mathbb E_{x\sim P} f(x) - \mathbb E_{y\sim Q} f(y),$$
the supremum over all **1-Lipschitz** $f$, i.e. $|f(x) - f(y)|\le\lVert x-y\rVert$.

*The easy half: dual $\le$ primal.* For any coupling $\gamma\in\Pi(P,Q)$ and any 1-Lipschitz $f$,
$$\mathbb E_P f - \mathbb E_Q f = \mathbb E_{(x,y)\sim\gamma}\big[f(x) - f(y)\big] \le \mathbb E_\gamma \lVert x - y\rVert ,$$
because both expectations can be taken under the joint $\gamma$ (its marginals are $P$ and $Q$).
Taking the sup over $f$ on the left and the inf over $\gamma$ on the right: dual $\le$ primal.
That the two are *equal* (strong duality) is the Kantorovich–Rubinstein theorem; for discrete
distributions it is linear-programming duality (Section 6 checks it numerically).

*In one dimension the optimal critic is explicit.* Integrating by parts,
$\mathbb E_P f = f(-\infty) + \int f'(t)\,(1 - F(t))\,dt$, so
$$\mathbb E_P f - \mathbb E_Q f = \int f'(t)\,\big(G(t) - F(t)\big)\,dt \le \int |G(t) - F(t)|\,dt,$$
since $|f'|\le 1$, with equality for $f'(t) = \operatorname{sign}(G(t) - F(t))$: the critic climbs
with slope $+1$ where $P$ is to the right of $Q$ (its CDF is smaller) and falls with slope $-1$
where it is to the left. Its value is the area between the CDFs — Section 2's formula again.

**Predict, then run.** Let $P = \mathcal N(0, 1)$ and $Q$ an equal mixture of $\mathcal N(\pm 2, 0.5^2)$.
Where will the optimal critic go up and where down?
""")

code(r'''
g = torch.Generator().manual_seed(3)
xp = torch.randn(2000, generator=g, dtype=torch.float64)                                   # P
yq = 0.5 * torch.randn(2000, generator=g, dtype=torch.float64) + 2 * torch.where(
    torch.rand(2000, generator=g) < 0.5, -1.0, 1.0).double()                              # Q


def optimal_critic_1d(x, y):
    # f with f' = sign(G - F) between consecutive pooled points, f = 0 at the smallest point.
    pooled = torch.cat([x, y]).sort().values
    F = torch.searchsorted(x.sort().values, pooled[:-1], right=True) / len(x)
    G = torch.searchsorted(y.sort().values, pooled[:-1], right=True) / len(y)
    f = torch.cat([torch.zeros(1, dtype=x.dtype), torch.cumsum(torch.sign(G - F) * pooled.diff(), 0)])
    return lambda t: torch.from_numpy(np.interp(to_np(t), to_np(pooled), to_np(f)))


f_opt = optimal_critic_1d(xp, yq)
dual = f_opt(xp).mean() - f_opt(yq).mean()
print(f"dual value {dual:.6f} = W1 {wasserstein1_1d(xp, yq):.6f}:", close(dual, wasserstein1_1d(xp, yq), 1e-10))
print(f"a 1-Lipschitz function that is not optimal, f = sin: {(xp.sin().mean() - yq.sin().mean()):.4f} <= W1")

t = torch.linspace(-4, 4, 801, dtype=torch.float64)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
Fp = torch.searchsorted(xp.sort().values, t, right=True) / len(xp)
Gq = torch.searchsorted(yq.sort().values, t, right=True) / len(yq)
axes[0].plot(to_np(t), to_np(Fp), label="$F$ (P = N(0, 1))")
axes[0].plot(to_np(t), to_np(Gq), label="$G$ (Q = mixture at ±2)")
axes[0].fill_between(to_np(t), to_np(Fp), to_np(Gq), alpha=0.25, color="C2", label=f"area = $W_1$ = {dual:.3f}")
axes[0].set(title="Empirical CDFs: $W_1$ is the area between them", xlabel="$t$", ylabel="CDF")
axes[0].legend()
axes[1].plot(to_np(t), to_np(f_opt(t)), c="C3")
axes[1].set(title="Optimal critic $f$, slope sign$(G - F)$", xlabel="$t$", ylabel="$f(t)$")
plt.tight_layout()
plt.show()
''')

md(r"""
The critic rises through the middle, where $P$ has its mass and $Q$ has none, and falls on both
sides, where $Q$ lives: it scores $P$'s points high and $Q$'s low, never faster than slope 1.
A WGAN's critic network tries to learn exactly this function, and the generator then moves its
samples **uphill along $f$** — the critic's gradient says where to send the mass.

## 4. Parallel lines: when divergences give no gradient

A generator maps a low-dimensional noise to the data space, so its distribution lives on a
low-dimensional set; so does real data (images on a "manifold"). Two such sets generically do
not overlap. The smallest example (Arjovsky et al., 2017): let $U\sim\mathcal U[0,1]$ and
$$P_0 = \text{law of }(0, U),\qquad P_\theta = \text{law of }(\theta, U),$$
two vertical segments at horizontal distance $|\theta|$. For $\theta\ne 0$ the supports are disjoint, and

* $\mathrm{KL}(P_0\,\Vert\,P_\theta) = \infty$: $P_0$ puts mass where $P_\theta$ has none;
* $\mathrm{JS}(P_0, P_\theta) = \log 2$: with $M = \frac12(P_0 + P_\theta)$, $dP_0/dM = 2$ on $P_0$'s segment,
  so $\mathrm{KL}(P_0\Vert M) = \log 2$, and the same for $P_\theta$;
* $\mathrm{TV}(P_0, P_\theta) = 1$: the set $A = \{0\}\times[0,1]$ has $P_0(A) = 1$, $P_\theta(A) = 0$;
* $W_1(P_0, P_\theta) = |\theta|$: the horizontal coupling $(0, u)\mapsto(\theta, u)$ costs $|\theta|$, and
  the 1-Lipschitz critic $f(x_1, x_2) = -x_1\operatorname{sign}\theta$ gives $\mathbb E_{P_0}f - \mathbb E_{P_\theta}f = |\theta|$;
  by the easy half of the duality both bounds meet.

All three divergences are **constant in $\theta$** away from 0 (and jump at 0): a generator
with parameter $\theta$ receives gradient zero, however far it is from the data. $W_1$ is
continuous and has gradient $\operatorname{sign}\theta$ everywhere: it points towards $\theta = 0$.

We compute all of them from samples. KL, JS and TV are computed on a histogram (cells of
width 0.02; `gan.jensen_shannon` is the discrete JS of lecture 08), $W_1$ exactly with POT on
the point clouds, and for comparison the squared MMD of lecture 03 (Gaussian kernel,
bandwidth 0.5), another distance that sees the geometry.
""")

code(r'''
n_lines = 400
u = torch.rand(n_lines, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
p0 = torch.stack([torch.zeros_like(u), u], 1)                      # (0, U)
thetas = torch.linspace(-1, 1, quick_or_full(21, 81), dtype=torch.float64)
edges = [np.arange(-1.51, 1.52, 0.02), np.linspace(0, 1, 11)]


def histogram(points):
    h, _, _ = np.histogram2d(*to_np(points).T, bins=edges)
    return torch.from_numpy(h.ravel() / h.sum())


curves = {"KL": [], "JS": [], "TV": [], "W1": [], "MMD²": []}
for th in thetas:
    pt = torch.stack([torch.full_like(u, th.item()), u], 1)        # (theta, U), the same U draws
    hp, hq = histogram(p0), histogram(pt)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = float(np.sum(np.where(hp > 0, to_np(hp) * np.log(to_np(hp) / to_np(hq)), 0.0)))
    curves["KL"].append(kl)
    curves["JS"].append(gan.jensen_shannon(hp, hq).item())
    curves["TV"].append(0.5 * (hp - hq).abs().sum().item())
    curves["W1"].append(wasserstein1_exact(p0, pt))
    curves["MMD²"].append(mmd2(p0, pt, bandwidth=0.5, estimator="biased").item())
curves = {k: np.array(v) for k, v in curves.items()}

far = np.abs(to_np(thetas)) > 0.02                                   # theta outside the histogram cell of 0
print("KL = inf away from 0:", bool(np.isinf(curves["KL"][far]).all()))
print("JS = log 2 away from 0:", close(curves["JS"][far], math.log(2), 1e-12))
print("TV = 1 away from 0:   ", close(curves["TV"][far], 1.0, 1e-12))
print("W1 = |theta|:          ", close(curves["W1"], thetas.abs(), 1e-9))
''')

code(r'''
fig, axes = plt.subplots(1, 4, figsize=(15, 3.4))
inf = np.isinf(curves["KL"])
axes[0].plot(to_np(thetas)[~inf], curves["KL"][~inf], "o", ms=3, label="finite")
axes[0].plot(to_np(thetas)[inf], np.full(inf.sum(), 2.8), "^", ms=3, c="C3", label="$+\\infty$ (drawn at 2.8)")
axes[0].legend(loc="center right")
axes[0].set(title=r"KL$(P_0\,\Vert\,P_\theta)$", xlabel=r"$\theta$", ylabel="nats", xlim=(-1.05, 1.05), ylim=(-0.2, 3))
axes[1].plot(to_np(thetas), curves["JS"], "o-", ms=3)
axes[1].axhline(math.log(2), ls="--", c="k", lw=1, label="log 2")
axes[1].legend()
axes[1].set(title=r"JS$(P_0, P_\theta)$", xlabel=r"$\theta$", ylabel="nats")
axes[2].plot(to_np(thetas), curves["TV"], "o-", ms=3)
axes[2].set(title=r"TV$(P_0, P_\theta)$", xlabel=r"$\theta$", ylabel="total variation")
axes[3].plot(to_np(thetas), curves["W1"], "o-", ms=3, label="$W_1$")
axes[3].plot(to_np(thetas), curves["MMD²"], "s-", ms=3, label="MMD² (bandwidth 0.5)")
axes[3].legend()
axes[3].set(title=r"$W_1(P_0, P_\theta) = |\theta|$", xlabel=r"$\theta$", ylabel="distance")
fig.suptitle("Parallel lines: divergences are flat, $W_1$ is a slope", y=1.03)
plt.tight_layout()
plt.show()
''')

md(r"""
Only $W_1$ (and the MMD, which also measures distance through the geometry, via a kernel)
tell $\theta = 0.1$ from $\theta = 1$. In a GAN the divergence is not computed but *learned*
by the discriminator, so the question is what gradient a **trained** network hands to the
generator. We put the generator at $\theta = 1$, train (i) a GAN discriminator with the
cross-entropy of lecture 08 and (ii) a WGAN-GP critic, both for 600 steps with Adam, and
every 20 steps measure the gradient with respect to $\theta$ of the generator's losses:
the minimax $\mathbb E\log(1 - D(\theta, U))$, the non-saturating $-\mathbb E\log D(\theta, U)$, and the
Wasserstein $-\mathbb E f(\theta, U)$.

**Predict, then run.** Which of the three gradients goes to zero as the discriminator gets better?
""")

code(r'''
def theta_gradients(net, theta, u):
    # d/dtheta of the three generator losses, fakes at (theta, u).
    th = torch.tensor(theta, requires_grad=True)
    fake = torch.stack([th.expand_as(u), u], 1)
    out = net(fake)
    losses = {"minimax": gan.generator_loss_minimax(out), "non-saturating": gan.generator_loss_nonsaturating(out),
              "Wasserstein": gan.generator_loss_wasserstein(out)}
    return {k: torch.autograd.grad(v, th, retain_graph=True)[0].abs().item() for k, v in losses.items()}


torch.manual_seed(0)
u32 = torch.rand(256)
real_l = torch.stack([torch.zeros(256), u32], 1)
fake_l = torch.stack([torch.ones(256), u32], 1)                                   # theta = 1
n_line_steps = quick_or_full(60, 600)
nets = {"GAN discriminator": ("nonsaturating", gan.MLPDiscriminator(2)), "WGAN-GP critic": ("wgan-gp", gan.MLPDiscriminator(2))}
line_grads = {name: [] for name in nets}
for name, (loss, net) in nets.items():
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.5, 0.9))
    for step in range(n_line_steps + 1):
        if step % 20 == 0:
            line_grads[name].append(theta_gradients(net, 1.0, u32))
        gan.discriminator_step(net, opt, real_l, fake_l, loss=loss)
steps_l = np.arange(0, n_line_steps + 1, 20)
with torch.no_grad():
    d_fake = torch.sigmoid(nets["GAN discriminator"][1](fake_l)).mean().item()
print(f"after {n_line_steps} steps: D(fake) = {d_fake:.2e}; |d/dtheta| minimax {line_grads['GAN discriminator'][-1]['minimax']:.2e}, "
      f"non-saturating {line_grads['GAN discriminator'][-1]['non-saturating']:.2e}, "
      f"WGAN-GP critic {line_grads['WGAN-GP critic'][-1]['Wasserstein']:.3f}")

fig, ax = plt.subplots(figsize=(7, 3.8))
ax.semilogy(steps_l, [g["minimax"] for g in line_grads["GAN discriminator"]], label="GAN, minimax loss")
ax.semilogy(steps_l, [g["non-saturating"] for g in line_grads["GAN discriminator"]], label="GAN, non-saturating loss")
ax.semilogy(steps_l, [g["Wasserstein"] for g in line_grads["WGAN-GP critic"]], label="WGAN-GP critic")
ax.set(title=r"Generator gradient at $\theta = 1$ as the discriminator trains",
       xlabel="discriminator / critic steps", ylabel=r"$|\partial\,\mathrm{loss} / \partial\theta|$")
ax.legend()
plt.show()
''')

md(r"""
After 600 steps the discriminator is nearly perfect ($D = 5\cdot10^{-11}$ on the fakes), and the
three gradients have gone three ways.

* The **minimax** gradient fell from 0.4 to $1.4\cdot10^{-9}$. It is proportional to $D$ on the fakes,
  which a good discriminator drives to 0: the generator learns nothing, as the flat JS curve predicted.
* The **non-saturating** gradient did not vanish — it grew to 35, because the logits get steeper
  as the discriminator grows more confident. Its size measures how sharp the discriminator has
  become, not how far the generator is from the data: the supports are disjoint for every
  $\theta\neq0$, so the discriminator can sharpen for ever, and the generator's steps become erratic
  (Arjovsky & Bottou, 2017).
* The **WGAN-GP critic's** gradient settles at 1.05, close to $dW_1/d\theta = 1$: bounded, informative,
  and stable while the critic trains. This is the practical case for a Lipschitz critic.

## 5. The WGAN and weight clipping

The WGAN (Arjovsky, Chintala & Bottou, 2017) replaces the discriminator by a critic network
$f_w$ and plays
$$\min_G\ \max_{w\in\mathcal W}\ \mathbb E_{x\sim P} f_w(x) - \mathbb E_{z} f_w(G(z)),$$
using `gan.critic_loss` (the negative of the inner objective) for the critic and
`gan.generator_loss_wasserstein` $= -\mathbb E f_w(G(z))$ for the generator. The critic must stay
Lipschitz. The original recipe is crude: after every critic step, **clip every weight to
$[-c, c]$** (`gan.clip_weights_`, $c = 0.01$). A network with bounded weights and 1-Lipschitz
activations is $K$-Lipschitz for some $K$ that depends on $c$ and the architecture (Exercise 3),
so the critic estimates $K\cdot W_1$ at best — for an unknown $K$. Because the constraint is loose
and the critic is trained for $n_\text{critic} = 5$ steps per generator step with a small RMSprop
step ($5\cdot10^{-5}$; momentum made training unstable in the paper's experiments), the recipe
works, but it has two failure modes that we now see on a fixed problem: real data = the
8-Gaussian ring (radius 2, σ 0.02), fake data = a wide Gaussian blob, and two critics trained
for the same number of steps — one clipped, one with the gradient penalty of Section 6.

**Predict, then run.** Where will most of the clipped critic's weights be after training?
""")

code(r'''
real_2d = ring_of_gaussians(4096, seed=10)
fake_2d = 0.7 * torch.randn(4096, 2, generator=torch.Generator().manual_seed(11))
n_fixed = quick_or_full(100, 2000)
with timer(f"clipped and GP critics, {n_fixed} steps each"):
    critic_clip, trace_clip, est_clip = fit_critic(real_2d, fake_2d, "wgan", n_fixed)
    critic_gp, trace_gp, est_gp = fit_critic(real_2d, fake_2d, "wgan-gp", n_fixed)

w_clip = torch.cat([p.detach().flatten() for p in critic_clip.parameters()])
w_gp = torch.cat([p.detach().flatten() for p in critic_gp.parameters()])
at_bound = (w_clip.abs() > 0.99 * 0.01).float().mean().item()
w1_fixed = wasserstein1_exact(real_2d[:1000], fake_2d[:1000])
gn_clip, gn_gp = grad_norms(critic_clip, real_2d), grad_norms(critic_gp, real_2d)
print(f"clipped critic: {at_bound:.0%} of its {len(w_clip):,} weights within 1 % of ±0.01")
print(f"exact W1 (1,000 + 1,000 points) = {w1_fixed:.3f}")
print(f"clipped critic: estimate {est_clip:.2e}, gradient norm on the data {gn_clip.mean():.2e} (max {gn_clip.max():.2e}); "
      f"estimate / max gradient norm = {est_clip / gn_clip.max():.3f}")
print(f"GP critic:      estimate {est_gp:.3f}, gradient norm on the data {gn_gp.mean():.3f} (max {gn_gp.max():.3f})")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
axes[0].hist(to_np(w_clip), bins=60, color="C1")
axes[0].set(title=f"Clipped critic (c = 0.01): {at_bound:.0%} of weights at ±c", xlabel="weight value", ylabel="count")
axes[1].hist(to_np(w_gp), bins=60, color="C0")
axes[1].set(title="Gradient-penalty critic: weights spread out", xlabel="weight value", ylabel="count")
plt.tight_layout()
plt.show()
''')

code(r'''
fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
critic_contours(axes[0], critic_clip, real_2d, fake_2d, "Clipped critic (c = 0.01): few linear pieces")
critic_contours(axes[1], critic_gp, real_2d, fake_2d, "Gradient-penalty critic (λ = 10): an octagonal bowl")
plt.tight_layout()
plt.show()
''')

md(r"""
After 2,000 steps, **98 % of the clipped critic's 8,577 parameters sit at $\pm0.01$**: the clipping is
active almost everywhere, the weights live in the corners of the box, and training mostly picks signs.
Two consequences:

* **Unknown scale.** The clipped critic's estimate $\mathbb E_P f - \mathbb E_Q f$ is $3.7\cdot10^{-4}$, while the exact $W_1$
  (1,000 + 1,000 points) is 1.185. Its gradient norm on the data is at most $4.6\cdot10^{-4}$, so it is a
  $K$-Lipschitz critic with $K$ of that order; even divided by this $K$ the estimate is 0.80, not 1.185.
  The number is useless without a normalisation, and $K$ drifts as the weights move.
* **Capacity.** With weights pinned to the box, the function class is small: the clipped critic is a
  cone with a handful of linear pieces (a rounded square), while the GP critic, trained for the same
  number of steps, builds a bowl whose level sets follow the octagon of the eight modes, with
  gradient norm 1.07 on the data and an estimate of 1.230 (4 % above the exact $W_1$). Gulrajani et al.
  show the loss of capacity more dramatically on harder targets, together with gradients that explode
  or vanish through the layers when $c$ is slightly too large or too small.

## 6. The gradient penalty

Gulrajani et al. (2017) replace the hard constraint by a property of the *optimal* critic.

**Claim.** Let $f^*$ be an optimal 1-Lipschitz critic and $\gamma^*$ an optimal coupling. For
$\gamma^*$-almost every pair $(x, y)$ with $x\neq y$ and every point $x_t = t x + (1-t)y$ on the
segment between them, $f^*$ grows with slope exactly 1 in the direction $e = (x - y)/\lVert x - y\rVert$;
where $f^*$ is differentiable, $\nabla f^*(x_t) = e$, so $\lVert\nabla f^*(x_t)\rVert = 1$.

*Proof.* By strong duality, $\mathbb E_{\gamma^*}[f^*(x) - f^*(y)] = W_1 = \mathbb E_{\gamma^*}\lVert x - y\rVert$,
and pointwise $f^*(x) - f^*(y) \le \lVert x - y\rVert$. A non-negative function with mean zero
vanishes almost surely: $f^*(x) - f^*(y) = \lVert x - y\rVert$ for $\gamma^*$-a.e. pair
("complementary slackness"). Along the segment, the Lipschitz bound gives
$f^*(x_t) - f^*(y) \le t\lVert x - y\rVert$ and $f^*(x) - f^*(x_t) \le (1-t)\lVert x - y\rVert$; the two add up
to $f^*(x) - f^*(y) = \lVert x - y\rVert$, so both are equalities, and $f^*$ is linear with slope 1
along the segment. The directional derivative $\langle\nabla f^*(x_t), e\rangle = 1$ together with
$\lVert\nabla f^*\rVert\le 1$ forces $\nabla f^*(x_t) = e$. $\square$

So instead of clipping, WGAN-GP minimises
$$\mathcal L_\text{critic} = \mathbb E_{\tilde x\sim P_G} f(\tilde x) - \mathbb E_{x\sim P} f(x)
+ \lambda\,\mathbb E_{\hat x}\big(\lVert\nabla_{\hat x} f(\hat x)\rVert - 1\big)^2,\qquad
\hat x = \epsilon x + (1-\epsilon)\tilde x,\ \epsilon\sim\mathcal U(0,1),$$
with $\lambda = 10$ (`gan.gradient_penalty`). Two approximations hide here: real and fake points are
paired *at random*, not by the optimal coupling, and the penalty is soft, so the critic may
exceed slope 1 where that pays (Section 7 measures the consequence). The critic has no batch
norm (the penalty is per sample), and Adam with $\beta_1 = 0$ replaces RMSprop.

**Numerical check of the claim** on a small discrete problem: POT returns the optimal plan
$\gamma$ and dual potentials $(u, v)$ with $u_i + v_j \le C_{ij}$ (dual feasibility) and equality
wherever $\gamma_{ij} > 0$ (complementary slackness). The function $f(z) = \min_j (\lVert z - y_j\rVert - v_j)$ is a
minimum of 1-Lipschitz cones, hence 1-Lipschitz, and it attains $W_1$. Its gradient at random
points on the segments of coupled pairs should be exactly the unit vector $e$.
""")

code(r'''
g = torch.Generator().manual_seed(5)
xa = torch.randn(40, 2, generator=g, dtype=torch.float64)
yb = 0.5 * torch.randn(30, 2, generator=g, dtype=torch.float64) + torch.tensor([3.0, 1.0], dtype=torch.float64)
a, b = np.full(40, 1 / 40), np.full(30, 1 / 30)
C = to_np(dist(xa, yb))
plan, log = ot.emd(a, b, C, log=True)
u_pot, v_pot = log["u"], log["v"]
gap = C - u_pot[:, None] - v_pot[None, :]
print(f"dual objective {a @ u_pot + b @ v_pot:.6f} = W1 {log['cost']:.6f}:", close(a @ u_pot + b @ v_pot, log["cost"], 1e-9))
print("dual feasibility u_i + v_j <= C_ij:", gap.min() >= -1e-9, "; slackness on the plan:", close(gap[plan > 0], 0, 1e-9))


def f_star(z):
    # c-transform of v: 1-Lipschitz, an optimal critic
    return (dist(z, yb) - torch.from_numpy(v_pot)).min(dim=1).values


print("f* attains W1:", close(f_star(xa).mean() - f_star(yb).mean(), log["cost"], 1e-9))
i, j = np.nonzero(plan > 1e-12)
tt = torch.rand(len(i), 1, generator=g, dtype=torch.float64) * 0.98 + 0.01
x_t = (tt * xa[i] + (1 - tt) * yb[j]).requires_grad_(True)
(grad_t,) = torch.autograd.grad(f_star(x_t).sum(), x_t)
e = (xa[i] - yb[j]) / (xa[i] - yb[j]).norm(dim=1, keepdim=True)
print(f"gradient = unit vector e on all {len(i)} coupled segments:", close(grad_t, e, 1e-9))
''')

md(r"""
**A one-dimensional trap.** The penalty is two-sided: it also pushes gradient norms *up* to 1.
For a critic $f(x) = s x$ between $\mathcal N(0,1)$ and its shift by $W$, the penalised
objective is $\phi(s) = W s - \lambda(|s| - 1)^2$. Setting $\phi' = 0$ on each side gives the global
maximum $s^* = 1 + W/2\lambda$ (slightly steeper than 1: the estimate is $W s^* = W + W^2/2\lambda$) and a
second, *local* maximum at $s = -(1 - W/2\lambda)$: a critic that starts with the wrong sign of slope
must pass through $s = 0$, where the penalty is largest, to reach the right side. That is why
`fit_critic` flips a critic whose initial scores are reversed. In more dimensions the gradient
can rotate instead, and the trap disappears.
""")

code(r'''
W_demo, lam = 1.0, 10.0
s = np.linspace(-2, 2, 400_001)
phi = W_demo * s - lam * (np.abs(s) - 1) ** 2
local_max = s[1:-1][(phi[1:-1] > phi[:-2]) & (phi[1:-1] > phi[2:])]
print("local maxima of phi:", np.round(local_max, 4), "; predicted:", [-(1 - W_demo / (2 * lam)), 1 + W_demo / (2 * lam)])
print(close(np.sort(local_max), [-(1 - W_demo / (2 * lam)), 1 + W_demo / (2 * lam)], 1e-4))
''')

# ---------------------------------------------------------------------------------------------
md(r"""
## 7. How good is the critic's $W_1$ estimate?

A WGAN reports a number during training, $\mathbb E_P f - \mathbb E_{P_G} f$, which is advertised as an
estimate of $W_1$ that correlates with sample quality. We test it where the exact answer is known.

**(a) One-dimensional Gaussians.** Data $\mathcal N(0, 1)$, "generator" $\mathcal N(\mu, \sigma^2)$ for several
$(\mu, \sigma)$, 4,096 samples each; exact $W_1$ from the folded-normal formula of Section 2. For a pure
shift, the analysis above predicts the GP critic's estimate $W + W^2/(2\lambda)$, slightly above $W$.
The clipped critic's estimate is on an unknown scale $K$; we show it rescaled by its largest
gradient norm on the data (an estimate of $K$), which is the best a user could do. All critics are
trained on the fixed samples for 1,000 steps, the GP critic with Adam at $10^{-3}$ (faster than the
papers' $10^{-4}$, which we keep for training with a moving generator).

**Predict, then run.** Will the GP critic's estimate be above or below the exact value for a scale change ($\mu = 0$, $\sigma = 2$)?
""")

code(r'''
cases_1d = [(0.25, 1.0), (0.5, 1.0), (1.0, 1.0), (2.0, 1.0), (3.0, 1.0), (0.0, 2.0), (0.0, 0.3), (1.0, 0.5)]
if QUICK:
    cases_1d = cases_1d[2:4]
n_1d = quick_or_full(50, 1000)
g = torch.Generator().manual_seed(6)
base = torch.randn(4096, 1, generator=g)
rows_1d = []
with timer(f"{2 * len(cases_1d)} one-dimensional critics, {n_1d} steps each"):
    for mu, sd in cases_1d:
        other = mu + sd * torch.randn(4096, 1, generator=g)
        exact = w1_gauss(0, 1, mu, sd)
        sample_exact = wasserstein1_1d(base, other)
        _, _, est_gp1 = fit_critic(base, other, "wgan-gp", n_1d, lr=1e-3, betas=(0.5, 0.9))
        c_clip1, _, est_clip1 = fit_critic(base, other, "wgan", n_1d)
        k_hat = grad_norms(c_clip1, torch.cat([base, other])).max().item()
        rows_1d.append((mu, sd, exact, sample_exact, est_gp1, est_clip1 / k_hat))
print(f"{'mu':>5} {'sigma':>5} | {'exact W1':>8} {'samples':>8} | {'GP critic':>9} {'ratio':>6} | {'clip/K':>7} {'ratio':>6}")
for mu, sd, ex, se, eg, ec in rows_1d:
    print(f"{mu:5.2f} {sd:5.2f} | {ex:8.3f} {se:8.3f} | {eg:9.3f} {eg / ex:6.2f} | {ec:7.3f} {ec / ex:6.2f}")
''')

code(r'''
r = np.array(rows_1d)
fig, ax = plt.subplots(figsize=(6, 4.5))
grid_w = np.linspace(0, r[:, 2].max() * 1.05, 50)
ax.plot(grid_w, grid_w, "k--", lw=1, label="estimate = exact")
ax.plot(grid_w, grid_w + grid_w**2 / 20, "k:", lw=1, label=r"$W + W^2/2\lambda$ (shift, $\lambda = 10$)")
shift = r[:, 1] == 1.0
ax.plot(r[shift, 2], r[shift, 4], "o", c="C0", label="GP critic, shifts")
ax.plot(r[~shift, 2], r[~shift, 4], "^", c="C0", label="GP critic, scale changes")
ax.plot(r[:, 2], r[:, 5], "s", c="C1", label="clipped critic / its max gradient norm")
ax.set(title="Critic estimates vs exact $W_1$ (1-D Gaussians)", xlabel="exact $W_1$", ylabel="critic estimate")
ax.legend(fontsize=8)
plt.show()
''')

md(r"""
* **Shifts.** The GP critic tracks the predicted $W + W^2/2\lambda$ rather than $W$: ratios 1.05, 0.98,
  1.10, 1.11 and 1.18 for $W = 0.25, 0.5, 1, 2, 3$ (predicted 1.01 to 1.15). For large $W$ it is a slight
  **over**estimate, a bias of the soft penalty, not noise.
* **Scale changes.** Here it fails outright: 0.040 instead of 0.798 for $\sigma = 2$, and 0.018 instead of
  0.559 for $\sigma = 0.3$. The optimal critic (Section 3) is V-shaped, $f(x) = \pm(|x| - c)$, with a kink at 0.
  Our critic starts nearly linear, and a linear critic scores two centred, symmetric distributions
  equally; after 1,000 steps it has not left that flat region. The mixed case $\mu = 1$, $\sigma = 0.5$ is
  dominated by the shift and is fine (ratio 1.03). So the answer to the question is "far below".
* **Clipping.** The clipped critic, divided by its largest gradient norm, lands 1 to 36 % below the truth
  (ratios 0.64 to 0.99); the error grows with the shift, and the normalisation is too crude to trust.

A critic's estimate is a lower bound on $W_1$ only if the critic is exactly 1-Lipschitz and the best in
its class; a soft penalty and finite training give errors of either sign.

**(b) Small 2-D samples.** Data: 500 points of the ring. "Generators": 500 points of (i) a
Gaussian blob, (ii) the same ring rotated by $22.5°$ (every mode half-way between two data modes),
(iii) the ring with radius 1.5. The exact $W_1$ between the two point clouds comes from
`wasserstein1_exact`; the GP critic is trained on the same 500 + 500 points (full batch).
""")

code(r'''
real_s = ring_of_gaussians(500, seed=20)
rot = torch.tensor([[math.cos(math.pi / 8), -math.sin(math.pi / 8)], [math.sin(math.pi / 8), math.cos(math.pi / 8)]])
fakes_2d = {"Gaussian blob": 0.7 * torch.randn(500, 2, generator=torch.Generator().manual_seed(21)),
            "ring rotated 22.5°": ring_of_gaussians(500, seed=22) @ rot.T,
            "ring of radius 1.5": ring_of_gaussians(500, radius=1.5, seed=23)}
n_2d = quick_or_full(50, 1500)
rows_2d = []
with timer(f"{len(fakes_2d)} two-dimensional GP critics, {n_2d} steps each"):
    for name, fk in fakes_2d.items():
        exact = wasserstein1_exact(real_s, fk)
        c2, _, est = fit_critic(real_s, fk, "wgan-gp", n_2d, batch_size=500, lr=1e-3, betas=(0.5, 0.9))
        gn = grad_norms(c2, torch.cat([real_s, fk]))
        rows_2d.append((name, exact, est, gn.mean().item()))
for name, ex, est, gn in rows_2d:
    print(f"{name:>20}: exact W1 {ex:.3f}, GP critic {est:.3f} (ratio {est / ex:.2f}); mean gradient norm on the points {gn:.2f}")
''')

md(r"""
With full batches and 1,500 steps the GP critic is within a few per cent of the exact $W_1$ for the
blob (1.253 against 1.187, +6 %) and the smaller ring (0.617 against 0.597, +3 %): again a slight
overestimate, with gradient norms a little above 1 (1.06). It underestimates the rotated ring by 18 %
(0.614 against 0.749; mean gradient norm 0.95). There the optimal critic must separate 16 interleaved
clusters on a circle, a function with many kinks, and the 3 × 64 network has not fitted it in
1,500 steps.
""")

# ---------------------------------------------------------------------------------------------
md(r"""
## 8. GAN, WGAN and WGAN-GP on the toy benchmarks

We now train generators. Three data sets, each 10,000 points:

* **ring**: 8 Gaussians on a circle of radius 2, σ = 0.02 — PacGAN's ring (radius 1, σ = 0.01)
  scaled by 2, so the protocol (`ring_protocol(radius=2.0, std=0.02)`) counts the same relative widths;
* **grid**: 25 Gaussians on $\{-4,-2,0,2,4\}^2$, σ = 0.05 (VEEGAN/PacGAN's grid, `grid_protocol()`);
* **Swiss roll**: noise 0.25, standardised to mean 0 and unit variance per coordinate. It has
  no modes, so we report the exact $W_1$ between 1,000 generated and 1,000 fresh real points.

The **mode-coverage protocol** (lecture 08): draw 2,500 samples; a sample is *high quality* if it is
within 3σ of its nearest centre; a mode is *recovered* if at least one high-quality sample is
nearest to it (the *strict* count needs 1 % of the high-quality samples); the reverse KL compares the
histogram of modes with the uniform weights (0 is perfect, $\log 8 = 2.08$ / $\log 25 = 3.22$ is
total collapse).

All runs use the same networks: generator and critic are MLPs with 3 hidden layers of 64
units, noise dimension 2, batch 256. The optimisers are the papers' (`gan.DEFAULTS`) except where stated:

| loss | optimiser and schedule | critic steps | generator steps | source |
|---|---|---|---|---|
| GAN (non-saturating) | Adam, lr $2\cdot10^{-4}$, β = (0.5, 0.999) | 1 | 6,000 | DCGAN, unchanged |
| WGAN (clipping) | RMSprop, lr $5\cdot10^{-5}$, clip $c = 0.01$ | 5 | 2,000 | WGAN paper, unchanged |
| WGAN-GP | Adam, β = (0.5, 0.9): 800 steps at lr $10^{-3}$, then 1,600 at $10^{-4}$; λ = 10 | 5 | 2,400 | λ and $n_\text{critic}$ from the paper; **lr and β₁ changed** |

Why the WGAN-GP change: in tuning runs on the ring (seed 0) the paper's Adam ($10^{-4}$, β = (0, 0.9))
had found all 8 modes only after 2,000 steps, with 4 % high-quality samples (8 % after 2,400). A
constant lr of $10^{-3}$ finds all modes within 400 steps but then oscillates (high-quality fraction
going 32 % → 12 % → 19 %). The two phases combine both: the fast phase finds the modes and the slow phase
sharpens them (23 % → 46 % in tuning). A third phase at $2\cdot10^{-5}$, or batches of 1,024 in the slow
phase, did not raise the high-quality fraction further (45–47 %), so we stop there. Each phase is a
fresh `train_gan` call (new optimisers). The table's runs use other loop seeds than the tuning runs.
The step counts are set by the time budget. In the committed run, on a loaded machine, a WGAN-GP step
(5 critic steps, each with the penalty's double backward pass) took about 40 ms, a WGAN step 20 ms and
a GAN step 6 ms (about half of that on an idle core), so the three losses get comparable wall time.

**Predict, then run.** Which loss will have the most high-quality samples? Which one the most modes?
""")

code(r'''
SETTINGS = {   # phases run one after the other; n_steps = generator steps (quick mode: a few dozen)
    "nonsaturating": {"phases": [dict(n_steps=quick_or_full(40, 6000))]},               # DCGAN Adam 2e-4, (0.5, 0.999)
    "wgan": {"phases": [dict(n_steps=quick_or_full(20, 2000))]},                          # RMSprop 5e-5, clip 0.01, 5 critic steps
    "wgan-gp": {"phases": [dict(n_steps=quick_or_full(10, 800), lr=1e-3, betas=(0.5, 0.9)),  # fast start
                           dict(n_steps=quick_or_full(10, 1600), lr=1e-4, betas=(0.5, 0.9))]},  # sharpen
}
SEEDS = list(range(quick_or_full(2, 3)))
LABELS = {"nonsaturating": "GAN (non-saturating)", "wgan": "WGAN (clipping)", "wgan-gp": "WGAN-GP"}


def make_data(name, seed):
    # 10,000 training points; for the Swiss roll also the standardisation, to score fresh points.
    if name == "ring":
        return ring_of_gaussians(10_000, seed=100 + seed), None
    if name == "grid":
        return grid_of_gaussians(10_000, seed=100 + seed), None
    raw = swiss_roll(10_000, seed=100 + seed)
    mu, sd = raw.mean(0), raw.std(0)
    return (raw - mu) / sd, (mu, sd)


def train_phases(G, D, data, loss, phases, seed, **kw):
    # train_gan once per phase (fresh optimisers, new learning rate); histories concatenated.
    hist = {"wasserstein": [], "generator_loss": [], "snapshots": [], "snapshot_steps": []}
    done = 0
    for k, ph in enumerate(phases):
        h = gan.train_gan(G, D, data, loss=loss, seed=1000 * seed + k, progress=False, **ph, **kw)
        hist["wasserstein"] += h["wasserstein"]
        hist["generator_loss"] += h["generator_loss"]
        hist["snapshots"] += h["snapshots"]
        hist["snapshot_steps"] += [done + s for s in h["snapshot_steps"]]
        done += ph["n_steps"]
    return hist


def evaluate(G, name, norm, seed):
    with torch.no_grad():
        x = G.sample(2500, generator=torch.Generator().manual_seed(500 + seed))
    if name == "swiss roll":
        mu, sd = norm
        fresh = (swiss_roll(1000, seed=700 + seed) - mu) / sd
        return {"W1": wasserstein1_exact(x[:1000], fresh)}, x
    centres, std = ring_protocol(radius=2.0, std=0.02) if name == "ring" else grid_protocol()
    m = mode_coverage(x, centres, std)
    return {"modes": m.n_modes, "strict": m.n_modes_strict, "high quality": m.high_quality_fraction,
            "reverse KL": m.reverse_kl}, x
''')

code(r'''
DATASETS = ["ring", "grid", "swiss roll"]
results, samples, times, histories = {}, {}, {}, {}
runs = [(loss, name, seed) for name in DATASETS for loss in SETTINGS for seed in SEEDS]
for loss, name, seed in tqdm(runs, desc="27 GAN runs" if not QUICK else "GAN runs"):
    data, norm = make_data(name, seed)
    torch.manual_seed(seed)
    G, D = gan.MLPGenerator(noise_dim=2, data_dim=2), gan.MLPDiscriminator(data_dim=2)
    t0 = time.perf_counter()
    snap = dict(snapshot_every=quick_or_full(10, 100)) if (loss == "wgan-gp" and name == "ring" and seed == 0) else {}
    hist = train_phases(G, D, data, loss, SETTINGS[loss]["phases"], seed, batch_size=256, **snap)
    times[loss, name, seed] = time.perf_counter() - t0
    results[loss, name, seed], samples[loss, name, seed] = evaluate(G, name, norm, seed)
    if snap:
        histories["ring"] = (hist, data)
total_train = sum(times.values())
print(f"training time: {total_train / 60:.1f} min in all")
for loss in SETTINGS:
    per = [times[loss, n, s] for n in DATASETS for s in SEEDS]
    n_gen = sum(p["n_steps"] for p in SETTINGS[loss]["phases"])
    print(f"  {LABELS[loss]:>20}: {np.mean(per):5.1f} s per run on average ({n_gen} generator steps), {sum(per) / 60:.1f} min in all")
    for name in DATASETS:
        print(f"{'':>24}{name:>10}: " + ", ".join(f"seed {s} {times[loss, name, s]:.0f} s" for s in SEEDS))
''')

code(r'''
def mean_sd(values, fmt):
    v = np.array(values, dtype=float)
    return f"{fmt.format(v.mean())} ± {fmt.format(v.std(ddof=1) if len(v) > 1 else 0.0)}"


header = f"{'data':<11} {'loss':<21} {'modes':>11} {'strict':>11} {'high quality':>15} {'reverse KL':>13} {'W1 (1000 pts)':>15}"
print(f"mean ± sd over {len(SEEDS)} seeds\n" + header + "\n" + "-" * len(header))
for name in DATASETS:
    for loss in SETTINGS:
        rs = [results[loss, name, s] for s in SEEDS]
        if name == "swiss roll":
            print(f"{name:<11} {LABELS[loss]:<21} {'':>11} {'':>11} {'':>15} {'':>13} {mean_sd([r['W1'] for r in rs], '{:.3f}'):>15}")
        else:
            k = 8 if name == "ring" else 25
            print(f"{name:<11} {LABELS[loss]:<21} {mean_sd([r['modes'] for r in rs], '{:.1f}'):>8}/{k:<2} "
                  f"{mean_sd([r['strict'] for r in rs], '{:.1f}'):>8}/{k:<2} "
                  f"{mean_sd([100 * r['high quality'] for r in rs], '{:.1f}'):>13} % {mean_sd([r['reverse KL'] for r in rs], '{:.3f}'):>13}")
ref = swiss_roll(1000, seed=900)
mu_r, sd_r = swiss_roll(10_000, seed=100).mean(0), swiss_roll(10_000, seed=100).std(0)
print(f"\nfloor for the Swiss roll: W1 between two independent real samples of 1,000 = "
      f"{wasserstein1_exact((ref - mu_r) / sd_r, (swiss_roll(1000, seed=901) - mu_r) / sd_r):.3f}")
print("published (PacGAN, Lin et al. 2018, best): ring 7.8/8 modes, 95.9 % high quality; grid 24.8/25, 93.6 %")
''')

code(r'''
fig, axes = plt.subplots(3, 3, figsize=(12, 12))
for r_i, name in enumerate(DATASETS):
    real_plot, _ = make_data(name, 0)
    lim = {"ring": 2.6, "grid": 5.5, "swiss roll": 2.6}[name]
    for c_i, loss in enumerate(SETTINGS):
        res = results[loss, name, 0]
        info = (f"{res['modes']} modes, {100 * res['high quality']:.0f} % HQ" if name != "swiss roll" else f"W1 = {res['W1']:.3f}")
        scatter(axes[r_i, c_i], samples[loss, name, 0][:1500], f"{LABELS[loss]}, {name}\n{info}", real=real_plot[:2000], lim=lim)
plt.tight_layout()
plt.show()
''')

md(r"""
**What the table says, and where every model falls short.** None of the three losses reaches the
published figures (PacGAN: 7.8/8 modes with 95.9 % high-quality samples on the ring, 24.8/25 with
93.6 % on the grid). The course's target for WGAN-GP (8/8 and 25/25 with at least 95 % high-quality
samples) is **not met** with this budget (2,400 generator steps, 3 × 64 networks, 1 to 2.5 minutes per
run on a loaded two-core machine).

* **Ring.** The non-saturating GAN is best on average (6.7 modes, 52 % high quality), but the seeds
  differ enormously (± 45 %). Seed 0 (figure) has all 8 modes and 79 % high-quality samples. WGAN-GP
  has all 8 modes on seed 0 too, with 39 % high quality: the samples lie on the circle but spread
  between the modes, the blurry look typical of WGANs on this task. Its mean of 5.7 ± 4.0 modes
  means that one of the three seeds collapsed to about one mode (8, 8 and 1 give this mean and sd).
  The clipped WGAN, at the paper's small RMSprop step, has not converged after 2,000 generator steps
  (10,000 critic steps). Its samples are still a diffuse cloud (0.7 % high quality).
* **Grid.** All three fail with this budget: 13 to 15 of 25 modes and 2 to 3 % high-quality samples,
  about what a uniform smear would give (25 discs of radius 0.15 cover 2 % of $[-4.5, 4.5]^2$). In the
  figure the GAN spreads over the outline and interior of the square, and the two WGANs cover part of
  the grid with a diffuse cloud. Networks and step counts that suffice for 8 modes are far too small
  for 25 sharp ones; PacGAN used generators with 4 layers of 400 units and much longer training.
* **Swiss roll.** The non-saturating GAN is close to the floor ($W_1$ = 0.132 against 0.112 for two real
  samples). The clipped WGAN is diffuse (0.376), and WGAN-GP is the worst (0.890 ± 0.263): on seed 0
  it covers part of the roll with a dense fan.

So, on these toy problems and this budget, the Wasserstein losses did **not** beat the non-saturating
GAN on mode counts. Their advantages are the ones seen in Sections 4 to 7: gradients that do not
vanish, and a loss that tracks sample quality (next figure). They show up in the papers' longer image
experiments, not in a short toy benchmark. Closing the gap would need more generator steps, wider
networks and, for the grid, much more compute than this notebook spends.

**The critic's estimate during training.** For the WGAN-GP run on the ring (seed 0) we kept
512 generated points every 100 steps. The exact $W_1$ between each snapshot and 512 data
points is plotted with the critic's running estimate $\mathbb E f(\text{real}) - \mathbb E f(\text{fake})$ on its minibatches.
""")

code(r'''
hist_ring, data_ring = histories["ring"]
exact_trace = [wasserstein1_exact(s, data_ring[:512]) for s in hist_ring["snapshots"]]
est = np.array(hist_ring["wasserstein"])
window = quick_or_full(5, 50)
smooth = np.convolve(est, np.ones(window) / window, mode="valid")
floor = wasserstein1_exact(data_ring[:512], data_ring[512:1024])
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(np.arange(window, len(est) + 1), smooth, label=f"critic estimate (mean of {window} steps)")
ax.plot(hist_ring["snapshot_steps"], exact_trace, "o-", ms=3, label="exact $W_1$ (512 vs 512 points)")
ax.axhline(floor, ls=":", c="k", label="exact $W_1$ of two real samples of 512")
ax.set_yscale("log")
ax.set(title="WGAN-GP on the ring: critic's estimate vs exact $W_1$", xlabel="generator step", ylabel="$W_1$")
ax.legend()
plt.show()
print(f"end of training: critic estimate {smooth[-1]:.3f}, exact W1 {exact_trace[-1]:.3f}, two real samples {floor:.3f}")
''')

md(r"""
The two curves fall together. The critic's estimate drops from about 1.5 to 0.15 and the exact
$W_1$ of the snapshots from 1.04 to 0.24; both flatten after step 900, when all modes have been found
and only sharpening remains. Over the second half the estimate stays **below** the exact value (0.151
against 0.239 at the end). A critic trained on minibatches against a moving generator lags behind
the optimal one, and a sub-optimal critic underestimates a supremum. At the end the estimate even
sits at the sampling floor of the exact $W_1$ (0.152 for two real samples of 512), so it can no longer
tell the remaining error from sampling noise. Use it to monitor progress — it goes down as the
samples improve, which a GAN discriminator's loss does not — but not as a measurement.

## Summary

* The earth mover's distance $W_1$ is the cost of the cheapest transport plan; for discrete
  distributions it is a linear program, in 1-D it is the area between the CDFs (sort and pair).
* Its Kantorovich–Rubinstein dual is a supremum over 1-Lipschitz critics; the easy half is one
  line, and in 1-D the optimal critic has slope $\operatorname{sign}(G - F)$.
* On disjoint supports (parallel lines) KL, JS and TV are constant in the generator's parameter;
  $W_1 = |\theta|$ has a useful gradient. A trained GAN discriminator saturates and the minimax
  generator gradient vanishes; a Lipschitz critic keeps a gradient of order one.
* Weight clipping bounds the Lipschitz constant crudely: the weights pile up at $\pm c$, the critic
  is nearly linear and of unknown scale.
* An optimal critic has unit gradient norm on the segments of the optimal coupling; WGAN-GP
  penalises $(\lVert\nabla f\rVert - 1)^2$ at random interpolates. The penalty is soft and two-sided
  (a reversed local optimum in 1-D), and the critic's estimate is close to, but not exactly, $W_1$.
* On the ring, grid and Swiss roll, with 3 × 64 networks and one to two minutes per run, no loss
  reached PacGAN's figures. The non-saturating GAN was best on average. WGAN-GP found all 8 ring
  modes on 2 of 3 seeds, with 25 % high-quality samples on average. The clipped WGAN had not converged
  at the paper's learning rate, and all three failed the 25-mode grid.

## Exercises

**Exercise 1 (parallel lines, by hand).** Show $W_1(P_0, P_\theta) = |\theta|$ for the parallel lines
*without* the duality theorem: find a coupling of cost $|\theta|$ and a 1-Lipschitz function
whose dual value is $|\theta|$. Then check numerically with `wasserstein1_exact` that two *independent*
samples of 300 points from each line have $W_1$ above $|\theta|$, and explain why.
""")

solution(r"""
**Solution.** Coupling: $(0, U)\mapsto(\theta, U)$, every pair at distance $|\theta|$, cost $|\theta|$, so
$W_1\le|\theta|$. Critic: $f(x_1, x_2) = -x_1\operatorname{sign}\theta$ is 1-Lipschitz ($|f(x) - f(y)| = |x_1 - y_1|\le\lVert x-y\rVert$),
and $\mathbb E_{P_0}f - \mathbb E_{P_\theta}f = 0 + |\theta|$; by the easy half of the duality (valid for every coupling)
$W_1\ge|\theta|$. For two independent samples the $U$-values do not match, so the plan must also move
mass vertically; every pair costs $\sqrt{\theta^2 + \Delta u^2} \ge |\theta|$, and the empirical $W_1$ is larger,
the more so for small $|\theta|$ (at $\theta = 0$ it is the 1-D $W_1$ of two uniform samples, of order $1/\sqrt n$).
""")

code(r'''
g = torch.Generator().manual_seed(30)
for th in [0.0, 0.1, 0.5, 1.0]:
    pa = torch.stack([torch.zeros(300), torch.rand(300, generator=g)], 1)
    pb = torch.stack([torch.full((300,), th), torch.rand(300, generator=g)], 1)
    w = wasserstein1_exact(pa, pb)
    print(f"theta = {th}: W1 of independent samples {w:.4f} >= |theta|: {w >= th - 1e-9}")
''', hidden=True)

md(r"""
**Exercise 2 (one-sided penalty).** The two-sided penalty $(\lVert\nabla f\rVert - 1)^2$ created the
reversed optimum of Section 6. Replace it by the one-sided $\max(0, \lVert\nabla f\rVert - 1)^2$ (it only
forbids slopes above 1). Redo the 1-D analysis for $f(x) = sx$: find all local maxima of
$\phi(s) = W s - \lambda\max(0, |s| - 1)^2$ and check on a grid.
""")

solution(r"""
**Solution.** For $|s|\le 1$, $\phi(s) = W s$ is increasing (for $W > 0$). For $s > 1$,
$\phi'(s) = W - 2\lambda(s - 1) = 0$ at $s^* = 1 + W/2\lambda$, a maximum. For $s < -1$, $\phi'(s) = W + 2\lambda(-s - 1) > 0$:
increasing, no stationary point. So $\phi$ increases all the way from $-\infty$ to $s^*$ and decreases
afterwards: a single maximum and no trap. Gulrajani et al. report that the two penalties behave
alike in practice (in more dimensions the gradient can rotate and the trap rarely matters).
""")

code(r'''
phi1 = W_demo * s - lam * np.maximum(0, np.abs(s) - 1) ** 2
loc1 = s[1:-1][(phi1[1:-1] > phi1[:-2]) & (phi1[1:-1] > phi1[2:])]
print("local maxima with the one-sided penalty:", np.round(loc1, 4), "; predicted:", 1 + W_demo / (2 * lam))
print(close(loc1, [1 + W_demo / (2 * lam)], 1e-4))
''', hidden=True)

md(r"""
**Exercise 3 (how Lipschitz is a clipped critic?).** Show that an MLP with weight matrices
$W_1,\dots,W_L$ and 1-Lipschitz activations (LeakyReLU is one) is Lipschitz with constant at most
$\prod_l \lVert W_l\rVert_2$, and that $\lVert W\rVert_2\le c\sqrt{n_\text{in}n_\text{out}}$ when every entry is in $[-c, c]$.
Evaluate both bounds for the clipped critic of Section 5 and compare with its largest gradient
norm on the data. What does this say about the scale $K$ of the WGAN estimate?
""")

solution(r"""
**Solution.** Each layer $h\mapsto\sigma(Wh + b)$ is the composition of an affine map with Lipschitz
constant $\lVert W\rVert_2$ (the largest singular value) and a 1-Lipschitz activation; Lipschitz
constants multiply under composition. For the entry bound, $\lVert W\rVert_2\le\lVert W\rVert_F\le\sqrt{n_\text{in}n_\text{out}}\,c$.
For the 2-64-64-64-1 critic with $c = 0.01$ the entrywise bound is
$(0.01)^4\sqrt{2\cdot64}\cdot64\cdot64\cdot\sqrt{64}\approx 3.7\cdot10^{-3}$; the product of the actual spectral norms
is smaller, and the measured gradient norms smaller still (the bound ignores cancellations and
the LeakyReLU's slope 0.2 on negative inputs). The estimate $\mathbb E_P f - \mathbb E_Q f$ is therefore
$W_1$ times a constant of order $10^{-3}$–$10^{-4}$ that changes as the weights move: fine for
a generator's gradient direction, useless as a number without rescaling.
""")

code(r'''
lins = [m for m in critic_clip.net if isinstance(m, torch.nn.Linear)]
spectral = math.prod(torch.linalg.matrix_norm(m.weight.detach(), ord=2).item() for m in lins)
entry = math.prod(0.01 * math.sqrt(m.weight.shape[0] * m.weight.shape[1]) for m in lins)
print(f"entrywise bound {entry:.2e} >= product of spectral norms {spectral:.2e} >= largest gradient norm on the data {gn_clip.max():.2e}")
print(entry >= spectral >= gn_clip.max().item())
''', hidden=True)

md(r"""
**Exercise 4 (the critic's estimate depends on the critic's capacity).** Repeat Section 7(a) for the
shift $\mu = 2$ with a GP critic of one hidden layer of 8 units, and with $\lambda \in \{1, 10, 100\}$.
Predict from $\phi(s)$ how the estimate should depend on $\lambda$, then check.
""")

solution(r"""
**Solution.** For a pure shift the optimal critic is linear, which a one-hidden-layer network
can represent, so the capacity does not matter here; the estimate follows $W + W^2/2\lambda$:
$4.0$, $2.2$ and $2.02$ for $\lambda = 1, 10, 100$ (with $W = 2$). A larger $\lambda$ gives a more
accurate estimate but a stiffer optimisation problem; $\lambda = 10$ is the papers' compromise.
The cell below uses `gan.discriminator_step` with `gp_weight` directly.
""")

code(r'''
g = torch.Generator().manual_seed(40)
p1, q1 = torch.randn(4096, 1, generator=g), 2 + torch.randn(4096, 1, generator=g)
for lam_e in [1.0, 10.0, 100.0]:
    torch.manual_seed(0)
    small = gan.MLPDiscriminator(data_dim=1, hidden=8, n_layers=1)
    with torch.no_grad():
        if small(p1).mean() < small(q1).mean():
            small.net[-1].weight.neg_(), small.net[-1].bias.neg_()
    opt = torch.optim.Adam(small.parameters(), lr=1e-2 if not QUICK else 1e-2, betas=(0.5, 0.9))
    for _ in range(quick_or_full(50, 1500)):
        i = torch.randint(0, 4096, (256,), generator=g)
        gan.discriminator_step(small, opt, p1[i], q1[i], loss="wgan-gp", gp_weight=lam_e, generator=g)
    with torch.no_grad():
        est_e = (small(p1).mean() - small(q1).mean()).item()
    print(f"lambda = {lam_e:5.0f}: estimate {est_e:.3f}, predicted W + W^2/(2 lambda) = {2 + 4 / (2 * lam_e):.3f}")
''', hidden=True)

md(r"""
## References

* M. Arjovsky, L. Bottou (2017). Towards principled methods for training generative adversarial networks. ICLR.
* M. Arjovsky, S. Chintala, L. Bottou (2017). Wasserstein generative adversarial networks. ICML.
* I. Gulrajani, F. Ahmed, M. Arjovsky, V. Dumoulin, A. Courville (2017). Improved training of Wasserstein GANs. NeurIPS.
* C. Villani (2009). *Optimal transport, old and new.* Springer (Kantorovich–Rubinstein duality, Thm. 5.10 and Remark 6.5).
* G. Peyré, M. Cuturi (2019). Computational optimal transport. *Foundations and Trends in ML* (the 1-D formula, the LP and its dual).
* A. Srivastava, L. Valkov, C. Russell, M. Gutmann, C. Sutton (2017). VEEGAN. NeurIPS. — Z. Lin, A. Khetan, G. Fanti, S. Oh (2018). PacGAN. NeurIPS.
* R. Flamary et al. (2021). POT: Python optimal transport. JMLR.
""")

code(r'''
import os

print(f"total run time of this notebook: {(time.perf_counter() - T_START) / 60:.1f} min; "
      f"machine load average (1, 5, 15 min): {', '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
''')

nb = new_notebook(cells=cells)
nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
nb.metadata["language_info"] = {"name": "python"}
nbformat.write(nb, OUT)
print(f"wrote {OUT.relative_to(REPO)} ({len(cells)} cells)")
