"""Submissions for a05_vae built from the reference solution by replacing answer cells.

(assignment, student) -> ([(answer cell grade_id, new source), ...], test cells that must lose their points),
in the format of ``SUBMISSIONS`` in tests/test_pipeline.py. "different" writes every answer correctly but
differently from the reference (two linear heads in the encoder, nn.Sequential, the binary cross-entropy as
softplus(l) - x l, a loop over the samples in sample, zero_grad(set_to_none=False), a while loop over minibatches, a
helper named check_..., a printed warning, the sigmoid written out): full marks. "wrong" makes four
independent mistakes; each loses its own tests and the tests of the later tasks that build on it:

* an encoder with a second hidden layer: the visible parameter count and the hidden architecture test
  (the deeper model still trains to the target and lands in the experiment's bands);
* the KL without its factor 1/2: every negative_elbo test (values, gradients, the confident-decoder case),
  both train_step tests (the expected step uses the right loss), and the experiment's hidden tests (the
  model is trained with an effective beta of 1 and 8, and the reported rate is twice the model's KL);
  the training target is still met (an effective beta of 2 costs little at beta = 1);
* train_step without optimizer.zero_grad(): the visible step with stale gradients, the hidden Adam steps
  against the reference, the training target (30.1 nats) and the experiment's band (the gradients pile up);
* sample returning the logits instead of the probabilities: both sample tests.

Alone, the KL mistake keeps the visible experiment test; together with the missing zero_grad the beta = 0.5
run diverges (distortion in the hundreds of nats), so the combined submission also loses
``test_rate_distortion_experiment``. ``test_train`` and ``test_train_seed`` keep their points.

The written answer (``written_rate_distortion``) is graded by hand and is not replaced here.
"""
from __future__ import annotations

A = "a05_vae"

