"""Submissions for a06_gans built from the reference solution by replacing answer cells.

(assignment, student) -> ([(answer cell grade_id, new source), ...], test cells that must lose their points),
in the format of ``SUBMISSIONS`` in tests/test_pipeline.py. "different" writes every answer correctly but
differently from the reference (PyTorch's binary cross-entropy with logits and logsigmoid, ``p.data.clamp_``,
``grad_outputs`` instead of ``.sum()``, a norm from a square root, an index loop and ``.detach()`` in the training
step, ``torch.cdist`` and a loop over the centres, the KL as log K minus the entropy, a helper named ``check_...``,
printed warnings, the experiment in a function): full marks. "wrong" makes four independent mistakes; each
loses its own tests and the tests of the later tasks that build on it:

* the GAN losses as ``torch.log(torch.sigmoid(l))``: the extreme-logit test (-inf at logit -100) and the
  hidden random comparison (float32 rounds sigmoid(l) to 1 for logits above about 17, and log(1 - 1) = -inf);
* the gradient penalty's gradient taken without ``create_graph=True``: the penalty no longer reaches the
  critic's weights, so both gradient tests fail, the penalised training step (hidden) differs, and in the
  experiment the penalised critic is unconstrained: its estimates leave the band (the re-evaluation still
  matches its own numbers);
* the training step clears the critic's gradients once, before its loop, and never the generator's: the
  visible step with stale gradients and both hidden step tests;
* the mode metric with a strict ``<`` at the 3-std boundary: the boundary test.

The written answer (``written_w1_estimates``) is graded by hand and is not replaced here.
"""
from __future__ import annotations

A = "a06_gans"

