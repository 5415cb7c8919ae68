"""Lecture 01: add Section 11 (entropy, cross-entropy, mutual information) and small fixes (issue 13)."""
import sys
import nbformat

PATH = "lectures/01_probability_basics.ipynb"
nb = nbformat.read(PATH, as_version=4)
ids = [c.get("id") for c in nb.cells]
if "ent11-md1" in ids:
    sys.exit("already patched")


def cell_by_id(cid):
    return nb.cells[ids.index(cid)]


def md(cid, text):
    c = nbformat.v4.new_markdown_cell(text.strip("\n"))
    c["id"] = cid
    return c


def code(cid, text, hidden=False):
    c = nbformat.v4.new_code_cell(text.strip("\n"))
    c["id"] = cid
    if hidden:
        c.metadata["jupyter"] = {"source_hidden": True}
    return c


# --- small fixes --------------------------------------------------------------------------
c0 = cell_by_id("8cfdb296")
c0.source = c0.source.replace(
    "10. the Kullback-Leibler divergence and its link with maximum likelihood.",
    "10. the Kullback-Leibler divergence and its link with maximum likelihood,\n"
    "11. entropy, cross-entropy and mutual information.")
assert "11. entropy" in c0.source

c40 = cell_by_id("5a2e6b74")
c40.source = c40.source.replace("# The symmetric run ends in a worse local optimum of the reverse KL.",
                                "# The run started at mu = 0.5 ends in a worse local optimum of the reverse KL.")

summ = cell_by_id("7c3d666a")
old = ("* $\\mathrm{KL}(p\\|q) \\ge 0$ with equality iff $p = q$, it is asymmetric, and maximum\n"
       "  likelihood is minimisation of $\\mathrm{KL}(p_{\\text{data}}\\|p_\\theta)$. Forward KL covers\n"
       "  mass; reverse KL seeks modes.")
assert old in summ.source, "summary bullet changed"
summ.source = summ.source.replace(old, (
    "* $\\mathrm{KL}(p\\|q) \\ge 0$ with equality iff $p = q$, and it is asymmetric. Maximum\n"
    "  likelihood minimises the cross-entropy $-\\frac1n\\sum_i \\log p_\\theta(x_i)$ of the empirical\n"
    "  distribution, whose expectation is $\\mathrm{KL}(p_{\\text{data}}\\|p_\\theta)$ plus a constant, with\n"
    "  $p_{\\text{data}}$ the data-generating distribution (the KL from the empirical distribution\n"
    "  itself is infinite for a continuous model). Forward KL covers mass; reverse KL seeks modes.\n"
    "* Entropy $H(p) = -\\mathbb E_p[\\log p]$ (at most $\\log K$ on $K$ outcomes; differential entropy can\n"
    "  be negative), cross-entropy $H(p, q) = H(p) + \\mathrm{KL}(p\\|q) \\ge H(p)$, Gaussian entropy\n"
    "  $\\frac12\\log(2\\pi e\\sigma^2)$, the largest for a given variance. Mutual information\n"
    "  $I(X;Y) = \\mathrm{KL}(p(x,y)\\|p(x)p(y)) = H(X) - H(X\\mid Y) \\ge 0$, zero iff independent;\n"
    "  $-\\frac12\\log(1-\\rho^2)$ for a bivariate Gaussian."))

