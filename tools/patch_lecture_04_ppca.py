"""Lecture 04: PPCA posterior, Tipping-Bishop ML solution, sigma -> 0 limit, EM-for-PPCA worked solution (issue 13)."""
import sys
import nbformat

PATH = "lectures/04_latent_variables_em.ipynb"
nb = nbformat.read(PATH, as_version=4)
ids = [c.get("id") for c in nb.cells]
if "ppca-post-md" in ids:
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


def replace(cid, old, new):
    c = cell_by_id(cid)
    assert old in c.source, (cid, old[:60])
    c.source = c.source.replace(old, new)


# --- fixes ----------------------------------------------------------------------------------
replace("6ef1a84a", "2. probabilistic PCA and its Gaussian marginal,",
        "2. probabilistic PCA: its Gaussian marginal and posterior, the maximum-likelihood solution\n"
        "   and the $\\sigma\\to 0$ limit that recovers PCA,")
replace("df335d93", 'ax.set(title="complete data (x, z): ancestral samples", xlim=(-5, 6), ylim=(-3, 7), aspect="equal")',
        'ax.set(title="complete data (x, z): ancestral samples", xlabel="$x_1$", ylabel="$x_2$",\n'
        '       xlim=(-5, 6), ylim=(-3, 7), aspect="equal")')
replace("df335d93", 'ax.set(title="what we observe: x only, and log p(x)", xlim=(-5, 6), ylim=(-3, 7), aspect="equal")',
        'ax.set(title="what we observe: x only, and log p(x)", xlabel="$x_1$", ylabel="$x_2$",\n'
        '       xlim=(-5, 6), ylim=(-3, 7), aspect="equal")')
replace("25330ed7",
        "  $x = Wz + \\mu + \\varepsilon$ and the marginal $\\mathcal N(\\mu, WW^\\top + \\sigma^2 I)$.",
        "  $x = Wz + \\mu + \\varepsilon$, the marginal $\\mathcal N(\\mu, WW^\\top + \\sigma^2 I)$ and the Gaussian posterior\n"
        "  $\\mathcal N(M^{-1}W^\\top(x-\\mu), \\sigma^2M^{-1})$, $M = W^\\top W + \\sigma^2 I$. Its maximum-likelihood solution is\n"
        "  closed-form, $W = U_q(\\Lambda_q - \\sigma^2 I)^{1/2}R$ with $\\sigma^2$ the mean discarded eigenvalue, and as\n"
        "  $\\sigma\\to 0$ the posterior mean becomes the PCA projection.")
replace("25330ed7",
        "the E-step and a closed-form M-step. **Lecture 05** keeps the ELBO of Section 4 but drops both\n"
        "requirements: $q$ becomes a neural network $q_\\phi(z\\mid x)$ (amortised variational inference),\n"
        "the decoder $p_\\theta(x\\mid z)$ becomes a neural network (a nonlinear PPCA), and both are trained\n"
        "jointly by stochastic gradient ascent on the ELBO with the reparameterisation trick: the\n"
        "**variational autoencoder**.",
        "the E-step and a closed-form M-step. **Lecture 05** keeps the ELBO of Section 4 but drops both\n"
        "requirements: $q$ becomes a neural network $q_\\phi(z\\mid x)$ (amortised variational inference)\n"
        "and the model is fitted by gradient ascent on the ELBO; **lecture 06** shows how to estimate\n"
        "those gradients (the reparameterisation trick); and **lecture 07** puts it together with a\n"
        "neural decoder $p_\\theta(x\\mid z)$ (a nonlinear PPCA) in the **variational autoencoder**.")
replace("25330ed7",
        "1. **EM for probabilistic PCA.** Show that the posterior is\n"
        "   $p(z\\mid x) = \\mathcal N\\big(M^{-1}W^\\top(x-\\mu),\\ \\sigma^2 M^{-1}\\big)$ with $M = W^\\top W + \\sigma^2 I_q$, derive the\n"
        "   M-step",
        "1. **EM for probabilistic PCA.** With the posterior\n"
        "   $p(z\\mid x) = \\mathcal N\\big(M^{-1}W^\\top(x-\\mu),\\ \\sigma^2 M^{-1}\\big)$, $M = W^\\top W + \\sigma^2 I_q$, of Section 2, derive the\n"
        "   M-step")
