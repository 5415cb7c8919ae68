"""Write solutions/a06_gans/a06_gans.ipynb, the source (instructor) version of assignment a06.

    python tools/build_a06.py
    python tools/assignment_rules.py --write      # the Rules text and the final check cell
    .venv/bin/dgm-instructor release a06_gans     # the student version in assignments/

The notebook is data; this script only keeps its cells readable as Python. Each cell is
``(kind, grade_id, points, source)``: kind "md" (text), "setup" (locked code), "answer"
(solution code), "test" (graded test), "written" (manually graded markdown answer).
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from course_map import colab_install  # tools/course_map.py: the repository URL's one home

OUT = Path(__file__).resolve().parents[1] / "solutions" / "a06_gans" / "a06_gans.ipynb"

CELLS: list[tuple[str, str, int | None, str]] = []


def cell(kind: str, grade_id: str, source: str, points: int | None = None) -> None:
    CELLS.append((kind, grade_id, points, source.strip("\n")))


# ---------------------------------------------------------------------------------------
cell("md", "intro", r"""
# Assignment a06 — GANs and Wasserstein GANs

This assignment goes with lectures 08 (`lectures/08_gans.ipynb`) and 09
(`lectures/09_wasserstein_gans.ipynb`). You will write the losses of the original GAN game and of the
Wasserstein GAN, the two ways of keeping a critic Lipschitz (weight clipping and the gradient
penalty), one full WGAN-GP training step, and the mode-coverage metric used to measure mode collapse
on mixtures of Gaussians. Then you will train two critics to estimate a Wasserstein distance whose
exact value you know, and explain what they return.

Everything runs in seconds on a laptop CPU: the data are 2-D and the networks are small.

**How it is graded.** Each implementation task asks for one function (or a few short ones). Below each
answer cell are test cells: the *visible* tests you can run as often as you like; *hidden* test cells
look like a comment in your copy and run further, randomised cases when the instructor grades. Points
are shown in each test cell; partial work earns partial credit. Task 6 is an experiment, graded by the
numbers you report (within a tolerance band); task 7 is a short written answer, graded by hand.

**How to answer.**
- Write your code where it says `# YOUR CODE HERE` and delete the `raise NotImplementedError()`.
- Use PyTorch (`torch`, `torch.nn`, `torch.nn.functional`); return tensors unless told otherwise.
  Later tasks may (and should) call your own earlier functions.
- Networks here return **logits** (discriminator) or **scores** (critic): one real number per input,
  shape `(b,)`, no sigmoid.

<!-- answer-rules:begin -->
<!-- answer-rules:end -->

- Before submitting: *Kernel → Restart & Run All* and make sure no cell fails.
""")

cell("setup", "setup", colab_install() + r'''
import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

import course_lib
from course_lib.data import ring_of_gaussians
from course_lib.grading import check_close, check_finite, check_gradient_flows, check_shape, check_tensor, check_true

device = course_lib.get_device()                # the networks here are tiny: everything below runs on the CPU
course_lib.seed_everything(0)


class Critic(nn.Module):
    """A small MLP for 2-D points: (b, 2) -> (b,) scores (or logits). Two hidden ReLU layers."""

    def __init__(self, hidden=64, data_dim=2):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(data_dim, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def linear_critic(data_dim):
    """f(x) = w . x + b as a module: (b, data_dim) -> (b,). Handy for checks with known gradients."""
    return nn.Sequential(nn.Linear(data_dim, 1), nn.Flatten(0))
''')

# ---------------------------------------------------------------------------------------
cell("md", "task1", r"""
## Task 1 — the losses of the GAN game (5 points)

With $D(x) = \sigma(\ell(x))$, $\ell$ the discriminator's logit, the GAN value is
$V(D, G) = \mathbb E_{x\sim p}\log D(x) + \mathbb E_{z}\log\bigl(1 - D(G(z))\bigr)$. Write, as batch means
over 1-D tensors of logits (each returns a 0-d tensor, to be **minimised**):

- `discriminator_loss(real_logits, fake_logits)` $= -\bigl[\operatorname{mean}\log D(x) + \operatorname{mean}\log(1 - D(G(z)))\bigr]$;
- `generator_loss_minimax(fake_logits)` $= \operatorname{mean}\log(1 - D(G(z)))$, the generator's term of the game;
- `generator_loss_nonsaturating(fake_logits)` $= -\operatorname{mean}\log D(G(z))$.