A06_SUBMISSIONS = {
    (A, "different"): ([
        ("gan_losses",
         "import warnings\n"
         "\n"
         "def discriminator_loss(real_logits, fake_logits):\n"
         "    real_part = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))\n"
         "    fake_part = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))\n"
         "    return real_part + fake_part\n"
         "\n"
         "\n"
         "def generator_loss_minimax(fake_logits):\n"
         "    return torch.mean(F.logsigmoid(-fake_logits))\n"
         "\n"
         "\n"
         "def generator_loss_nonsaturating(fake_logits):\n"
         "    warnings.warn('non-saturating loss in use')\n"
         "    return -torch.mean(F.logsigmoid(fake_logits))\n"),
        ("critic_and_clipping",
         "def critic_loss(real_scores, fake_scores):\n"
         "    w1_estimate = real_scores.mean() - fake_scores.mean()\n"
         "    return -w1_estimate\n"
         "\n"
         "\n"
         "def clip_weights_(critic, c):\n"
         "    for name, p in critic.named_parameters():\n"
         "        p.data.clamp_(min=-c, max=c)\n"
         "    return critic\n"),
        ("gradient_penalty",
         "def check_interpolates(x_hat, real):\n"
         "    assert x_hat.shape == real.shape\n"
         "\n"
         "\n"
         "def gradient_penalty(critic, real, fake, generator=None):\n"
         "    n = len(real)\n"
         "    eps = torch.rand(n, generator=generator).to(real.dtype).view(-1, *([1] * (real.dim() - 1)))\n"
         "    x_hat = real.detach() * eps + fake.detach() * (1 - eps)\n"
         "    x_hat.requires_grad_()\n"
         "    check_interpolates(x_hat, real)\n"
         "    scores = critic(x_hat)\n"
         "    grad = torch.autograd.grad(outputs=scores, inputs=x_hat, grad_outputs=torch.ones_like(scores),\n"
         "                               create_graph=True, retain_graph=True)[0]\n"
         "    norms = grad.flatten(start_dim=1).pow(2).sum(dim=1).sqrt()\n"
         "    return ((norms - 1) ** 2).mean()\n"),
        ("wgan_gp_step",
         "def wgan_gp_step(generator, critic, opt_g, opt_c, real_batches, noise_batches, generator_noise,\n"
         "                 gp_weight=10.0, rng=None):\n"
         "    for i in range(len(real_batches)):\n"
         "        real = real_batches[i]\n"
         "        fake = generator(noise_batches[i]).detach()\n"
         "        real_scores, fake_scores = critic(real), critic(fake)\n"
         "        with torch.no_grad():\n"
         "            estimate = (real_scores.mean() - fake_scores.mean()).item()\n"
         "        total = critic_loss(real_scores, fake_scores) + gp_weight * gradient_penalty(critic, real, fake, rng)\n"
         "        opt_c.zero_grad(set_to_none=False)\n"
         "        total.backward()\n"
         "        opt_c.step()\n"
         "    for p in generator.parameters():\n"
         "        p.grad = None\n"
         "    g_loss = critic(generator(generator_noise)).mul(-1).mean()\n"
         "    g_loss.backward()\n"
         "    opt_g.step()\n"
         "    return estimate, g_loss.item()\n"),
        ("mode_coverage",
         "import numpy as np\n"
         "\n"
         "def mode_coverage(samples, centres, std, n_std=3.0):\n"
         "    dist = torch.cdist(samples.double(), centres.double())\n"
         "    nearest_dist, nearest = dist.min(dim=1)\n"
         "    keep = nearest_dist <= n_std * std\n"
         "    if not keep.any():\n"
         "        return 0, 0.0, float('nan')\n"
         "    counts = np.array([int((nearest[keep] == k).sum()) for k in range(len(centres))])\n"
         "    h = counts / counts.sum()\n"
         "    entropy = -sum(float(v * np.log(v)) for v in h if v > 0)\n"
         "    return int(np.count_nonzero(counts)), float(keep.double().mean()), float(np.log(len(centres)) - entropy)\n"),
        ("w1_experiment",
         "def train_critic(delta, method, steps=300):\n"
         "    torch.manual_seed(0)\n"
         "    critic = Critic()\n"
         "    rng = torch.Generator().manual_seed(1)\n"
         "    if method == 'gp':\n"
         "        opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))\n"
         "    else:\n"
         "        opt = torch.optim.RMSprop(critic.parameters(), lr=5e-4)\n"
         "    shift = torch.tensor([float(delta), 0.0])\n"
         "    step = 0\n"
         "    while step < steps:\n"
         "        x = torch.randn(256, 2, generator=rng)\n"
         "        y = torch.randn(256, 2, generator=rng) + shift\n"
         "        loss = critic_loss(critic(x), critic(y))\n"
         "        if method == 'gp':\n"
         "            loss = loss + 10 * gradient_penalty(critic, x, y, rng)\n"
         "        opt.zero_grad()\n"
         "        loss.backward()\n"
         "        opt.step()\n"
         "        if method == 'clip':\n"
         "            clip_weights_(critic, 0.01)\n"
         "        step += 1\n"
         "    with torch.no_grad():\n"
         "        x = torch.randn(20000, 2, generator=rng)\n"
         "        y = torch.randn(20000, 2, generator=rng) + shift\n"
         "        return critic, (critic(x) - critic(y)).mean().item()\n"
         "\n"
         "\n"
         "experiment_critics, w1_gp, w1_clip = {}, {}, {}\n"
         "for method, table in [('gp', w1_gp), ('clip', w1_clip)]:\n"
         "    for delta in [2, 4]:\n"
         "        experiment_critics[method, delta], table[delta] = train_critic(delta, method)\n"),
    ], set()),
    (A, "wrong"): ([
        ("gan_losses",
         "def discriminator_loss(real_logits, fake_logits):\n"
         "    return -(torch.log(torch.sigmoid(real_logits)).mean() + torch.log(1 - torch.sigmoid(fake_logits)).mean())\n"
         "\n"
         "\n"
         "def generator_loss_minimax(fake_logits):\n"
         "    return torch.log(1 - torch.sigmoid(fake_logits)).mean()\n"
         "\n"
         "\n"
         "def generator_loss_nonsaturating(fake_logits):\n"
         "    return -torch.log(torch.sigmoid(fake_logits)).mean()\n"),
        ("gradient_penalty",
         "def gradient_penalty(critic, real, fake, generator=None):\n"
         "    b = real.shape[0]\n"
         "    eps = torch.rand(b, generator=generator, dtype=real.dtype).reshape((b,) + (1,) * (real.dim() - 1))\n"
         "    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)\n"
         "    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)\n"
         "    return (grad.reshape(b, -1).norm(dim=1) - 1).square().mean()\n"),
        ("wgan_gp_step",
         "def wgan_gp_step(generator, critic, opt_g, opt_c, real_batches, noise_batches, generator_noise,\n"
         "                 gp_weight=10.0, rng=None):\n"
         "    opt_c.zero_grad()\n"
         "    for real, z in zip(real_batches, noise_batches):\n"
         "        with torch.no_grad():\n"
         "            fake = generator(z)\n"
         "        loss = critic_loss(critic(real), critic(fake))\n"
         "        w1_estimate = -float(loss.detach())\n"
         "        (loss + gp_weight * gradient_penalty(critic, real, fake, rng)).backward()\n"
         "        opt_c.step()\n"
         "    generator_loss = -critic(generator(generator_noise)).mean()\n"
         "    generator_loss.backward()\n"
         "    opt_g.step()\n"
         "    return w1_estimate, float(generator_loss.detach())\n"),
        ("mode_coverage",
         "def mode_coverage(samples, centres, std, n_std=3.0):\n"
         "    sq_dist = (samples[:, None, :] - centres[None, :, :]).square().sum(-1)\n"
         "    best, nearest = sq_dist.min(dim=1)\n"
         "    good = best < (n_std * std) ** 2\n"
         "    n_good = int(good.sum())\n"
         "    if n_good == 0:\n"
         "        return 0, 0.0, float('nan')\n"
         "    counts = torch.bincount(nearest[good], minlength=centres.shape[0]).to(torch.float64)\n"
         "    h = counts / n_good\n"
         "    return int((counts > 0).sum()), n_good / samples.shape[0], float(torch.special.xlogy(h, h * len(centres)).sum())\n"),
    ], {"test_gan_losses_extreme", "test_gan_losses_hidden",
        "test_gradient_penalty_differentiable", "test_gradient_penalty_generator",
        "test_wgan_gp_step", "test_wgan_gp_step_adam", "test_wgan_gp_step_penalty",
        "test_mode_coverage_edge_cases",
        "test_w1_experiment_bands"}),
}