replace("25330ed7", "discarded eigenvalues).", "discarded eigenvalues). (Worked solution after the exercises.)")

# --- new PPCA cells -------------------------------------------------------------------------
POST_MD = r"""
### The posterior $p(z\mid x)$

Bayes' rule gives $p(z\mid x) \propto \mathcal N(z\mid 0, I)\,\mathcal N(x\mid Wz+\mu, \sigma^2 I)$. Collect the terms of
the exponent that depend on $z$:
$$-\tfrac12 z^\top z - \tfrac1{2\sigma^2}\lVert x-\mu-Wz\rVert^2
= -\tfrac12 z^\top\Big(\frac{\sigma^2 I + W^\top W}{\sigma^2}\Big)z + z^\top\frac{W^\top(x-\mu)}{\sigma^2} + \text{const}.$$
A quadratic in $z$ is the exponent of a Gaussian: completing the square with precision
$M/\sigma^2$, where
$$M = W^\top W + \sigma^2 I_q \quad (q\times q),\qquad
p(z\mid x) = \mathcal N\big(z \,\big|\, M^{-1}W^\top(x-\mu),\ \sigma^2 M^{-1}\big).$$
The posterior covariance does not depend on $x$, and only a $q\times q$ matrix is inverted. The
same answer comes from conditioning the joint Gaussian of $(z, x)$, whose cross-covariance is
$\operatorname{Cov}[z, x] = W^\top$: $\mathbb E[z\mid x] = W^\top C^{-1}(x-\mu)$ and
$\operatorname{Cov}[z\mid x] = I - W^\top C^{-1}W$, with $C = WW^\top + \sigma^2 I$ ($D\times D$). The two forms
agree because $W^\top(WW^\top + \sigma^2 I) = (W^\top W + \sigma^2 I)W^\top$, i.e. $W^\top C^{-1} = M^{-1}W^\top$.

We check both forms against each other, and Bayes' rule itself,
$\log p(z\mid x) = \log p(z) + \log p(x\mid z) - \log p(x)$, at random $(z, x)$ pairs, to rounding error.
"""

POST_CODE = r"""
def check(label, got, expected, tol):
    # One numerical check per line: |got - expected| <= tol (entrywise max for tensors).
    err = (torch.as_tensor(got, dtype=torch.float64) - torch.as_tensor(expected, dtype=torch.float64)).abs().max().item()
    assert err <= tol, f"{label}: max |got - expected| = {err:.3g} > tol {tol:.2g}"
    print(f"ok  {label:<62s} max error {err:.2e}")


def ppca_posterior(x, W, mu, sigma2):
    # p(z | x) = N(M^{-1} W^T (x - mu), sigma^2 M^{-1}), M = W^T W + sigma^2 I. Returns (means (n, q), cov (q, q)).
    M = W.T @ W + sigma2 * torch.eye(W.shape[1])
    return torch.linalg.solve(M, W.T @ (x - mu).T).T, sigma2 * torch.linalg.inv(M)


post_mean, post_cov = ppca_posterior(x_test, W, mu_ppca, sigma_ppca**2)
check("posterior mean: M^-1 W^T (x - mu) = W^T C^-1 (x - mu)", post_mean, torch.linalg.solve(C, (x_test - mu_ppca).T).T @ W, 1e-12)
check("posterior covariance: sigma^2 M^-1 = I - W^T C^-1 W", post_cov, torch.eye(q) - W.T @ torch.linalg.solve(C, W), 1e-12)
z_any = torch.randn(len(x_test), q, generator=gen)                        # arbitrary latent values
log_bayes = (gaussian_log_prob(z_any, torch.zeros(q), torch.eye(q))
             + torch.stack([gaussian_log_prob(x_test[i:i + 1], W @ z_any[i] + mu_ppca, sigma_ppca**2 * torch.eye(D))[0]
                            for i in range(len(x_test))])
             - gaussian_log_prob(x_test, mu_ppca, C))
log_post = torch.stack([gaussian_log_prob(z_any[i:i + 1], post_mean[i], post_cov)[0] for i in range(len(x_test))])
check("Bayes: log p(z) + log p(x|z) - log p(x) = log N(z; posterior)", log_bayes, log_post, 1e-10)
"""