`real_logits` has shape `(b,)`, `fake_logits` shape `(m,)` (`m` may differ from `b`). **Requirement:** the
losses must stay finite, with finite gradients, for logits as large as $\pm 100$, where
`torch.log(torch.sigmoid(l))` gives `-inf`. Use $\log\sigma(\ell) = -\operatorname{softplus}(-\ell)$ and
$\log(1-\sigma(\ell)) = -\operatorname{softplus}(\ell)$, or `F.logsigmoid`, or a library's loss with logits.
""")

cell("answer", "gan_losses", r'''
def discriminator_loss(real_logits, fake_logits):
    """-(mean log sigmoid(real_logits) + mean log(1 - sigmoid(fake_logits))): a 0-d tensor."""
    ### BEGIN SOLUTION
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    ### END SOLUTION


def generator_loss_minimax(fake_logits):
    """mean log(1 - sigmoid(fake_logits)): a 0-d tensor (the saturating loss)."""
    ### BEGIN SOLUTION
    return -F.softplus(fake_logits).mean()
    ### END SOLUTION


def generator_loss_nonsaturating(fake_logits):
    """-mean log sigmoid(fake_logits): a 0-d tensor."""
    ### BEGIN SOLUTION
    return F.softplus(-fake_logits).mean()
    ### END SOLUTION
''')

cell("test", "test_gan_losses", r'''
# Visible test (1 point): a small case, written out.
real = torch.tensor([2.0, -1.0, 0.0])
fake = torch.tensor([-3.0, 0.5])
d = lambda l: torch.sigmoid(l)
cases = [
    ("discriminator_loss(real, fake)", lambda: discriminator_loss(real, fake),
     -(torch.log(d(real)).mean() + torch.log(1 - d(fake)).mean())),
    ("generator_loss_minimax(fake)", lambda: generator_loss_minimax(fake), torch.log(1 - d(fake)).mean()),
    ("generator_loss_nonsaturating(fake)", lambda: generator_loss_nonsaturating(fake), -torch.log(d(fake)).mean()),
]
for name, call, expected in cases:
    got = call()
    check_tensor(got, name=name)
    check_shape(got, (), name=name, hint="a batch mean is a 0-d tensor")
    check_close(got, expected, rtol=1e-5, name=name, hint="means over the batch; mind the signs: each is a loss to minimise")
print("GAN losses OK")
''', points=1)

cell("test", "test_gan_losses_extreme", r'''
# Visible test (1 point): logits of +-100 give finite losses and finite gradients.
real = torch.tensor([100.0, -100.0], requires_grad=True)
fake = torch.tensor([-100.0, 100.0], requires_grad=True)
for name, value, expected in [
    ("discriminator_loss at logits +-100", discriminator_loss(real, fake), 100.0),
    ("generator_loss_minimax at logits +-100", generator_loss_minimax(fake), -50.0),
    ("generator_loss_nonsaturating at logits +-100", generator_loss_nonsaturating(fake), 50.0),
]:
    check_finite(value, name=name, hint="log(sigmoid(-100)) underflows to -inf in float32: use softplus or logsigmoid")
    check_close(value, expected, rtol=1e-5, name=name)
    grads = torch.autograd.grad(value, [real, fake], allow_unused=True)
    for g in grads:
        if g is not None:
            check_finite(g, name=f"the gradient of {name}", hint="use softplus or logsigmoid, not log(sigmoid(.))")
print("extreme logits OK")
''', points=1)

cell("test", "test_gan_losses_hidden", r'''
# Hidden test (2 points): random logits, other batch sizes, float32 and float64, against course_lib.gan.
### BEGIN HIDDEN TESTS
from course_lib import gan as reference
g = torch.Generator().manual_seed(6081)
for dtype in (torch.float32, torch.float64):
    for b, m in [(1, 1), (7, 3), (64, 200)]:
        real = 8 * torch.randn(b, generator=g, dtype=dtype)
        fake = 8 * torch.randn(m, generator=g, dtype=dtype)
        check_close(discriminator_loss(real, fake), reference.discriminator_loss(real, fake), rtol=1e-5,
                    name=f"discriminator_loss, b={b}, m={m}, {dtype}")
        check_close(generator_loss_minimax(fake), reference.generator_loss_minimax(fake), rtol=1e-5,
                    name=f"generator_loss_minimax, m={m}, {dtype}")
        check_close(generator_loss_nonsaturating(fake), reference.generator_loss_nonsaturating(fake), rtol=1e-5,
                    name=f"generator_loss_nonsaturating, m={m}, {dtype}")
### END HIDDEN TESTS
''', points=2)

cell("test", "test_gan_losses_saturation", r'''
# Hidden test (1 point): where the discriminator rejects the fakes (logit -30), the minimax loss's gradient
# vanishes and the non-saturating one's is -1/m per logit.
### BEGIN HIDDEN TESTS
for m in (1, 4):
    fake = torch.full((m,), -30.0, dtype=torch.float64, requires_grad=True)
    (g_mm,) = torch.autograd.grad(generator_loss_minimax(fake), fake)
    (g_ns,) = torch.autograd.grad(generator_loss_nonsaturating(fake), fake)
    check_close(g_mm, torch.full((m,), -torch.sigmoid(torch.tensor(-30.0, dtype=torch.float64)).item() / m,
                                 dtype=torch.float64), rtol=1e-6, atol=1e-20,
                name=f"gradient of the minimax loss at logit -30 (m={m})")
    check_close(g_ns, torch.full((m,), -1.0 / m, dtype=torch.float64), rtol=1e-6,
                name=f"gradient of the non-saturating loss at logit -30 (m={m})")
### END HIDDEN TESTS
''', points=1)

# ---------------------------------------------------------------------------------------
cell("md", "task2", r"""
## Task 2 — the Wasserstein critic's loss and weight clipping (3 points)

A Wasserstein GAN replaces the discriminator by a critic $f$ and, by Kantorovich–Rubinstein duality,
$W_1(p, q) = \sup_{\|f\|_L \le 1} \mathbb E_p f - \mathbb E_q f$. Write