# --- Section 11 ---------------------------------------------------------------------------
MD1 = r"""
## 11. Entropy, cross-entropy and mutual information

Section 10 met the entropy in passing. Lecture 07 measures the *rate* of a variational
autoencoder (how many nats its code carries about the input) with exactly the quantities of
this section, so we define them properly.

**Entropy of a discrete distribution.** For a PMF $p$ on $K$ outcomes,
$$H(p) = -\sum_x p(x)\log p(x) = \mathbb E_{x\sim p}[-\log p(x)] \qquad (0\log 0 := 0),$$
the average "surprise" $-\log p(x)$ of an outcome, in nats (in bits with $\log_2$). Each term is
$\ge 0$ because $p(x) \le 1$, so $H(p) \ge 0$, with equality only for a point mass. For the upper
bound compare $p$ with the uniform PMF $u(x) = 1/K$:
$$0 \le \mathrm{KL}(p\,\|\,u) = \sum_x p(x)\log p(x) + \sum_x p(x)\log K = \log K - H(p),$$
so $H(p) \le \log K$, with equality iff $p$ is uniform.

**Cross-entropy.** The average surprise when outcomes come from $p$ but are scored with $q$ is
$H(p, q) = \mathbb E_{x\sim p}[-\log q(x)]$. Writing $-\log q = -\log p + \log(p/q)$ and taking
the expectation under $p$,
$$H(p, q) = H(p) + \mathrm{KL}(p\,\|\,q) \;\ge\; H(p),$$
with equality iff $q = p$. This is the identity behind "MLE = minimum cross-entropy" in
Section 10, and behind the cross-entropy loss of every classifier.

**Differential entropy.** For a density, $h(p) = -\int p(x)\log p(x)\,\mathrm dx$. It is *not* the
limit of discrete entropies (that limit is infinite) and it behaves differently: a density can
exceed 1, so $h$ can be **negative**, and it changes under rescaling: if $Y = aX$ then
$p_Y(y) = p_X(y/a)/|a|$ and $h(Y) = h(X) + \log|a|$. Cross-entropy and
$H(p,q) = h(p) + \mathrm{KL}(p\|q)$ carry over unchanged, and KL stays $\ge 0$ and invariant
under invertible changes of variable (the Jacobians cancel in the ratio).

**The Gaussian.** $-\log\mathcal N(x;\mu,\sigma^2) = \frac12\log(2\pi\sigma^2) + \frac{(x-\mu)^2}{2\sigma^2}$,
and $\mathbb E[(x-\mu)^2] = \sigma^2$, so
$$h(\mathcal N(\mu,\sigma^2)) = \tfrac12\log(2\pi\sigma^2) + \tfrac12 = \tfrac12\log(2\pi e\,\sigma^2),
\qquad h(\mathcal N(\mu,\Sigma)) = \tfrac12\log\det(2\pi e\,\Sigma)$$
(the second by the same computation with $\mathbb E[(x-\mu)^\top\Sigma^{-1}(x-\mu)] = \operatorname{tr}(\Sigma^{-1}\Sigma) = d$).
It is negative once $\sigma < 1/\sqrt{2\pi e} \approx 0.242$.

**The Gaussian has the largest entropy for its variance.** Section 10 showed that
$H(p, \mathcal N(\mu,\sigma^2))$ depends on $p$ only through its mean and variance; with
$\mu = \mathbb E_p[x]$ and $\sigma^2 = \operatorname{Var}_p[x]$ it equals $\frac12\log(2\pi e\sigma^2)$. Hence for
every $p$ with variance $\sigma^2$,
$$h(p) = H(p, \mathcal N) - \mathrm{KL}(p\,\|\,\mathcal N) = \tfrac12\log(2\pi e\sigma^2) - \mathrm{KL}(p\,\|\,\mathcal N) \le h(\mathcal N(\mu,\sigma^2)).$$

The cell below checks each statement, one line per check: against `scipy.stats.entropy`
(which computes $H(p)$, and $\mathrm{KL}(p\|q)$ when given two PMFs), SciPy's closed-form entropies,
and Monte Carlo estimates $-\frac1n\sum_i \log p(x_i)$ within 5 standard errors.
"""