ML_MD = r"""
### The maximum-likelihood solution (Tipping and Bishop)

Unlike the GMM, PPCA has a closed-form maximum-likelihood fit. With $\hat\mu = \bar x$ and the
sample covariance $S = \frac1n\sum_i (x_i-\bar x)(x_i-\bar x)^\top$, the log-likelihood is
$$\ell(W, \sigma^2) = -\frac n2\Big[D\log 2\pi + \log\det C + \operatorname{tr}(C^{-1}S)\Big], \qquad C = WW^\top + \sigma^2 I.$$
**Stationary points in $W$.** Using $\partial\log\det C = \operatorname{tr}(C^{-1}\partial C)$ and
$\partial\operatorname{tr}(C^{-1}S) = -\operatorname{tr}(C^{-1}SC^{-1}\partial C)$ with $\partial C = \partial W\,W^\top + W\,\partial W^\top$,
$$\nabla_W\ell = n\,(C^{-1}SC^{-1}W - C^{-1}W) = 0 \iff S\,C^{-1}W = W.$$
Write $W = ULV^\top$ (thin SVD, $U$ with orthonormal columns, $L = \operatorname{diag}(l_j) > 0$). Then
$CU = U(L^2 + \sigma^2 I)$, so $C^{-1}W = U L(L^2+\sigma^2 I)^{-1}V^\top$, and the condition becomes
$SU = U(L^2 + \sigma^2 I)$: the columns of $U$ are **eigenvectors of $S$**, with eigenvalues
$\lambda_j = \sigma^2 + l_j^2$. Hence, with $U_q$ holding $q$ eigenvectors of $S$ and $\Lambda_q$ their eigenvalues,
$$W = U_q(\Lambda_q - \sigma^2 I)^{1/2}R \qquad (R \text{ any orthogonal } q\times q\text{ matrix}).$$
**The noise variance.** At such a $W$, $C$ has eigenvalues $\lambda_j$ on the kept directions and $\sigma^2$
on the other $D-q$, all shared with $S$, so $\log\det C = \sum_{\text{kept}}\log\lambda_j + (D-q)\log\sigma^2$ and
$\operatorname{tr}(C^{-1}S) = q + \sum_{\text{discarded}}\lambda_j/\sigma^2$. Setting the derivative in $\sigma^2$ to zero,
$$\sigma^2_{\mathrm{ML}} = \frac1{D-q}\sum_{\text{discarded } j}\lambda_j, \qquad
\ell_{\max} = -\frac n2\Big[D\log 2\pi + \sum_{\text{kept}}\log\lambda_j + (D-q)\log\sigma^2_{\mathrm{ML}} + D\Big]:$$
the noise variance is the **average variance lost** in the discarded directions. Which $q$
eigenvectors? $\sum_{\text{kept}}\log\lambda_j + (D-q)\log\sigma^2 = \sum_{\text{all}}\log\lambda_j + (D-q)\log\frac{\text{arithmetic mean}}{\text{geometric mean}}$ of the discarded
eigenvalues, and Tipping and Bishop show this is smallest when the discarded ones are the
$D-q$ *smallest*: the global maximum keeps the **top $q$ principal directions**, as PCA does.

Checks, on $n = 2000$ of the samples above: the log-likelihood of the ML solution, computed
from the Gaussian density, equals the closed form $\ell_{\max}$; rotating $W$ by $R$ leaves it
unchanged; the score equation $SC^{-1}W = W$ holds; no random $(W,\sigma^2)$ does better; and
scikit-learn's `PCA`, whose `score` is the mean PPCA log-likelihood (with `noise_variance_` the
mean discarded eigenvalue, computed from the $n-1$-normalised covariance), agrees.
"""