- `critic_loss(real_scores, fake_scores)` $= \operatorname{mean} f(G(z)) - \operatorname{mean} f(x)$ (0-d tensor;
  its negative is the critic's estimate of $W_1$);
- `clip_weights_(critic, c)`: clip **every** parameter of the module `critic` (weights and biases) to $[-c, c]$,
  **in place** (the same `nn.Parameter` objects keep their new values, so an optimizer that holds them carries
  on), and return `critic`. The clipping is not part of any loss: it must not be recorded by autograd
  (an in-place change of a leaf tensor that requires grad fails unless it runs under `torch.no_grad()`).
""")

cell("answer", "critic_and_clipping", r'''
def critic_loss(real_scores, fake_scores):
    """mean(fake_scores) - mean(real_scores): a 0-d tensor."""
    ### BEGIN SOLUTION
    return fake_scores.mean() - real_scores.mean()
    ### END SOLUTION


def clip_weights_(critic, c):
    """Clip every parameter of critic to [-c, c] in place; return critic."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-c, c)
    return critic
    ### END SOLUTION
''')

cell("test", "test_critic_and_clipping", r'''
# Visible test (1 point): the critic loss on a small case; clipping keeps every parameter in [-c, c], in place.
got = critic_loss(torch.tensor([1.0, 2.0, 6.0]), torch.tensor([0.5, -0.5]))
check_tensor(got, name="critic_loss")
check_close(got, torch.tensor(0.0 - 3.0), name="critic_loss([1, 2, 6], [0.5, -0.5])",
            hint="mean of the fake scores minus mean of the real scores")
torch.manual_seed(0)
critic = Critic(hidden=8)
with torch.no_grad():
    for p in critic.parameters():
        p.mul_(10)
params = list(critic.parameters())
before = [p.detach().clone() for p in params]
out = clip_weights_(critic, 0.05)
check_true(out is critic, "clip_weights_ should return the critic it was given")
check_true([id(p) for p in critic.parameters()] == [id(p) for p in params],
           "clip_weights_ should change the parameters in place, not replace them",
           hint="an optimizer holds the old Parameter objects: use p.clamp_(...) under torch.no_grad()")
for p, p0 in zip(critic.parameters(), before):
    check_close(p.detach(), p0.clamp(-0.05, 0.05), name="a parameter after clip_weights_(critic, 0.05)",
                hint="every parameter, biases included, clamped to [-c, c]")
print("critic loss and clipping OK")
''', points=1)

cell("test", "test_critic_and_clipping_hidden", r'''
# Hidden test (2 points): random scores of different lengths; clipping a trained-looking critic of another
# shape and bound, leaving leaf parameters that still train.
### BEGIN HIDDEN TESTS
from course_lib import gan as reference
g = torch.Generator().manual_seed(6082)
for b, m in [(1, 5), (33, 2), (100, 100)]:
    real, fake = 3 * torch.randn(b, generator=g), 3 * torch.randn(m, generator=g)
    check_close(critic_loss(real, fake), reference.critic_loss(real, fake), rtol=1e-5, atol=1e-6,
                name=f"critic_loss with b={b}, m={m}")
torch.manual_seed(6082)
critic = Critic(hidden=16, data_dim=3)
expected = copy.deepcopy(critic)
reference.clip_weights_(expected, 0.02)
clip_weights_(critic, 0.02)
for p, q in zip(critic.parameters(), expected.parameters()):
    check_close(p.detach(), q.detach(), name="a parameter after clip_weights_(critic, 0.02)")
    check_true(p.is_leaf and p.requires_grad and p.grad_fn is None,
               "after clipping, parameters should still be leaf tensors that require grad",
               hint="clip under torch.no_grad(), in place")
opt = torch.optim.SGD(critic.parameters(), lr=0.1)
critic(torch.randn(4, 3)).sum().backward()
opt.step()
### END HIDDEN TESTS
''', points=2)

# ---------------------------------------------------------------------------------------
cell("md", "task3", r"""
## Task 3 — the gradient penalty (6 points)

WGAN-GP (Gulrajani et al., 2017) keeps the critic close to 1-Lipschitz by penalising
$\bigl(\|\nabla_x f(\hat x)\| - 1\bigr)^2$ on random points $\hat x$ between data and fakes. Write
`gradient_penalty(critic, real, fake, generator=None)`:

1. for each pair $(x_i, \tilde x_i)$ — row `i` of `real` and of `fake`, both of shape `(b, ...)` — draw one
   $\varepsilon_i \sim U(0, 1)$ with `torch.rand(b, generator=generator)` (reshape it to broadcast), and form
   $\hat x_i = \varepsilon_i x_i + (1 - \varepsilon_i)\tilde x_i$ from **detached** copies of `real` and `fake`;
2. compute the gradient of the scores with respect to $\hat x$ with `torch.autograd.grad`, with
   `create_graph=True`, so that the penalty can itself be differentiated with respect to the critic's weights;
3. return $\frac1b\sum_i \bigl(\|\nabla_x f(\hat x_i)\| - 1\bigr)^2$ (0-d tensor), the norm taken over **all**
   non-batch dimensions (images have shape `(b, 1, 28, 28)`).

The penalty must not leave gradients in the critic's `.grad` (that is why step 2 uses `torch.autograd.grad`,
not `.backward()`): the training step differentiates it together with the critic loss.
""")

cell("answer", "gradient_penalty", r'''
def gradient_penalty(critic, real, fake, generator=None):
    """mean over the batch of (||grad_x critic(x_hat)|| - 1)^2 at random interpolates x_hat: a 0-d tensor."""
    ### BEGIN SOLUTION
    b = real.shape[0]
    eps = torch.rand(b, generator=generator, dtype=real.dtype).reshape((b,) + (1,) * (real.dim() - 1))
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return (grad.reshape(b, -1).norm(dim=1) - 1).square().mean()
    ### END SOLUTION
''')

cell("test", "test_gradient_penalty", r'''
# Visible test (1 point): a linear critic f(x) = w.x + b has gradient w everywhere: the penalty is (|w| - 1)^2.
torch.manual_seed(0)
real, fake = torch.randn(16, 3), torch.randn(16, 3)
critic = linear_critic(3)
for w, expected in [([0.6, 0.0, 0.8], 0.0), ([2.0, 0.0, 0.0], 1.0), ([1.0, 2.0, 2.0], 4.0)]:
    with torch.no_grad():
        critic[0].weight.copy_(torch.tensor([w]))
    got = gradient_penalty(critic, real, fake)
    check_tensor(got, name="gradient_penalty")
    check_shape(got, (), name="gradient_penalty", hint="a mean over the batch")
    check_close(got, torch.tensor(expected), rtol=1e-5, atol=1e-6, name=f"the penalty of the linear critic with w = {w}",
                hint="(norm of the gradient at each interpolate - 1)^2, averaged over the batch")
print("gradient_penalty values OK")
''', points=1)

cell("test", "test_gradient_penalty_differentiable", r'''
# Visible test (1 point): the penalty is differentiable in the critic's weights; for w = (3, 4), |w| = 5,
# d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w| = (4.8, 6.4), and nothing is left in the critic's .grad.
critic = linear_critic(2)
with torch.no_grad():
    critic[0].weight.copy_(torch.tensor([[3.0, 4.0]]))
penalty = gradient_penalty(critic, torch.randn(8, 2), torch.randn(8, 2))
check_true(all(p.grad is None for p in critic.parameters()),
           "gradient_penalty left gradients in the critic's parameters",
           hint="take the gradient with torch.autograd.grad(..., create_graph=True), not .backward()")
check_gradient_flows(penalty, [critic[0].weight], name="the penalty",
                     hint="torch.autograd.grad(..., create_graph=True) keeps the gradient differentiable")
(g_w,) = torch.autograd.grad(penalty, critic[0].weight)
check_close(g_w, torch.tensor([[4.8, 6.4]]), rtol=1e-5, name="d penalty / d w for w = (3, 4)")
print("gradient_penalty gradients OK")
''', points=1)

cell("test", "test_gradient_penalty_interpolates", r'''
# Hidden test (2 points): where the interpolates are, through a critic whose gradient is the point itself,
# f(x) = |x|^2 / 2: with real = fake the interpolate is the point; with real = (1, 1), fake = 0 it is
# eps (1, 1), so the penalty averages (sqrt(2) eps - 1)^2, whose mean over eps ~ U(0, 1) is 5/3 - sqrt(2).
### BEGIN HIDDEN TESTS
class HalfSquare(nn.Module):
    def forward(self, x):
        return 0.5 * x.flatten(1).square().sum(1)

f = HalfSquare()
x = torch.randn(50, 2, generator=torch.Generator().manual_seed(6083), dtype=torch.float64)
check_close(gradient_penalty(f, x, x.clone()), (x.norm(dim=1) - 1).square().mean(), rtol=1e-8,
            name="the penalty of |x|^2/2 when real == fake")
n = 40_000
got = gradient_penalty(f, torch.ones(n, 2, dtype=torch.float64), torch.zeros(n, 2, dtype=torch.float64),
                       torch.Generator().manual_seed(6084))
check_close(got, torch.tensor(5 / 3 - math.sqrt(2), dtype=torch.float64), atol=0.01,
            name="the penalty of |x|^2/2 between real = (1, 1) and fake = 0 over 40,000 pairs",
            hint="one eps ~ U(0, 1) per pair (not per coordinate, not fixed), x_hat = eps x + (1 - eps) x_fake")
### END HIDDEN TESTS
''', points=2)

cell("test", "test_gradient_penalty_images", r'''
# Hidden test (1 point): image-shaped batches (b, 1, 4, 4): the norm runs over all non-batch dimensions.
### BEGIN HIDDEN TESTS
torch.manual_seed(6085)
critic = nn.Sequential(nn.Flatten(1), nn.Linear(16, 1), nn.Flatten(0))
real, fake = torch.randn(10, 1, 4, 4), torch.randn(10, 1, 4, 4)
w = critic[1].weight.detach()
check_close(gradient_penalty(critic, real, fake), (w.norm() - 1).square(), rtol=1e-5,
            name="the penalty of a linear critic on (10, 1, 4, 4) images",
            hint="flatten each sample's gradient before taking its norm: grad.reshape(b, -1).norm(dim=1)")
### END HIDDEN TESTS
''', points=1)

cell("test", "test_gradient_penalty_generator", r'''
# Hidden test (1 point): the generator argument makes the draw reproducible; the inputs are left untouched;
# an MLP critic's penalty is differentiable in every weight and leaves no .grad behind.
### BEGIN HIDDEN TESTS
torch.manual_seed(6086)
critic = Critic(hidden=16)
real, fake = torch.randn(32, 2), torch.randn(32, 2, requires_grad=True)
real0 = real.clone()
a = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(1))
b = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(1))
c = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(2))
check_close(a, b, rtol=1e-6, name="two penalties with the same seeded generator",
            hint="draw eps with torch.rand(b, generator=generator)")