A05_SUBMISSIONS = {
    (A, "different"): ([
        ("encoder_decoder",
         "class Encoder(nn.Module):\n"
         "    def __init__(self, in_dim, hidden, latent_dim):\n"
         "        super().__init__()\n"
         "        self.body = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU())\n"
         "        self.mean_head = nn.Linear(hidden, latent_dim)\n"
         "        self.log_var_head = nn.Linear(hidden, latent_dim)\n"
         "\n"
         "    def forward(self, x):\n"
         "        h = self.body(x)\n"
         "        return (self.mean_head(h), self.log_var_head(h))\n"
         "\n"
         "\n"
         "class Decoder(nn.Module):\n"
         "    def __init__(self, latent_dim, hidden, out_dim):\n"
         "        super().__init__()\n"
         "        self.net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, out_dim))\n"
         "\n"
         "    def forward(self, z):\n"
         "        return self.net(z)\n"),
        ("negative_elbo",
         "def negative_elbo(x, encoder, decoder, beta=1.0, generator=None):\n"
         "    mean, log_var = encoder(x)\n"
         "    eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)\n"
         "    std = torch.sqrt(torch.exp(log_var))\n"
         "    logits = decoder(std * eps + mean)\n"
         "    per_image = (F.softplus(logits) - x * logits).sum(dim=1)\n"
         "    kl = 0.5 * (log_var.exp() + mean.pow(2) - log_var - 1).sum(1)\n"
         "    reconstruction = per_image.sum() / x.shape[0]\n"
         "    kl = kl.sum() / x.shape[0]\n"
         "    return (reconstruction + kl * beta, reconstruction, kl)\n"),
        ("train",
         "import warnings\n"
         "\n"
         "def check_batches(n, batch_size):\n"
         "    if n % batch_size:\n"
         "        warnings.warn(f'the last minibatch has only {n % batch_size} images')\n"
         "\n"
         "def train_step(encoder, decoder, optimizer, x, beta=1.0):\n"
         "    optimizer.zero_grad(set_to_none=False)\n"
         "    terms = negative_elbo(x, encoder, decoder, beta)\n"
         "    terms[0].backward()\n"
         "    optimizer.step()\n"
         "    return tuple(t.item() for t in terms)\n"
         "\n"
         "def train(encoder, decoder, data, epochs, batch_size, lr, seed, beta=1.0):\n"
         "    check_batches(len(data), batch_size)\n"
         "    torch.manual_seed(seed)\n"
         "    params = list(encoder.parameters()) + list(decoder.parameters())\n"
         "    optimizer = torch.optim.Adam(params, lr=lr)\n"
         "    history = []\n"
         "    for epoch in range(epochs):\n"
         "        order = torch.randperm(len(data))\n"
         "        start, losses = 0, []\n"
         "        while start < len(data):\n"
         "            loss, _, _ = train_step(encoder, decoder, optimizer, data[order[start:start + batch_size]], beta)\n"
         "            losses.append(loss)\n"
         "            start += batch_size\n"
         "        history.append(torch.tensor(losses, dtype=torch.float64).mean().item())\n"
         "    print('final training loss', round(history[-1], 3))\n"
         "    return history\n"),
        ("sample",
         "def sample(decoder, n, latent_dim, generator=None):\n"
         "    z = torch.randn(n, latent_dim, generator=generator)\n"
         "    rows = []\n"
         "    for i in range(n):\n"
         "        logits = decoder(z[i]).detach()\n"
         "        rows.append(1.0 / (1.0 + torch.exp(-logits)))\n"
         "    return torch.stack(rows)\n"),
        ("rate_distortion_experiment",
         "rate = {0.5: None, 4: None}\n"
         "distortion = {0.5: None, 4: None}\n"
         "experiment_models = {}\n"
         "for b in [0.5, 4]:\n"
         "    torch.manual_seed(5)\n"
         "    enc_b = Encoder(64, 128, 8)\n"
         "    dec_b = Decoder(8, 128, 64)\n"
         "    hist_b = train(enc_b, dec_b, x_train, 50, 100, 2e-3, 5, beta=b)\n"
         "    experiment_models[b] = (enc_b, dec_b)\n"
         "    with torch.no_grad():\n"
         "        terms_b = negative_elbo(x_val, enc_b, dec_b, 1.0, torch.Generator().manual_seed(0))\n"
         "    distortion[b] = terms_b[1].item()\n"
         "    rate[b] = terms_b[2].item()\n"
         "print(rate, distortion)\n"),
    ], set()),
    (A, "wrong"): ([
        ("encoder_decoder",
         "class Encoder(nn.Module):\n"
         "    def __init__(self, in_dim, hidden, latent_dim):\n"
         "        super().__init__()\n"
         "        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),\n"
         "                                 nn.Linear(hidden, 2 * latent_dim))\n"
         "\n"
         "    def forward(self, x):\n"
         "        mean, log_var = self.net(x).chunk(2, dim=-1)\n"
         "        return mean, log_var\n"
         "\n"
         "\n"
         "class Decoder(nn.Module):\n"
         "    def __init__(self, latent_dim, hidden, out_dim):\n"
         "        super().__init__()\n"
         "        self.net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, out_dim))\n"
         "\n"
         "    def forward(self, z):\n"
         "        return self.net(z)\n"),
        ("negative_elbo",
         "def negative_elbo(x, encoder, decoder, beta=1.0, generator=None):\n"
         "    mean, log_var = encoder(x)\n"
         "    eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)\n"
         "    logits = decoder(mean + torch.exp(0.5 * log_var) * eps)\n"
         "    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction='none').sum(-1).mean()\n"
         "    kl = (torch.exp(log_var) - 1.0 - log_var + mean**2).sum(-1).mean()\n"
         "    return reconstruction + beta * kl, reconstruction, kl\n"),
        ("train",
         "def train_step(encoder, decoder, optimizer, x, beta=1.0):\n"
         "    loss, reconstruction, kl = negative_elbo(x, encoder, decoder, beta)\n"
         "    loss.backward()\n"
         "    optimizer.step()\n"
         "    return float(loss.detach()), float(reconstruction.detach()), float(kl.detach())\n"
         "\n"
         "def train(encoder, decoder, data, epochs, batch_size, lr, seed, beta=1.0):\n"
         "    torch.manual_seed(seed)\n"
         "    optimizer = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=lr)\n"
         "    history = []\n"
         "    for _ in range(epochs):\n"
         "        perm = torch.randperm(len(data))\n"
         "        losses = [train_step(encoder, decoder, optimizer, data[perm[i:i + batch_size]], beta)[0]\n"
         "                  for i in range(0, len(data), batch_size)]\n"
         "        history.append(sum(losses) / len(losses))\n"
         "    return history\n"),
        ("sample",
         "def sample(decoder, n, latent_dim, generator=None):\n"
         "    z = torch.randn(n, latent_dim, generator=generator)\n"
         "    with torch.no_grad():\n"
         "        return decoder(z)\n"),
    ], {"test_encoder_decoder_parameters", "test_encoder_decoder_hidden",
        "test_negative_elbo", "test_negative_elbo_grad", "test_negative_elbo_hidden", "test_negative_elbo_grad_hidden",
        "test_negative_elbo_extreme", "test_train_step", "test_train_step_hidden", "test_train_target",
        "test_rate_distortion_experiment", "test_rate_distortion_band", "test_rate_distortion_models",
        "test_sample", "test_sample_hidden"}),
}