CODE1 = r"""
def check(label, got, expected, tol):
    # One numerical check per line: |got - expected| <= tol, printed either way.
    got, expected = float(got), float(expected)
    assert abs(got - expected) <= tol, f"{label}: got {got:.6g}, expected {expected:.6g} (tol {tol:.2g})"
    print(f"ok  {label:<58s} {got:+.6f}  vs  {expected:+.6f}")


def entropy_cat(p):
    # H(p) = -sum p log p for PMFs along the last axis, with 0 log 0 = 0.
    return -torch.special.xlogy(p, p).sum(-1)


gen = torch.Generator().manual_seed(21)
p_k = torch.softmax(2 * torch.randn(6, generator=gen), 0)
q_k = torch.softmax(2 * torch.randn(6, generator=gen), 0)
cross_entropy_pq = -(p_k * q_k.log()).sum()
check("H(p) vs scipy.stats.entropy", entropy_cat(p_k), stats.entropy(p_k.numpy()), 1e-12)
check("H(uniform on 6) = log 6", entropy_cat(torch.full((6,), 1 / 6)), math.log(6), 1e-12)
check("H(point mass) = 0", entropy_cat(torch.tensor([0.0, 1.0, 0.0])), 0.0, 0.0)
check("H(p, q) = H(p) + KL(p || q)", cross_entropy_pq, entropy_cat(p_k) + stats.entropy(p_k.numpy(), q_k.numpy()), 1e-12)
p_many = torch.softmax(3 * torch.randn(10_000, 6, generator=gen), 1)
check("max over 10^4 random PMFs of H(p) - log 6 (<= 0)", (entropy_cat(p_many) - math.log(6)).max().clamp(min=0), 0.0, 0.0)

n_h = quick_or_full(200_000, 2_000_000)
for s in (2.0, 0.1):                                   # sigma = 0.1 < 0.242: negative entropy
    xs = 1.0 + s * torch.randn(n_h, generator=gen)
    surprise = -gaussian_log_density_1d(xs, 1.0, s)
    h_exact = 0.5 * math.log(2 * math.pi * math.e * s**2)
    check(f"h(N(1, {s}^2)) closed form vs scipy", h_exact, stats.norm(1.0, s).entropy(), 1e-12)
    check(f"h(N(1, {s}^2)) Monte Carlo (tol 5 SE)", surprise.mean(), h_exact, 5 * surprise.std().item() / math.sqrt(n_h))
check("h(3 X) - h(X) = log 3 (Gaussian X)", stats.norm(0, 3.0).entropy() - stats.norm(0, 1.0).entropy(), math.log(3), 1e-12)

Sigma_h = torch.tensor([[2.0, 0.8, 0.3], [0.8, 1.0, -0.2], [0.3, -0.2, 0.5]])
check("h(N(0, Sigma)) = 1/2 log det(2 pi e Sigma) vs scipy", 0.5 * torch.logdet(2 * math.pi * math.e * Sigma_h),
      stats.multivariate_normal(np.zeros(3), Sigma_h.numpy()).entropy(), 1e-12)
# Maximum entropy: for p with variance 3 (the Gamma(3, 1) of Section 10 among them), the cross-entropy
# H(p, N(E_p x, 3)), by quadrature, is h(N(., 3)); then h(p) = H(p, N) - KL(p || N) < h(N(., 3)).
h_gauss3 = 0.5 * math.log(2 * math.pi * math.e * 3.0)
for name, dist in (("Gamma(3, 1)", p_data), ("Laplace", stats.laplace(scale=math.sqrt(1.5))),
                   ("uniform", stats.uniform(-3.0, 6.0))):
    gauss_match = stats.norm(dist.mean(), math.sqrt(3.0))
    check(f"{name} (var 3): H(p, N) by quadrature = h(N(., 3))",
          dist.expect(lambda t: -gauss_match.logpdf(t)), h_gauss3, 1e-8)
    assert abs(dist.var() - 3.0) < 1e-12 and dist.entropy() < h_gauss3
print(f"entropies at variance 3: Gamma {p_data.entropy():.4f}, Laplace {stats.laplace(scale=math.sqrt(1.5)).entropy():.4f}, "
      f"uniform {stats.uniform(-3.0, 6.0).entropy():.4f} < Gaussian {h_gauss3:.4f}")
"""