check_true(float(a.detach()) != float(c.detach()), "penalties with differently seeded generators should differ",
           hint="draw eps with torch.rand(b, generator=generator)")
check_true(torch.equal(real, real0) and fake.grad is None, "gradient_penalty changed its inputs or their .grad")
check_true(all(p.grad is None for p in critic.parameters()),
           "gradient_penalty left gradients in the critic's parameters", hint="use torch.autograd.grad")
check_gradient_flows(a, [critic.net[0].weight, critic.net[2].weight], name="the penalty of an MLP critic")
### END HIDDEN TESTS
''', points=1)

# ---------------------------------------------------------------------------------------
cell("md", "task4", r"""
## Task 4 — one WGAN-GP training step (6 points)

Write `wgan_gp_step(generator, critic, opt_g, opt_c, real_batches, noise_batches, generator_noise, gp_weight=10.0, rng=None)`,
Algorithm 1 of Gulrajani et al. for one generator iteration, with the minibatches and noise given:

1. for each `real, z` in `zip(real_batches, noise_batches)` (there are $n_\text{critic}$ of them): make the fakes
   `generator(z)` **without** tracking the generator's gradients, and take one `opt_c` step on
   `critic_loss(critic(real), critic(fake)) + gp_weight * gradient_penalty(critic, real, fake, rng)`, starting from
   cleared gradients;
2. then take one `opt_g` step on the generator's loss $-\operatorname{mean} f(G(z))$ at `z = generator_noise`,
   starting from cleared gradients. This step changes only the generator: the critic is left exactly as step 1 left it.

Return two Python floats: the critic's $W_1$ estimate $\operatorname{mean} f(x) - \operatorname{mean} f(G(z))$ on the
**last** critic batch, before that batch's update, and the generator's loss before its update.
Your functions from tasks 2 and 3 are the building blocks.
""")

cell("answer", "wgan_gp_step", r'''
def wgan_gp_step(generator, critic, opt_g, opt_c, real_batches, noise_batches, generator_noise,
                 gp_weight=10.0, rng=None):
    """len(real_batches) critic updates, then one generator update; returns (w1_estimate, generator_loss) as floats."""
    ### BEGIN SOLUTION
    for real, z in zip(real_batches, noise_batches):
        with torch.no_grad():
            fake = generator(z)
        opt_c.zero_grad()
        loss = critic_loss(critic(real), critic(fake))
        w1_estimate = -float(loss.detach())
        loss = loss + gp_weight * gradient_penalty(critic, real, fake, rng)
        loss.backward()
        opt_c.step()
    opt_g.zero_grad()
    generator_loss = -critic(generator(generator_noise)).mean()
    generator_loss.backward()
    opt_g.step()
    return w1_estimate, float(generator_loss.detach())
    ### END SOLUTION
''')

cell("test", "test_wgan_gp_step", r'''
# Visible test (2 points): linear critic f(x) = w.x + b and linear generator G(z) = A z + c, plain SGD, no penalty,
# stale gradients left in .grad. The critic loss's gradient in w is mean(fake) - mean(real); the generator's
# loss -mean f(G(z)) has gradient -w in c and -w mean(z)^T in A, taken with the critic after its update.
torch.manual_seed(0)
G, f = nn.Linear(3, 2), linear_critic(2)
real, z, z_g = torch.randn(8, 2) + 2.0, torch.randn(8, 3), torch.randn(5, 3)
G0, f0 = copy.deepcopy(G), copy.deepcopy(f)
for p in list(G.parameters()) + list(f.parameters()):
    p.grad = torch.full_like(p, 100.0)                              # stale gradients from an earlier step
lr = 0.1
out = wgan_gp_step(G, f, torch.optim.SGD(G.parameters(), lr=lr), torch.optim.SGD(f.parameters(), lr=lr),
                   [real], [z], z_g, gp_weight=0.0)