ML_CODE = r"""
from sklearn.decomposition import PCA


def ppca_ml(x, q):
    # Tipping-Bishop closed form (R = I): returns mu, W (D, q), sigma^2, eigenvalues (descending), eigenvectors.
    mu = x.mean(0)
    lam, U = torch.linalg.eigh(torch.cov(x.T, correction=0))
    lam, U = lam.flip(0), U.flip(1)                                        # descending order
    sigma2 = lam[q:].mean()
    return mu, U[:, :q] * (lam[:q] - sigma2).sqrt(), sigma2, lam, U


def ppca_loglik(x, mu, W, sigma2):
    # Total log-likelihood sum_i log N(x_i | mu, W W^T + sigma^2 I).
    return gaussian_log_prob(x, mu, W @ W.T + sigma2 * torch.eye(x.shape[1])).sum()


x_fit = x_ppca[:2000]
n_fit = len(x_fit)
mu_ml, W_ml, s2_ml, lam_S, U_S = ppca_ml(x_fit, q)
ll_ml = ppca_loglik(x_fit, mu_ml, W_ml, s2_ml)
ll_closed = -0.5 * n_fit * (D * LOG_2PI + lam_S[:q].log().sum() + (D - q) * s2_ml.log() + D)
check("ML log-likelihood = closed form l_max", ll_ml, ll_closed, 1e-8 * abs(ll_closed.item()))
check("W R (random rotation R) has the same log-likelihood", ppca_loglik(x_fit, mu_ml, W_ml @ R, s2_ml), ll_ml, 1e-8 * abs(ll_ml.item()))
check("score equation S C^-1 W = W at the ML solution",
      torch.cov(x_fit.T, correction=0) @ torch.linalg.solve(W_ml @ W_ml.T + s2_ml * torch.eye(D), W_ml), W_ml, 1e-10)
ll_random = torch.stack([ppca_loglik(x_fit, mu_ml, 1.5 * torch.randn(D, q, generator=gen), torch.rand(1, generator=gen) + 0.05)
                         for _ in range(quick_or_full(50, 500))])
check("no random (W, sigma^2) beats the ML solution (excess <= 0)", (ll_random.max() - ll_ml).clamp(min=0), 0.0, 0.0)

sk_pca = PCA(n_components=q).fit(x_fit.numpy())                           # uses the (n-1)-normalised covariance
S_unb = torch.cov(x_fit.T)
lam_u, U_u = torch.linalg.eigh(S_unb)
lam_u, U_u = lam_u.flip(0), U_u.flip(1)
C_sk = U_u[:, :q] @ torch.diag(lam_u[:q] - lam_u[q:].mean()) @ U_u[:, :q].T + lam_u[q:].mean() * torch.eye(D)
check("sklearn noise_variance_ = mean discarded eigenvalue", sk_pca.noise_variance_, lam_u[q:].mean(), 1e-10)
check("sklearn get_covariance() = U_q (Lambda_q - s2) U_q^T + s2 I", torch.as_tensor(sk_pca.get_covariance()), C_sk, 1e-10)
check("sklearn score = mean PPCA log-likelihood at that covariance", sk_pca.score(x_fit.numpy()),
      gaussian_log_prob(x_fit, mu_ml, C_sk).mean(), 1e-10)
excess = (ll_ml / n_fit - sk_pca.score(x_fit.numpy())).item()            # n versus n-1 normalisation
check("ML mean log-lik - sklearn score: small (and >= 0, asserted)", excess, 0.0, 1e-3)
assert excess >= 0
print(f"ML log-likelihood {ll_ml:.2f}; best of {len(ll_random)} random (W, sigma^2): {ll_random.max():.2f}; "
      f"sigma^2_ML = {s2_ml:.4f} (generating value {sigma_ppca**2}); eigenvalues of S: {np.round(to_np(lam_S), 4)}")
"""