MD2 = r"""
### Mutual information

How much does observing $Y$ tell us about $X$? The **mutual information** compares the joint
distribution with the product of its marginals, the joint that $X$ and $Y$ would have if they
were independent:
$$I(X;Y) = \mathrm{KL}\big(p(x,y)\,\big\|\,p(x)\,p(y)\big) = \mathbb E_{p(x,y)}\Big[\log\frac{p(x,y)}{p(x)\,p(y)}\Big].$$
Being a KL divergence, $I(X;Y) \ge 0$, with equality iff $p(x,y) = p(x)p(y)$, i.e. iff $X$ and $Y$
are independent; and it is symmetric in $X$ and $Y$.

**Entropy form.** Write $p(x,y)/(p(x)p(y)) = p(x\mid y)/p(x)$ and split the logarithm:
$$I(X;Y) = \mathbb E[-\log p(X)] - \mathbb E[-\log p(X\mid Y)] = H(X) - H(X\mid Y),$$
where the **conditional entropy** $H(X\mid Y) = \sum_y p(y)\,H(p(\cdot\mid y))$ is the entropy left in $X$
once $Y$ is known, averaged over $Y$. So MI is the average reduction of uncertainty about $X$
from observing $Y$, and $I \ge 0$ says that conditioning cannot increase entropy on average:
$H(X\mid Y) \le H(X)$. Splitting instead $p(x,y)/(p(x)p(y))$ completely gives
$I(X;Y) = H(X) + H(Y) - H(X,Y)$. All of this holds verbatim with differential entropies; and
since $I$ is a KL divergence, it is unchanged by invertible transformations of $X$ or of $Y$,
even though the differential entropies in it change.

**Bivariate Gaussian.** Let $(X, Y)$ be Gaussian with variances $\sigma_x^2, \sigma_y^2$ and
correlation $\rho$, so $\det\Sigma = \sigma_x^2\sigma_y^2(1-\rho^2)$. With the Gaussian entropies above,
$$I(X;Y) = h(X) + h(Y) - h(X,Y) = \tfrac12\log(2\pi e\sigma_x^2) + \tfrac12\log(2\pi e\sigma_y^2) - \tfrac12\log\big((2\pi e)^2\sigma_x^2\sigma_y^2(1-\rho^2)\big)
= -\tfrac12\log(1-\rho^2).$$
It depends on $\rho$ only, is $0$ at $\rho = 0$ (uncorrelated Gaussians are independent) and grows
without bound as $|\rho| \to 1$, when $Y$ determines $X$ exactly.

We check, on a random $4\times 3$ joint PMF, that the KL form, $H(X) - H(X\mid Y)$ and
$H(X)+H(Y)-H(X,Y)$ agree, and that a product PMF has $I = 0$; and, for Gaussians with
several $\rho$, that a Monte Carlo average of $\log\frac{p(x,y)}{p(x)p(y)}$ over samples matches
$-\frac12\log(1-\rho^2)$ within 5 standard errors. The figure shows the curve with the estimates.
"""