check_true(isinstance(out, tuple) and len(out) == 2 and all(type(v) is float for v in out),
           f"wgan_gp_step should return a tuple of two Python floats, got {out!r:.150}", hint="float(t.detach())")
with torch.no_grad():
    fake = G0(z)
    w0, b0 = f0[0].weight, f0[0].bias
    w1 = w0 - lr * (fake.mean(0) - real.mean(0))
    A1, c1 = G0.weight + lr * w1.T @ z_g.mean(0, keepdim=True), G0.bias + lr * w1[0]
    expected_w1 = float(f0(real).mean() - f0(fake).mean())
    expected_g_loss = float(-(G0(z_g) @ w1.T + b0).mean())
check_close(out[0], expected_w1, rtol=1e-5, atol=1e-6,
            name="the returned W1 estimate", hint="mean f(real) - mean f(fake), before the critic's update")
check_close(out[1], expected_g_loss, rtol=1e-5, atol=1e-6,
            name="the returned generator loss", hint="-mean critic(generator(generator_noise)), before the generator's update")
check_close(f[0].weight.detach(), w1, rtol=1e-5, atol=1e-6, name="the critic's weight after the step",
            hint="clear the critic's gradients before its backward; make the fakes without the generator's graph; "
                 "the generator's update must not move the critic")
check_close(f[0].bias.detach(), b0, rtol=1e-5, atol=1e-6, name="the critic's bias after the step (its gradient is 0)")
check_close(G.weight.detach(), A1, rtol=1e-5, atol=1e-6, name="the generator's weight after the step",
            hint="clear the generator's gradients before its backward; use the critic after its update")
check_close(G.bias.detach(), c1, rtol=1e-5, atol=1e-6, name="the generator's bias after the step")
print("wgan_gp_step OK")
''', points=2)

cell("test", "test_wgan_gp_step_adam", r'''
# Hidden test (2 points): MLP generator and critic, Adam, three critic batches, no penalty: every parameter
# after the step, against a step written out with course_lib.gan's losses.
### BEGIN HIDDEN TESTS
from course_lib import gan as reference
torch.manual_seed(6087)
G = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
f = Critic(hidden=16)
G_ref, f_ref = copy.deepcopy(G), copy.deepcopy(f)
real_batches = [torch.randn(32, 2) * 0.5 + 1.0 for _ in range(3)]
noise_batches = [torch.randn(32, 2) for _ in range(3)]
z_g = torch.randn(32, 2)
betas = (0.5, 0.9)
opts = torch.optim.Adam(G.parameters(), 1e-2, betas=betas), torch.optim.Adam(f.parameters(), 1e-2, betas=betas)
for _ in range(2):
    out = wgan_gp_step(G, f, *opts, real_batches, noise_batches, z_g, gp_weight=0.0)
opt_g, opt_c = torch.optim.Adam(G_ref.parameters(), 1e-2, betas=betas), torch.optim.Adam(f_ref.parameters(), 1e-2, betas=betas)
for _ in range(2):
    for real, z in zip(real_batches, noise_batches):
        with torch.no_grad():
            fake = G_ref(z)
        opt_c.zero_grad()
        loss = reference.critic_loss(f_ref(real), f_ref(fake))
        w1 = -float(loss.detach())
        loss.backward()
        opt_c.step()
    opt_g.zero_grad()
    g_loss = reference.generator_loss_wasserstein(f_ref(G_ref(z_g)))
    g_loss.backward()
    opt_g.step()
check_close(torch.tensor(out), torch.tensor([w1, float(g_loss.detach())]), rtol=1e-4, atol=1e-5,
            name="(W1 estimate, generator loss) of the second step")
for what, net, ref in [("critic", f, f_ref), ("generator", G, G_ref)]:
    for (name, p), q in zip(net.named_parameters(), ref.parameters()):
        check_close(p.detach(), q.detach(), rtol=1e-4, atol=1e-5, name=f"the {what}'s {name} after two steps",
                    hint="each critic update starts from cleared gradients; the generator update moves only the generator")
### END HIDDEN TESTS
''', points=2)

cell("test", "test_wgan_gp_step_penalty", r'''
# Hidden test (2 points): the penalty enters the critic's update. A linear critic's penalty (|w| - 1)^2 does not
# depend on the interpolates, so SGD steps can be written out: w <- w - lr (mean fake - mean real
# + 2 gp_weight (|w| - 1) w / |w|), two critic batches, stale gradients left in .grad.
### BEGIN HIDDEN TESTS
torch.manual_seed(6088)
G, f = nn.Linear(2, 2), linear_critic(2)
with torch.no_grad():
    f[0].weight.copy_(torch.tensor([[1.5, -2.0]]))
G0 = copy.deepcopy(G)
w = f[0].weight.detach().clone()
for p in list(G.parameters()) + list(f.parameters()):
    p.grad = torch.full_like(p, -7.0)
real_batches = [torch.randn(16, 2) + 1.0, torch.randn(16, 2) - 1.0]
noise_batches = [torch.randn(16, 2), torch.randn(16, 2)]
lr, lam = 0.05, 3.0
out = wgan_gp_step(G, f, torch.optim.SGD(G.parameters(), lr=lr), torch.optim.SGD(f.parameters(), lr=lr),
                   real_batches, noise_batches, torch.randn(4, 2), gp_weight=lam, rng=torch.Generator().manual_seed(0))
with torch.no_grad():
    for real, z in zip(real_batches, noise_batches):
        fake = G0(z)
        estimate = float((real.mean(0) - fake.mean(0)) @ w[0])
        w = w - lr * ((fake.mean(0) - real.mean(0)) + 2 * lam * (w.norm() - 1) * w / w.norm())
check_close(f[0].weight.detach(), w, rtol=1e-5, atol=1e-6, name="the linear critic's weight after two penalised updates",
            hint="critic loss + gp_weight * gradient_penalty, one optimizer step per batch")
check_close(out[0], estimate, rtol=1e-5, atol=1e-6, name="the returned W1 estimate (last batch, before its update)",
            hint="the estimate is mean f(real) - mean f(fake), without the penalty")