LIM_MD = r"""
### $\sigma \to 0$: PPCA becomes PCA

Take the ML weights for a given noise level $\sigma^2 < \lambda_q$, $W = U_q(\Lambda_q - \sigma^2 I)^{1/2}$ (with $R = I$;
the derivation of $W$ above holds for any fixed $\sigma^2$). Then $M = W^\top W + \sigma^2 I = \Lambda_q$, and the
posterior mean and its reconstruction are
$$\mathbb E[z\mid x] = \Lambda_q^{-1}(\Lambda_q - \sigma^2 I)^{1/2}\,U_q^\top(x-\mu), \qquad
W\,\mathbb E[z\mid x] + \mu = U_q\,(I - \sigma^2\Lambda_q^{-1})\,U_q^\top(x-\mu) + \mu .$$
For $\sigma > 0$ the reconstruction is the PCA projection **shrunk towards the mean** by the
factors $1 - \sigma^2/\lambda_j$: with noise in the model, part of $x$'s deviation along each principal
direction is attributed to noise. As $\sigma\to 0$ the factors go to 1 (the error is $O(\sigma^2)$), the
reconstruction becomes the orthogonal projection $U_qU_q^\top(x - \mu) + \mu$ of **PCA**, the scores become
the whitened PCA scores $\Lambda_q^{-1/2}U_q^\top(x-\mu)$, and the posterior covariance $\sigma^2\Lambda_q^{-1}$ vanishes:
the encoder becomes deterministic. (Compare Section 10: the same small-variance limit turns
EM for a GMM into k-means.)

**Predict, then run.** On two-dimensional data with $q = 1$ and $\sigma^2 = \sigma^2_{\mathrm{ML}}$ (which, for $D=2$, is
the smaller eigenvalue $\lambda_2$), where do the posterior-mean reconstructions lie relative to the
PCA projections, and how far along the line? Then: how does the gap to PCA shrink as $\sigma$ is
divided by 10?
"""

LIM_CODE = r"""
def ppca_reconstruct(x, mu, lam, U, q, sigma2):
    # W E[z | x] + mu for W = U_q (Lambda_q - sigma^2 I)^{1/2}: the projection shrunk by 1 - sigma^2 / lambda_j.
    return ((x - mu) @ U[:, :q]) * (1 - sigma2 / lam[:q]) @ U[:, :q].T + mu


# The 5-D fit above: the gap to sklearn's PCA projection as sigma -> 0, and the whitened scores.
pca_proj = torch.as_tensor(sk_pca.inverse_transform(sk_pca.transform(x_fit.numpy())))
sigmas = torch.logspace(0, -4, 9) * lam_S[q - 1].sqrt() * 0.99
gaps = torch.stack([(ppca_reconstruct(x_fit, mu_ml, lam_S, U_S, q, s**2) - pca_proj).abs().max() for s in sigmas])
scores_small, _ = ppca_posterior(x_fit, U_S[:, :q] * (lam_S[:q] - 1e-12).sqrt(), mu_ml, 1e-12)
scores_white = torch.as_tensor(PCA(q, whiten=True).fit(x_fit.numpy()).transform(x_fit.numpy()))
scores_white = scores_white * torch.sign((scores_small * scores_white).sum(0))   # eigenvector signs are arbitrary
check("sigma = 1e-4 sqrt(lambda_q): reconstruction = sklearn PCA projection", gaps[-1], 0.0, 1e-6)
check("gap proportional to sigma^2: max/min of gap / sigma^2 = 1", (gaps / sigmas**2).max() / (gaps / sigmas**2).min(), 1.0, 1e-3)
# sklearn whitens with the (n-1)-normalised eigenvalues, hence the factor sqrt((n - 1) / n).
check("posterior mean as sigma -> 0 = sklearn's whitened PCA scores", scores_small * math.sqrt((n_fit - 1) / n_fit), scores_white, 1e-6)

# The 2-D picture for the figure: q = 1.
gen2 = torch.Generator().manual_seed(3)
x2 = torch.randn(60, 2, generator=gen2) @ torch.tensor([[2.0, 0.9], [0.0, 0.7]]) + torch.tensor([1.0, -0.5])
mu2, _, s2_2, lam2, U2 = ppca_ml(x2, 1)
rec_ml, rec_pca = ppca_reconstruct(x2, mu2, lam2, U2, 1, s2_2), ppca_reconstruct(x2, mu2, lam2, U2, 1, 0.0)
check("D = 2, q = 1: sigma^2_ML = smaller eigenvalue", s2_2, lam2[1], 1e-12)
check("PPCA reconstruction = (1 - lambda_2/lambda_1) x PCA's (about the mean)", rec_ml - mu2, (1 - lam2[1] / lam2[0]) * (rec_pca - mu2), 1e-12)
plot_ppca_limit(x2, mu2, U2, rec_ml, rec_pca, s2_2, sigmas / lam_S[q - 1].sqrt(), gaps)
"""