CODE2 = r"""
joint = torch.softmax(torch.randn(12, generator=gen), 0).reshape(4, 3)   # a random joint PMF p(x, y)
p_x, p_y = joint.sum(1), joint.sum(0)
H_x_given_y = (p_y * entropy_cat((joint / p_y).T)).sum()   # sum_y p(y) H(p(. | y))
mi_kl = stats.entropy(joint.flatten().numpy(), torch.outer(p_x, p_y).flatten().numpy())
check("I = KL(p(x,y) || p(x)p(y)) vs H(X) - H(X|Y)", mi_kl, entropy_cat(p_x) - H_x_given_y, 1e-12)
check("I vs H(X) + H(Y) - H(X,Y)", mi_kl, entropy_cat(p_x) + entropy_cat(p_y) - entropy_cat(joint.flatten()), 1e-12)
check("independent X, Y: H(X) + H(Y) - H(X,Y) = 0", entropy_cat(p_x) + entropy_cat(p_y)
      - entropy_cat(torch.outer(p_x, p_y).flatten()), 0.0, 1e-12)
assert mi_kl > 0 and H_x_given_y <= entropy_cat(p_x)


def gaussian_mi_mc(rho, n, generator, scale_y=1.0):
    # Monte Carlo estimate of E[log p(x,y) - log p(x) - log p(y)] for unit-variance X, Y = scale_y * (correlated)
    x = torch.randn(n, generator=generator)
    y = scale_y * (rho * x + math.sqrt(1 - rho**2) * torch.randn(n, generator=generator))
    cov = torch.tensor([[1.0, rho * scale_y], [rho * scale_y, scale_y**2]])
    log_joint = mvn_log_density(torch.stack([x, y], 1), torch.zeros(2), cov)
    log_ratio = log_joint - gaussian_log_density_1d(x, 0.0, 1.0) - gaussian_log_density_1d(y, 0.0, scale_y)
    return log_ratio.mean().item(), log_ratio.std().item() / math.sqrt(n)


n_mi = quick_or_full(100_000, 1_000_000)
rhos = [0.0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.99]
mi_est = [gaussian_mi_mc(r, n_mi, gen) for r in rhos]
for r, (m, se) in zip(rhos, mi_est):
    check(f"I(X;Y), rho = {r}: Monte Carlo (tol 5 SE + 1e-12)", m, -0.5 * math.log(1 - r**2), 5 * se + 1e-12)
"""

CODE3 = r"""
# Plotting helper kept short: closed form as a curve, Monte Carlo estimates as points.
rho_grid = np.linspace(-0.995, 0.995, 400)
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(rho_grid, -0.5 * np.log(1 - rho_grid**2), label=r"closed form $-\frac{1}{2}\log(1-\rho^2)$")
ax.errorbar(rhos, [m for m, _ in mi_est], yerr=[5 * se for _, se in mi_est], fmt="o", color="C3", ms=4,
            capsize=3, label="Monte Carlo estimate (bars: 5 SE)")
ax.set(xlabel=r"correlation $\rho$", ylabel="mutual information I(X;Y)  (nats)",
       title="Mutual information of a bivariate Gaussian")
ax.legend(fontsize=8)
plt.show()
"""

MD3 = r"""
**Predict, then run.** Multiply $Y$ by 10 (keep $X$ and $\rho = 0.9$). Before running the next
cell, predict: does the differential entropy $h(Y)$ change, and by how much? Does $I(X;Y)$ change?
"""

CODE4 = r"""
mi_scaled, se_scaled = gaussian_mi_mc(0.9, n_mi, gen, scale_y=10.0)
check("h(10 Y) - h(Y) = log 10", stats.norm(0, 10.0).entropy() - stats.norm(0, 1.0).entropy(), math.log(10), 1e-12)
check("I(X; 10 Y) = I(X; Y) = -1/2 log(1 - 0.81) (5 SE)", mi_scaled, -0.5 * math.log(1 - 0.81), 5 * se_scaled)
"""

MD4 = r"""
The entropy of $Y$ grows by $\log 10 \approx 2.30$ nats (the density is ten times wider and lower),
but the mutual information does not move: rescaling $Y$ multiplies $p(x, y)$ and $p(y)$ by the same
Jacobian $1/10$, which cancels in their ratio. Differential entropy depends on the units of
measurement; mutual information and KL do not, which is why lecture 07 measures the rate of
an autoencoder's code with a KL divergence and not with an entropy.
"""

summary_idx = ids.index("7c3d666a")
new_cells = [md("ent11-md1", MD1), code("ent11-code1", CODE1), md("ent11-md2", MD2),
             code("ent11-code2", CODE2), code("ent11-fig", CODE3), md("ent11-predict", MD3),
             code("ent11-code3", CODE4), md("ent11-md3", MD4)]
nb.cells[summary_idx:summary_idx] = new_cells
nbformat.validate(nb)
nbformat.write(nb, PATH)
print("patched", PATH)