### END HIDDEN TESTS
''', points=2)

# ---------------------------------------------------------------------------------------
cell("md", "task5", r"""
## Task 5 — measuring mode collapse (4 points)

On a mixture of $K$ Gaussians with known centres and a common standard deviation $\sigma$, the VEEGAN and PacGAN
papers measure a generator by its samples:

- assign each sample to its **nearest centre** (Euclidean distance);
- a sample is **high quality** if its distance to that centre is **at most** $n_\text{std}\,\sigma$ (the boundary
  counts as inside);
- a mode is **recovered** if it is the nearest centre of at least one high-quality sample;
- the **reverse KL** compares the histogram $h$ of nearest centres over the high-quality samples with the
  uniform weights of the data: $\mathrm{KL}(h\,\|\,u) = \sum_k h_k \log(K h_k)$, with $0 \log 0 = 0$.

Write `mode_coverage(samples, centres, std, n_std=3.0)` for `samples (n, d)` and `centres (K, d)`, returning the
tuple `(n_modes, high_quality_fraction, reverse_kl)`: an `int` and two Python `float`s. If no sample is high
quality, return `(0, 0.0, float("nan"))`: the histogram is undefined.
""")

cell("answer", "mode_coverage", r'''
def mode_coverage(samples, centres, std, n_std=3.0):
    """(modes recovered: int, fraction of high-quality samples: float, KL(histogram || uniform): float)."""
    ### BEGIN SOLUTION
    sq_dist = (samples[:, None, :] - centres[None, :, :]).square().sum(-1)     # (n, K)
    best, nearest = sq_dist.min(dim=1)
    good = best <= (n_std * std) ** 2
    n_good = int(good.sum())
    if n_good == 0:
        return 0, 0.0, float("nan")
    counts = torch.bincount(nearest[good], minlength=centres.shape[0]).to(torch.float64)
    h = counts / n_good
    reverse_kl = float(torch.special.xlogy(h, h * centres.shape[0]).sum())
    return int((counts > 0).sum()), n_good / samples.shape[0], reverse_kl
    ### END SOLUTION
''')

cell("test", "test_mode_coverage", r'''
# Visible test (1 point): 8 centres on a circle, 10 samples close to each: all modes, all high quality, KL 0.
angles = torch.arange(8) * (2 * math.pi / 8)
centres = 2 * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
samples = centres.repeat(10, 1) + 0.01 * torch.randn(80, 2, generator=torch.Generator().manual_seed(0))
out = mode_coverage(samples, centres, std=0.02)
check_true(isinstance(out, tuple) and len(out) == 3, f"mode_coverage should return a tuple of three, got {out!r:.120}")
n_modes, fraction, kl = out
check_true(type(n_modes) is int and type(fraction) is float and type(kl) is float,
           f"mode_coverage should return (int, float, float), got types {[type(v).__name__ for v in out]}",
           hint="int(...) and float(...) of the tensors")
check_true(n_modes == 8, f"all 8 modes have samples within 3 std of their centre, but n_modes = {n_modes}")
check_close(fraction, 1.0, name="high_quality_fraction when every sample is within 0.03 of its centre")
check_close(kl, 0.0, atol=1e-9, name="reverse_kl of a uniform histogram")
print("mode_coverage OK")
''', points=1)

cell("test", "test_mode_coverage_edge_cases", r'''
# Hidden test (2 points): one mode only (KL = log K); junk far from every centre; samples exactly on the
# n_std * std boundary (inside) and just beyond it (outside); another n_std.
### BEGIN HIDDEN TESTS
centres = torch.tensor([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0]], dtype=torch.float64)
one = torch.tensor([[0.1, 0.0], [0.0, -0.2], [0.05, 0.05]], dtype=torch.float64)
n_modes, fraction, kl = mode_coverage(one, centres, std=0.1)
check_true(n_modes == 1, f"three samples near one centre recover 1 mode, got {n_modes}")
check_close(fraction, 1.0, name="high_quality_fraction of samples all within 3 std")
check_close(kl, math.log(4), rtol=1e-9, name="reverse_kl when every sample is in one of 4 modes",
            hint="sum_k h_k log(K h_k) with 0 log 0 = 0")
junk = torch.tensor([[2.0, 2.0], [10.0, -3.0]], dtype=torch.float64)
out = mode_coverage(junk, centres, std=0.1)
check_true(out[0] == 0 and out[1] == 0.0 and math.isnan(out[2]),
           f"samples far from every centre should give (0, 0.0, nan), got {out}")
edge = torch.tensor([[1.5, 0.0], [4.0, 1.5], [1.5 + 1e-6, 4.0], [2.0, 2.0]], dtype=torch.float64)
n_modes, fraction, kl = mode_coverage(edge, centres, std=0.5)
check_true(n_modes == 2, f"the boundary (distance exactly 3 std) counts as inside: expected 2 modes, got {n_modes}",
           hint="distance <= n_std * std")