LIM_ANSWER = r"""
On the left, every PPCA reconstruction lies on the principal axis, like PCA's, but between the
mean and the PCA projection, at the fraction $1 - \sigma^2/\lambda_1 = 1 - \lambda_2/\lambda_1$ of the way: the
model explains the rest of the deviation as noise. On the right, dividing $\sigma$ by 10 divides the
gap to PCA by 100 (slope 2 on the log-log plot), as the factor $1 - \sigma^2/\lambda_j$ predicts.
"""

HELPER_CODE = r"""
def plot_ppca_limit(x2, mu2, U2, rec_ml, rec_pca, s2_2, sigma_ratio, gaps):
    # Left: 2-D data, principal axis, PCA projections and (shrunk) PPCA posterior-mean reconstructions.
    # Right: max distance between the PPCA reconstruction and PCA's projection as sigma -> 0 (5-D fit).
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.3))
    ax = axes[0]
    d, m, u = to_np(x2), to_np(mu2), to_np(U2[:, 0])
    ax.scatter(d[:, 0], d[:, 1], s=12, color="k", label="data x")
    ax.plot(*np.stack([m - 5 * u, m + 5 * u]).T, color="gray", lw=1, label="principal axis")
    for rec, col, name in ((rec_pca, "C0", r"PCA projection ($\sigma \to 0$)"),
                           (rec_ml, "C3", rf"PPCA $W\,E[z|x] + \mu$, $\sigma^2 = \sigma^2_{{ML}}$ = {s2_2:.2f}")):
        ax.scatter(*to_np(rec).T, s=14, color=col, label=name, zorder=3)
    for a, b in zip(d, to_np(rec_pca)):
        ax.plot(*np.stack([a, b]).T, color="C0", lw=0.5, alpha=0.5)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal", title="posterior-mean reconstructions shrink towards the mean")
    ax.legend(fontsize=7, loc="upper left")
    ax = axes[1]
    ax.loglog(to_np(sigma_ratio), to_np(gaps), marker="o", label="max |PPCA reconstruction - PCA projection|")
    ax.loglog(to_np(sigma_ratio), to_np(gaps[0] * (sigma_ratio / sigma_ratio[0]) ** 2), ls="--", color="gray",
              label=r"slope 2 ($\propto\sigma^2$)")
    ax.set(xlabel=r"$\sigma / \sqrt{\lambda_q}$", ylabel="max abs difference",
           title=r"$\sigma \to 0$: PPCA's reconstruction becomes PCA's")
    ax.legend(fontsize=8)
    fig.tight_layout()
    plt.show()
"""