check_close(fraction, 0.5, name="high_quality_fraction with two samples on the boundary and two outside")
check_close(kl, 0.5 * math.log(2) * 2, rtol=1e-9, name="reverse_kl of a histogram split over 2 of 4 modes")
n_modes, fraction, _ = mode_coverage(edge, centres, std=0.5, n_std=4.0)
check_true(n_modes == 3 and fraction == 0.75, f"with n_std = 4: expected 3 modes and 0.75, got {n_modes}, {fraction}")
### END HIDDEN TESTS
''', points=2)

cell("test", "test_mode_coverage_random", r'''
# Hidden test (1 point): a blurred ring of 8 modes, 2,500 samples, float32, against course_lib.gan_metrics.
### BEGIN HIDDEN TESTS
from course_lib.gan_metrics import mode_coverage as reference_coverage, ring_protocol
centres, std = ring_protocol(radius=2.0, std=0.02)
samples = ring_of_gaussians(2500, radius=2.0, std=0.05, seed=6089)
samples = samples[(samples[:, 0] > -1.5) | (samples[:, 1] > 0)]          # drop some modes
expected = reference_coverage(samples, centres, std)
n_modes, fraction, kl = mode_coverage(samples, centres, std)
check_true(n_modes == expected.n_modes, f"n_modes: expected {expected.n_modes}, got {n_modes}")
# (one or two samples may sit within float32 rounding of the 3-std boundary: a tolerance of two samples)
check_close(fraction, expected.high_quality_fraction, atol=2.5 / len(samples), name="high_quality_fraction on a blurred ring")
check_close(kl, expected.reverse_kl, rtol=1e-3, atol=1e-3, name="reverse_kl on a blurred ring")
### END HIDDEN TESTS
''', points=1)

# ---------------------------------------------------------------------------------------
cell("md", "task6", r"""
## Task 6 — experiment: what does a critic estimate? (3 points)

For $p = \mathcal N(0, I_2)$ and $q = \mathcal N\bigl((\Delta, 0), I_2\bigr)$ — the same Gaussian shifted by $\Delta$ —
the exact Wasserstein-1 distance is $W_1(p, q) = \Delta$. Train a critic to estimate it, in two ways, for
$\Delta \in \{2, 4\}$ and `method` in `("gp", "clip")`:

1. `torch.manual_seed(0)`, `critic = Critic()` (from the set-up cell), `rng = torch.Generator().manual_seed(1)`;
2. the optimiser: for `"gp"`, `torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))`; for `"clip"`,
   `torch.optim.RMSprop(critic.parameters(), lr=5e-4)`;
3. 300 steps; in each, draw `real = torch.randn(256, 2, generator=rng)` and then
   `fake = torch.randn(256, 2, generator=rng) + shift` with `shift = torch.tensor([delta, 0.0])`, and take one step on
   `critic_loss(critic(real), critic(fake))`, plus `10 * gradient_penalty(critic, real, fake, rng)` for `"gp"`; for
   `"clip"`, call `clip_weights_(critic, 0.01)` after each step;
4. under `torch.no_grad()`, draw 20,000 fresh `real` and then 20,000 fresh `fake` points the same way and store the
   estimate $\operatorname{mean} f(x) - \operatorname{mean} f(\tilde x)$ as a Python float in `w1_gp[delta]` or
   `w1_clip[delta]`; keep the critic in `experiment_critics[(method, delta)]`.

The four runs take a few seconds together. The tests check the numbers within bands calibrated on reference
runs, and a hidden test re-evaluates your `experiment_critics`. Task 7 asks you to explain the numbers.
""")

cell("answer", "w1_experiment", r'''
w1_gp = {2: None, 4: None}
w1_clip = {2: None, 4: None}
experiment_critics = {}
### BEGIN SOLUTION
for delta in (2, 4):
    for method in ("gp", "clip"):
        torch.manual_seed(0)
        critic6 = Critic()
        rng6 = torch.Generator().manual_seed(1)
        if method == "gp":
            opt6 = torch.optim.Adam(critic6.parameters(), lr=1e-3, betas=(0.5, 0.9))
        else:
            opt6 = torch.optim.RMSprop(critic6.parameters(), lr=5e-4)
        shift = torch.tensor([delta, 0.0])
        for _ in range(300):
            real6 = torch.randn(256, 2, generator=rng6)
            fake6 = torch.randn(256, 2, generator=rng6) + shift
            loss6 = critic_loss(critic6(real6), critic6(fake6))
            if method == "gp":
                loss6 = loss6 + 10 * gradient_penalty(critic6, real6, fake6, rng6)
            opt6.zero_grad()
            loss6.backward()
            opt6.step()
            if method == "clip":
                clip_weights_(critic6, 0.01)
        with torch.no_grad():
            real6 = torch.randn(20_000, 2, generator=rng6)
            fake6 = torch.randn(20_000, 2, generator=rng6) + shift
            estimate = float(critic6(real6).mean() - critic6(fake6).mean())
        (w1_gp if method == "gp" else w1_clip)[delta] = estimate
        experiment_critics[(method, delta)] = critic6
### END SOLUTION
print("W1 estimates, gradient penalty:", {d: round(v, 4) for d, v in w1_gp.items() if v is not None})
print("W1 estimates, weight clipping: ", {d: round(v, 5) for d, v in w1_clip.items() if v is not None})
''')

cell("test", "test_w1_experiment", r'''
# Visible test (1 point): keys, types, signs and order.
if any(v is None for table in (w1_gp, w1_clip) if isinstance(table, dict) for v in table.values()):
    raise NotImplementedError("task 6 is not done yet: w1_gp and w1_clip still hold None")
for name, table in [("w1_gp", w1_gp), ("w1_clip", w1_clip)]:
    check_true(isinstance(table, dict) and set(table) == {2, 4},
               f"{name} should be a dict with exactly the keys 2 and 4, got {table!r:.120}")
    for delta in (2, 4):
        check_true(type(table[delta]) is float and math.isfinite(table[delta]),
                   f"{name}[{delta}] should be a finite Python float, got {table[delta]!r:.60}", hint="use float(tensor)")
        check_true(table[delta] > 0, f"{name}[{delta}] = {table[delta]:.4g} should be positive",
                   hint="the estimate is mean f(real) - mean f(fake), the negative of the critic loss")
check_true(isinstance(experiment_critics, dict) and set(experiment_critics) == {(m, d) for m in ("gp", "clip") for d in (2, 4)},
           "experiment_critics should map ('gp', 2), ('gp', 4), ('clip', 2), ('clip', 4) to the trained critics")
check_true(w1_gp[4] > w1_gp[2] and w1_clip[4] > w1_clip[2],
           f"a larger shift should give a larger estimate: w1_gp = {w1_gp}, w1_clip = {w1_clip}")
print("experiment: format and order OK")
''', points=1)

cell("test", "test_w1_experiment_bands", r'''
# Hidden test (1 point): the sizes, within bands around reference runs (reference, seeds 0-9: the penalised
# critic gives 2.15-2.26 for delta = 2 and 4.77-4.87 for delta = 4; the clipped one 0.002-0.0035 and 0.0035-0.0065).
### BEGIN HIDDEN TESTS
for delta, (lo, hi) in {2: (1.95, 2.5), 4: (4.4, 5.2)}.items():
    check_true(lo <= w1_gp[delta] <= hi,
               f"w1_gp[{delta}] = {w1_gp[delta]:.4g} is outside the band [{lo}, {hi}] of the reference runs",
               hint="check the settings of task 6 and your gradient_penalty (task 3)")
for delta in (2, 4):
    check_true(0 < w1_clip[delta] < 0.02,
               f"w1_clip[{delta}] = {w1_clip[delta]:.4g} is outside the band (0, 0.02) of the reference runs",
               hint="check the settings of task 6 and clip_weights_ (task 2): clip after every step, c = 0.01")
### END HIDDEN TESTS
''', points=1)

cell("test", "test_w1_experiment_critics", r'''
# Hidden test (1 point): the reported numbers belong to the trained critics, re-evaluated on fresh samples.
### BEGIN HIDDEN TESTS
check_true(set(experiment_critics) == {(m, d) for m in ("gp", "clip") for d in (2, 4)},
           "experiment_critics should map ('gp', 2), ('gp', 4), ('clip', 2), ('clip', 4) to the trained critics")
g = torch.Generator().manual_seed(6090)
for (method, delta), critic in experiment_critics.items():
    real = torch.randn(50_000, 2, generator=g)
    fake = torch.randn(50_000, 2, generator=g) + torch.tensor([float(delta), 0.0])
    with torch.no_grad():
        estimate = float(critic(real).mean() - critic(fake).mean())
    reported = (w1_gp if method == "gp" else w1_clip)[delta]
    check_close(reported, estimate, rtol=0.05, atol=1e-4, name=f"the reported {method} estimate for delta = {delta}, "
                "against its critic on 50,000 fresh pairs")
    if method == "clip":
        check_true(all(float(p.detach().abs().max()) <= 0.01 + 1e-7 for p in critic.parameters()),
                   f"the clipped critic for delta = {delta} has weights outside [-0.01, 0.01]")
### END HIDDEN TESTS
''', points=1)

# ---------------------------------------------------------------------------------------
cell("md", "task7", r"""
## Task 7 — written interpretation (3 points, graded by hand)

In a few sentences, using your numbers from task 6 (the exact values are $W_1 = 2$ and $W_1 = 4$):

1. The penalised critic's estimates are **above** the exact $W_1$, and by more for $\Delta = 4$. Explain why, by
   maximising the penalised objective over critics of the form $f(x) = -s\,x_1$ (slope $s$ along the
   shift, pointing from the fakes back to the data).
   What does this predict for $\Delta = 2$ and $4$ with $\lambda = 10$, and what would a larger $\lambda$ change?
2. The clipped critic's estimates are hundreds of times smaller than $W_1$. Why? Why can a WGAN nevertheless
   train its generator with such a critic, and what does clipping cost?

Write your answer in the cell below.
""")

cell("written", "written_w1_estimates", r"""
### BEGIN SOLUTION
**Model answer.** (1) For $f(x) = -s\,x_1$ the gradient is $-s e_1$ everywhere, so the penalty is $\lambda(|s| - 1)^2$
at every interpolate, and $\mathbb E_p f - \mathbb E_q f = s\Delta$. The critic maximises $s\Delta - \lambda(s - 1)^2$:
the derivative $\Delta - 2\lambda(s - 1)$ vanishes at $s^* = 1 + \Delta/(2\lambda)$, and the estimate is
$s^*\Delta = \Delta + \Delta^2/(2\lambda)$. The penalty is soft, so the critic trades a little penalty for a steeper
slope. With $\lambda = 10$ this predicts 2.2 and 4.8, which is what task 6 gives (about 2.21 and 4.84). The bias grows
like $\Delta^2$; a larger $\lambda$ shrinks it (it vanishes as $\lambda \to \infty$, the hard constraint), at the price
of a stiffer optimisation problem.

(2) Every weight is in $[-0.01, 0.01]$, so a layer's Lipschitz constant is at most its Frobenius norm,
$0.01\sqrt{\text{in}\cdot\text{out}}$: 0.11, 0.64 and 0.08 for the three layers of `Critic`, and ReLU is 1-Lipschitz,
so the network is $K$-Lipschitz with $K \le 0.006$ — far below 1. Its estimate is about $K\,W_1$, not $W_1$ (the
measured ratio is 1.3 to $1.6\cdot10^{-3}$). The
generator only needs the *direction* in which to move its samples, and $K\,W_1$ has the same minimiser and
proportional gradients, so training still works (the WGAN paper's argument: "up to a multiplicative
constant"). The cost: $K$ is unknown and changes during training, so the number is not a distance; the
constraint is a box, not a Lipschitz bound, so the critic's capacity is wasted (weights pile up at $\pm c$, the
critic becomes nearly linear); and $c$ trades vanishing gradients (small $c$) against exploding ones (large $c$).

**Rubric (3 points).**
- 1 point: the one-slope analysis: objective $s\Delta - \lambda(s-1)^2$, $s^* = 1 + \Delta/(2\lambda)$, estimate
  $\Delta + \Delta^2/(2\lambda)$, so 2.2 and 4.8, matching the numbers; larger $\lambda$ reduces the overestimate.
  Half credit for "the penalty is soft, the critic's slope exceeds 1" without the computation.
- 1 point: clipping bounds every weight, so the critic is $K$-Lipschitz with a small $K$ and estimates about
  $K W_1$ (the ratio of the two clipped estimates roughly follows $\Delta$).
- 1 point: why it still trains (same minimiser / gradient direction up to a constant) **and** one cost of
  clipping (unknown scale, capacity loss or weights at $\pm c$, vanishing or exploding gradients depending on $c$).
### END SOLUTION
""", points=3)

cell("md", "outro", r"""
## Before you submit

Run *Kernel → Restart & Run All*; every visible test should print its `OK` line. Lecture 09
(`lectures/09_wasserstein_gans.ipynb`) trains full WGANs with the same pieces (`course_lib.gan.train_gan`) on
the ring, the grid and the Swiss roll, and compares their mode coverage with your metric's definition.
""")


# ---------------------------------------------------------------------------------------
def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata.update({
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    for kind, grade_id, points, source in CELLS:
        meta = dict(grade=False, grade_id=grade_id, locked=True, schema_version=3, solution=False, task=False)
        if kind in ("md", "written"):
            c = nbformat.v4.new_markdown_cell(source)
        else:
            c = nbformat.v4.new_code_cell(source)
        if kind == "answer":
            meta.update(locked=False, solution=True)
        elif kind == "test":
            meta.update(grade=True, points=points)
        elif kind == "written":
            meta.update(grade=True, solution=True, locked=False, points=points)
        c.metadata["nbgrader"] = meta
        c.id = grade_id.replace("_", "-")  # stable ids: rebuilding changes only what was edited
        nb.cells.append(c)
    return nb


def main() -> None:
    nb = build()
    total = sum(p for kind, _, p, _ in CELLS if p)
    assert total == 30, total
    OUT.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, OUT)
    print(f"wrote {OUT} ({len(nb.cells)} cells, {total} points)")


if __name__ == "__main__":
    main()