SOL_MD = r"""
### Worked solution to Exercise 1 (EM for probabilistic PCA)

*Collapsed below.* **E-step.** The posterior of Section 2 gives the two expectations the
complete-data log-likelihood needs: $\mathbb E[z_i] = M^{-1}W^\top(x_i - \bar x)$ and
$\mathbb E[z_iz_i^\top] = \sigma^2M^{-1} + \mathbb E[z_i]\mathbb E[z_i]^\top$. **M-step.** Up to constants,
$$\mathbb E\big[\log p(X, Z)\big] = -\sum_i\Big[\frac D2\log\sigma^2 + \frac{1}{2\sigma^2}\Big(\lVert x_i-\bar x\rVert^2 - 2\,\mathbb E[z_i]^\top W^\top(x_i - \bar x) + \operatorname{tr}\big(\mathbb E[z_iz_i^\top]W^\top W\big)\Big)\Big].$$
The gradient in $W$ vanishes at $W_{\text{new}} = \big[\sum_i (x_i-\bar x)\mathbb E[z_i]^\top\big]\big[\sum_i\mathbb E[z_iz_i^\top]\big]^{-1}$ (a least-squares
regression of $x$ on the expected codes), and the derivative in $\sigma^2$ at
$\sigma^2_{\text{new}} = \frac1{nD}\sum_i\big(\lVert x_i-\bar x\rVert^2 - 2\,\mathbb E[z_i]^\top W_{\text{new}}^\top(x_i-\bar x) + \operatorname{tr}(\mathbb E[z_iz_i^\top]W_{\text{new}}^\top W_{\text{new}})\big)$.
The cell checks that the log-likelihood never decreases, that it converges to the closed-form
$\ell_{\max}$ of Section 2, and that the fitted covariance $WW^\top + \sigma^2 I$ is the ML one ($W$ itself is
only determined up to the rotation $R$).
"""

SOL_CODE = r"""
def ppca_em(x, q, n_iter, generator):
    # EM for PPCA from a random start; returns W, sigma^2 and the log-likelihood before every M-step.
    xc = x - x.mean(0)
    n, D_ = x.shape
    W_t, s2_t = torch.randn(D_, q, generator=generator), torch.tensor(1.0)
    history = []
    for _ in range(n_iter):
        history.append(ppca_loglik(x, x.mean(0), W_t, s2_t).item())
        Ez, Sz = ppca_posterior(x, W_t, x.mean(0), s2_t)                     # E-step: (n, q) means, (q, q) covariance
        sum_Ezz = n * Sz + Ez.T @ Ez                                          # sum_i E[z_i z_i^T]
        W_t = torch.linalg.solve(sum_Ezz, Ez.T @ xc).T                        # M-step for W
        s2_t = ((xc**2).sum() - 2 * (Ez * (xc @ W_t)).sum() + torch.trace(sum_Ezz @ W_t.T @ W_t)) / (n * D_)
    history.append(ppca_loglik(x, x.mean(0), W_t, s2_t).item())
    return W_t, s2_t, np.array(history)


D_ppca, q_ppca = W_ml.shape                     # (later sections reuse the names q and D)
W_em, s2_em, hist_em = ppca_em(x_fit, q_ppca, quick_or_full(300, 1000), torch.Generator().manual_seed(5))
check("EM log-likelihood never decreases (largest drop, >= 0 up to rounding)", max(0.0, -np.diff(hist_em).min()), 0.0, 1e-6)
check("EM converges to the closed-form l_max", hist_em[-1], ll_closed, 1e-6 * abs(ll_closed.item()))
check("EM covariance W W^T + sigma^2 I = ML covariance", W_em @ W_em.T + s2_em * torch.eye(D_ppca),
      W_ml @ W_ml.T + s2_ml * torch.eye(D_ppca), 1e-5)
print(f"EM: {len(hist_em) - 1} iterations, log-likelihood {hist_em[0]:.1f} -> {hist_em[-1]:.4f} (closed form {ll_closed:.4f}); "
      f"sigma^2 {s2_em:.5f} vs {s2_ml:.5f}")
"""

# insert PPCA subsections after the Monte Carlo remark (f0ff2257), the plot helper in the set-up cell's neighbour
pos = ids.index("f0ff2257") + 1
nb.cells[pos:pos] = [md("ppca-post-md", POST_MD), code("ppca-post-code", POST_CODE),
                     md("ppca-ml-md", ML_MD), code("ppca-ml-code", ML_CODE),
                     md("ppca-lim-md", LIM_MD), code("ppca-lim-helper", HELPER_CODE, hidden=True),
                     code("ppca-lim-code", LIM_CODE), md("ppca-lim-answer", LIM_ANSWER)]
nb.cells += [md("ppca-em-sol-md", SOL_MD), code("ppca-em-sol", SOL_CODE, hidden=True)]
nbformat.validate(nb)
nbformat.write(nb, PATH)
print("patched", PATH)
