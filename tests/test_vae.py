"""Tests of course_lib.vae (autoencoders, VAEs, training, evaluation) and course_lib.data.binarize.

Exact checks use float64 and hand computations with set weights; the statistical checks are
seeded, and their tolerances are stated where they are asserted.
"""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from course_lib.data import (
    DatasetUnavailableError,
    DynamicallyBinarized,
    dequantize,
    dynamic_binarize,
    fixed_binarization,
    load_digits,
    load_mnist,
    mnist_splits,
)
from course_lib.vae import (
    VAE,
    Autoencoder,
    ConvDecoder,
    ConvEncoder,
    DenoisingAutoencoder,
    LossTerms,
    MLPDecoder,
    MLPEncoder,
    _evaluate,
    active_units,
    decode_latent_grid,
    elbo_over_dataset,
    encode,
    fit,
    gaussian_log_likelihood,
    interpolate,
    iwae_log_likelihood,
    load_checkpoint,
    optimal_sigma2,
    sample,
    save_checkpoint,
    train_step,
)
from course_lib.vi import kl_diag_gaussian_standard_normal

from course_lib._validate import make_generator

F64 = torch.float64


_g = make_generator  # a seeded CPU generator


class LinearEncoder(nn.Module):
    """x -> (mean, log_var) = split(W x + b): a VAE encoder small enough to compute by hand."""

    def __init__(self, weight, bias):
        super().__init__()
        self.linear = nn.Linear(weight.shape[1], weight.shape[0]).to(F64)
        with torch.no_grad():
            self.linear.weight.copy_(weight)
            self.linear.bias.copy_(bias)
        self.latent_dim = weight.shape[0] // 2

    def forward(self, x):
        return self.linear(x).chunk(2, dim=-1)


def _linear_vae(likelihood="bernoulli", **kwargs):
    # D = 3 pixels, d_z = 2.
    enc_w = torch.tensor([[0.5, -1.0, 0.25], [0.0, 0.75, -0.5], [0.2, 0.1, -0.3], [-0.4, 0.0, 0.6]], dtype=F64)
    enc_b = torch.tensor([0.1, -0.2, -0.5, 0.3], dtype=F64)
    decoder = nn.Linear(2, 3).to(F64)
    with torch.no_grad():
        decoder.weight.copy_(torch.tensor([[1.0, -0.5], [0.25, 2.0], [-1.5, 0.5]], dtype=F64))
        decoder.bias.copy_(torch.tensor([0.2, -0.1, 0.0], dtype=F64))
    decoder.latent_dim = 2
    return VAE(LinearEncoder(enc_w, enc_b), decoder, likelihood=likelihood, **kwargs).to(F64)


X3 = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.3, 0.9, 0.5]], dtype=F64)


def _hand_terms(model, x, seed, log_lik):
    """mean, log_var, z and the two terms written out from the weights."""
    w, b = model.encoder.linear.weight.detach(), model.encoder.linear.bias.detach()
    h = x @ w.T + b
    mean, log_var = h[:, :2], h[:, 2:]
    eps = torch.randn((1, x.shape[0], 2), generator=_g(seed), dtype=F64)[0]
    z = mean + torch.exp(0.5 * log_var) * eps
    out = z @ model.decoder.weight.detach().T + model.decoder.bias.detach()
    reconstruction = -log_lik(x, out).mean()
    kl = (0.5 * (torch.exp(log_var) - 1 - log_var + mean**2).sum(dim=1)).mean()
    return reconstruction, kl


# ---------------------------------------------------------------------------------------
# The VAE loss
# ---------------------------------------------------------------------------------------
def test_bernoulli_loss_equals_hand_computation():
    model = _linear_vae(beta=1.0)

    def log_lik(x, logits):
        p = 1 / (1 + torch.exp(-logits))
        return (x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(dim=1)

    reconstruction, kl = _hand_terms(model, X3, 7, log_lik)
    terms = model.loss(X3, generator=7)
    assert isinstance(terms, LossTerms)
    torch.testing.assert_close(terms.reconstruction, reconstruction, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(terms.kl, kl, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(terms.loss, reconstruction + kl, rtol=1e-12, atol=1e-12)
    # beta weighs the KL only, per call or from the constructor
    torch.testing.assert_close(model.loss(X3, beta=0.25, generator=7).loss, reconstruction + 0.25 * kl,
                               rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(_linear_vae(beta=3.0).loss(X3, generator=7).loss, reconstruction + 3 * kl,
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("sigma", ["fixed", "learned"])
def test_gaussian_loss_equals_hand_computation(sigma):
    model = _linear_vae("gaussian", sigma=sigma, sigma_value=0.7)

    def log_lik(x, mean):
        return (-0.5 * math.log(2 * math.pi * 0.49) - (x - mean) ** 2 / (2 * 0.49)).sum(dim=1)

    reconstruction, kl = _hand_terms(model, X3, 3, log_lik)
    terms = model.loss(X3, generator=3)
    torch.testing.assert_close(terms.reconstruction, reconstruction, rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(terms.loss, reconstruction + kl, rtol=1e-6, atol=1e-9)


def test_kl_term_is_the_closed_form_of_course_lib_vi():
    torch.manual_seed(0)
    model = VAE(MLPEncoder(5, 8, 3), MLPDecoder(3, 8, 5)).double()
    x = torch.rand(11, 5, generator=_g(1), dtype=F64)
    mean, log_var = model.encoder(x)
    torch.testing.assert_close(model.loss(x).kl, kl_diag_gaussian_standard_normal(mean, log_var).mean(),
                               rtol=1e-14, atol=0)


def test_log_likelihood_plugs_into_vi_shapes():
    model = _linear_vae()
    z = torch.randn(4, 3, 2, generator=_g(0), dtype=F64)
    assert model.log_likelihood(X3, z).shape == (4, 3)
    elbo = elbo_over_dataset(model, X3, generator=0)
    assert elbo.shape == (3,) and elbo.dtype == F64


def _nonzero_grads(model, loss):
    model.zero_grad()
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not bool(p.grad.abs().sum() > 0)]
    assert not missing, f"no gradient reached {missing}"


@pytest.mark.parametrize("kind", ["mlp-bernoulli", "conv-gaussian-learned", "ae", "dae"])
def test_gradients_reach_every_parameter(kind):
    torch.manual_seed(0)
    x = torch.rand(6, 784, generator=_g(2))
    if kind == "mlp-bernoulli":
        model = VAE(MLPEncoder(784, [32, 16], 4), MLPDecoder(4, [16, 32], 784))
    elif kind == "conv-gaussian-learned":
        model = VAE(ConvEncoder(4, channels=(4, 8)), ConvDecoder(4, channels=(8, 4)), "gaussian", sigma="learned")
    elif kind == "ae":
        model = Autoencoder(MLPEncoder(784, 16, 4), MLPDecoder(4, 16, 784))
    else:
        model = DenoisingAutoencoder(MLPEncoder(784, 16, 4), MLPDecoder(4, 16, 784), noise_std=0.3,
                                     mask_prob=0.2, walkback_steps=2)
    # The encoder's log-variance head gets no gradient through an autoencoder's loss: the code
    # is the mean. Everything else must.
    if kind in ("ae", "dae"):
        model.loss(x).loss.backward()
        for name, p in model.named_parameters():
            if name == "encoder.net.1.weight":
                continue
            assert p.grad is not None, name
        return
    _nonzero_grads(model, model.loss(x).loss)


def test_conv_networks_shapes():
    enc, dec = ConvEncoder(5), ConvDecoder(5)
    mean, log_var = enc(torch.rand(3, 784))
    assert mean.shape == log_var.shape == (3, 5)
    assert dec(torch.randn(2, 3, 5)).shape == (2, 3, 784)


def test_optimal_sigma2_maximises_the_gaussian_likelihood():
    x = torch.rand(20, 7, generator=_g(0), dtype=F64)
    x_hat = x + 0.3 * torch.randn(20, 7, generator=_g(1), dtype=F64)
    s2 = optimal_sigma2(x, x_hat)
    torch.testing.assert_close(s2, (x - x_hat).square().mean())
    grid = s2 * torch.exp(torch.linspace(-1, 1, 201, dtype=F64))  # σ² from s2/e to e·s2; s2 is grid[100]
    values = torch.stack([gaussian_log_likelihood(x, x_hat, v).sum() for v in grid])
    assert int(values.argmax()) == 100
    assert bool((values[100] >= values).all())
    # sigma="optimal" scores with the batch's own σ*²
    model = _linear_vae("gaussian", sigma="optimal")
    z = torch.randn(1, 3, 2, generator=_g(4), dtype=F64)
    means = model.decoder(z)
    torch.testing.assert_close(model.log_likelihood(X3, z),
                               gaussian_log_likelihood(X3, means, optimal_sigma2(X3, means)))


# ---------------------------------------------------------------------------------------
# Training and evaluation on the 8×8 digits
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits_run():
    x, _ = load_digits()
    train, validation = x[:1500], x[1500:]
    torch.manual_seed(0)
    model = VAE(MLPEncoder(64, 64, 4), MLPDecoder(4, 64, 64))
    before = _evaluate(model, validation, 297).loss
    history = fit(model, train, validation, epochs=12, batch_size=100, lr=3e-3, progress=False, generator=0)
    return model, history, before, validation


def test_short_training_on_digits_lowers_the_validation_loss(digits_run):
    model, history, before, _ = digits_run
    # An untrained model scores about 64 log 2 = 44 nats per image; 12 epochs must gain 10 nats.
    assert before > 40
    assert history["validation_loss"][-1] < before - 10
    assert history["validation_loss"][-1] < history["validation_loss"][0]
    assert set(history) == {"train_loss", "train_reconstruction", "train_kl", "validation_loss",
                            "validation_reconstruction", "validation_kl", "best_epoch"}
    assert all(len(history[k]) == 12 for k in history if k != "best_epoch")
    for split in ("train", "validation"):
        for loss, rec, kl in zip(history[f"{split}_loss"], history[f"{split}_reconstruction"], history[f"{split}_kl"]):
            assert loss == pytest.approx(rec + kl) and kl > 0


def test_iwae_is_above_the_elbo_and_rises_with_k(digits_run):
    model, _, _, x = digits_run
    repeats = 5  # independent repeats of each estimate, averaged: the bound L_k is an expectation
    elbo = torch.stack([elbo_over_dataset(model, x, generator=r) for r in range(repeats)]).mean(0)
    bound = {k: torch.stack([iwae_log_likelihood(model, x, k=k, batch_size=100, generator=100 + r)
                             for r in range(repeats)]).mean(0) for k in (1, 10, 100)}
    # L_1 is the ELBO (only the KL's estimate differs: analytic vs Monte Carlo): within 0.5 nat.
    assert abs(float(bound[1].mean() - elbo.mean())) < 0.5
    assert float(bound[10].mean()) > float(elbo.mean())
    assert float(bound[100].mean()) > float(bound[10].mean()) > float(bound[1].mean())
    # The gap L_100 - ELBO, against a precise ELBO (100 samples per image): positive by more
    # than 5 standard errors of its mean over the 297 images.
    gap = (bound[100] - elbo_over_dataset(model, x, n_samples=100, generator=7)).double()
    assert float(gap.mean()) > 5 * float(gap.std()) / math.sqrt(gap.numel())


def test_iwae_log_likelihood_does_not_depend_on_the_memory_cap(digits_run):
    model, _, _, x = digits_run
    a = iwae_log_likelihood(model, x[:50], k=40, batch_size=25, max_elements=2**20, generator=3)
    b = iwae_log_likelihood(model, x[:50], k=40, batch_size=25, max_elements=25 * 4 * 3, generator=3)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-4)


def test_inspection_helpers(digits_run):
    model, _, _, x = digits_run
    mean, log_var = encode(model, x)
    assert mean.shape == log_var.shape == (297, 4)
    assert sample(model, 5, generator=0).shape == (5, 64)
    path = interpolate(model, x[0], x[1], n_steps=6)
    assert path.shape == (6, 64)
    torch.testing.assert_close(path[0], model.decode(mean[0]).detach())
    torch.testing.assert_close(path[-1], model.decode(mean[1]).detach())
    n_active, activity = active_units(model, x)
    assert activity.shape == (4,) and 1 <= n_active <= 4
    torch.testing.assert_close(activity, mean.var(dim=0, correction=0))


def test_active_units_counts_the_units_whose_mean_moves():
    weight = torch.zeros(4, 3, dtype=F64)
    weight[0] = torch.tensor([1.0, 0.5, -1.0])  # unit 0's mean follows x; unit 1's is constant
    model = VAE(LinearEncoder(weight, torch.tensor([0.0, 2.0, 0.0, 0.0], dtype=F64)), _linear_vae().decoder)
    x = torch.rand(100, 3, generator=_g(0), dtype=F64)
    n_active, activity = active_units(model, x, threshold=0.01)
    assert n_active == 1 and float(activity[1]) == 0.0


def test_latent_grid_orientation():
    model = VAE(MLPEncoder(4, 8, 2), MLPDecoder(2, 8, 4))
    grid = decode_latent_grid(model, n_per_side=3, span=2.0)
    assert grid.shape == (3, 3, 4)
    torch.testing.assert_close(grid[0, 0], model.decode(torch.tensor([-2.0, 2.0])).detach())
    torch.testing.assert_close(grid[2, 1], model.decode(torch.tensor([0.0, -2.0])).detach())
    with pytest.raises(ValueError, match="model"):
        decode_latent_grid(VAE(MLPEncoder(4, 8, 3), MLPDecoder(3, 8, 4)))


def test_fit_with_dynamic_binarisation_early_stopping_and_checkpoint(tmp_path):
    x, _ = load_digits()
    torch.manual_seed(0)
    model = VAE(MLPEncoder(64, 32, 2), MLPDecoder(2, 32, 64))
    validation = fixed_binarization(x[1500:], seed=0)
    path = tmp_path / "best.pt"
    history = fit(model, DynamicallyBinarized(x[:300], seed=0), validation, epochs=40, batch_size=50,
                  lr=0.03, patience=2, checkpoint=path, progress=False, generator=0)
    n = len(history["validation_loss"])
    best = history["best_epoch"][0]
    assert best == min(range(n), key=history["validation_loss"].__getitem__)
    assert n == 40 or n == best + 3  # stopped two epochs after the best one
    # the best weights were restored and are the ones in the checkpoint
    assert _evaluate(model, validation, 50).loss == pytest.approx(history["validation_loss"][best], rel=1e-6)
    other = VAE(MLPEncoder(64, 32, 2), MLPDecoder(2, 32, 64))
    load_checkpoint(other, path)
    for (name, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        assert torch.equal(a, b), name


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model = VAE(MLPEncoder(6, 5, 2), MLPDecoder(2, 5, 6), "gaussian", sigma="learned", sigma_value=0.3)
    save_checkpoint(model, tmp_path / "m.pt")
    torch.manual_seed(1)
    other = VAE(MLPEncoder(6, 5, 2), MLPDecoder(2, 5, 6), "gaussian", sigma="learned")
    assert load_checkpoint(other, tmp_path / "m.pt") is other
    x = torch.rand(4, 6)
    torch.testing.assert_close(other.loss(x, generator=0).loss, model.loss(x, generator=0).loss, rtol=0, atol=0)
    with pytest.raises(ValueError, match="path"):
        load_checkpoint(Autoencoder(MLPEncoder(6, 5, 2), MLPDecoder(2, 5, 6)), tmp_path / "m.pt")


def test_train_step_returns_floats_and_changes_the_weights():
    torch.manual_seed(0)
    model = VAE(MLPEncoder(8, 8, 2), MLPDecoder(2, 8, 8))
    before = [p.detach().clone() for p in model.parameters()]
    terms = train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), torch.rand(5, 8))
    assert all(isinstance(t, float) for t in terms)
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


# ---------------------------------------------------------------------------------------
# Denoising autoencoder
# ---------------------------------------------------------------------------------------
def test_corruption_masks_and_adds_noise():
    dae = DenoisingAutoencoder(MLPEncoder(4, 4, 2), MLPDecoder(2, 4, 4), noise_std=0.0, mask_prob=0.3)
    masked = dae.corrupt(torch.ones(5000, 4), generator=0)
    assert abs(float((masked == 0).double().mean()) - 0.3) < 0.01  # 20,000 coordinates: sd 0.003
    noisy = DenoisingAutoencoder(MLPEncoder(4, 4, 2), MLPDecoder(2, 4, 4), noise_std=0.5).corrupt(
        torch.zeros(5000, 4), generator=0)
    assert abs(float(noisy.std()) - 0.5) < 0.01


def test_walkback_chain_keeps_the_mean_and_variance_of_a_gaussian():
    mu, sd = torch.tensor([1.0, -1.0]), torch.tensor([1.0, 0.5])
    data = mu + sd * torch.randn(4000, 2, generator=_g(0))
    torch.manual_seed(0)
    dae = DenoisingAutoencoder(MLPEncoder(2, 64, 16), MLPDecoder(16, 64, 2), noise_std=0.5,
                               walkback_steps=3, data_dim=2)
    fit(dae, data, epochs=40, batch_size=200, lr=3e-3, progress=False, generator=0)
    chain = dae.walkback_chain(data[:2000], n_steps=100, generator=0)
    assert chain.shape == (101, 2000, 2)
    torch.testing.assert_close(chain[0], data[:2000])
    last = chain[-1]
    # Tolerances: means within 0.25 data standard deviations, variances within a factor 4/3
    # (seeds 0-4 of this set-up give at most 0.16 sd and factors 0.93-1.07).
    assert bool(((last.mean(0) - mu).abs() < 0.25 * sd).all()), last.mean(0)
    ratio = last.var(0) / sd**2
    assert bool(((ratio > 0.75) & (ratio < 4 / 3)).all()), ratio


# ---------------------------------------------------------------------------------------
# Binarisation and dequantisation
# ---------------------------------------------------------------------------------------
def test_dynamic_binarisation_values_mean_and_fresh_draws():
    p = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0], dtype=F64).repeat(20_000, 1)
    bits = dynamic_binarize(p, generator=0)
    assert bits.dtype == F64 and set(bits.unique().tolist()) <= {0.0, 1.0}
    # 20,000 draws per level: standard error at most 0.0036; allow 4 of them
    torch.testing.assert_close(bits.mean(0), p[0], rtol=0, atol=0.015)
    assert bits[:, 0].sum() == 0 and bits[:, 4].sum() == 20_000

    images = torch.full((50, 16), 0.5)
    data = DynamicallyBinarized(images, seed=0)
    epoch_1 = torch.cat(list(data.batches(16, shuffle=False)))
    epoch_2 = torch.cat(list(data.batches(16, shuffle=False)))
    assert epoch_1.shape == (50, 16) and not torch.equal(epoch_1, epoch_2)
    assert not torch.equal(data[3], data[3])  # every read is a new draw
    again = DynamicallyBinarized(images, seed=0)
    assert torch.equal(torch.cat(list(again.batches(16, shuffle=False))), epoch_1)  # seeded: reproducible
    assert len(data) == 50 and sum(b.shape[0] for b in data.batches(16)) == 50


def test_fixed_binarisation_is_reproducible():
    images = torch.rand(30, 10, generator=_g(0))
    a, b = fixed_binarization(images, seed=4), fixed_binarization(images, seed=4)
    assert torch.equal(a, b) and not torch.equal(a, fixed_binarization(images, seed=5))


def test_dequantize_is_in_the_open_unit_interval_and_floors_back():
    levels = torch.arange(256, dtype=torch.uint8).repeat(400)
    y = dequantize(levels, generator=0)
    assert y.dtype == torch.float32
    assert bool((y > 0).all() and (y < 1).all())
    assert torch.equal(torch.floor(y * 256).to(torch.uint8), levels)
    # the noise fills each cell: spread of y*256 - k is about that of U(0, 1)
    u = (y.double() * 256 - levels.double())
    assert abs(float(u.mean()) - 0.5) < 0.01 and abs(float(u.var()) - 1 / 12) < 0.005
    y4 = dequantize(torch.tensor([0.0, 3.0], dtype=F64), generator=1, levels=4)
    assert y4.dtype == F64 and torch.equal(torch.floor(y4 * 4), torch.tensor([0.0, 3.0], dtype=F64))


def test_mnist_splits_shapes_and_disjointness():
    try:
        splits = mnist_splits(n_validation=10_000, seed=0)
        train_images, _ = load_mnist("train", download=False, normalize=True)
    except DatasetUnavailableError as exc:
        pytest.skip(f"MNIST not found locally (set DGM_DATA_DIR): {str(exc).splitlines()[0]}")
    assert splits["train"].shape == (50_000, 784)
    assert splits["validation"].shape == (10_000, 784)
    assert splits["test"].shape == (10_000, 784)
    for x in splits.values():
        assert x.dtype == torch.float32 and float(x.min()) >= 0 and float(x.max()) <= 1
    # train and validation are a partition of the 60,000 training images: match each row to its
    # index through a random projection (distinct for distinct images)
    key = lambda images: (images.reshape(images.shape[0], -1).double() @ torch.randn(784, generator=_g(0),
                                                                                    dtype=F64)).tolist()
    index = {k: i for i, k in enumerate(key(train_images))}
    train_ids = {index[k] for k in key(splits["train"])}
    validation_ids = {index[k] for k in key(splits["validation"])}
    assert len(train_ids) == 50_000 and len(validation_ids) == 10_000 and not train_ids & validation_ids
    assert torch.equal(mnist_splits(seed=0)["validation"], splits["validation"])


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------
def _mlp_vae():
    return VAE(MLPEncoder(4, 4, 2), MLPDecoder(2, 4, 4))


@pytest.mark.parametrize("call, name", [
    (lambda: MLPEncoder(0, 4, 2), "in_dim"),
    (lambda: MLPDecoder(2, [4, -1], 4), "hidden"),
    (lambda: ConvEncoder(2, channels=(4,)), "channels"),
    (lambda: VAE(MLPEncoder(4, 4, 2), "decoder"), "decoder"),
    (lambda: VAE(MLPEncoder(4, 4, 2), MLPDecoder(2, 4, 4), likelihood="poisson"), "likelihood"),
    (lambda: VAE(MLPEncoder(4, 4, 2), MLPDecoder(2, 4, 4), "gaussian", sigma="best"), "sigma"),
    (lambda: VAE(MLPEncoder(4, 4, 2), MLPDecoder(2, 4, 4), sigma_value=0.0), "sigma_value"),
    (lambda: VAE(MLPEncoder(4, 4, 2), MLPDecoder(2, 4, 4), beta=-1.0), "beta"),
    (lambda: _mlp_vae().loss(torch.rand(3, 5)), "x"),
    (lambda: _mlp_vae().loss(torch.rand(3, 2, 2)), "x"),
    (lambda: _mlp_vae().loss(torch.rand(3, 4), beta=float("nan")), "beta"),
    (lambda: DenoisingAutoencoder(MLPEncoder(4, 4, 2), MLPDecoder(2, 4, 4), mask_prob=1.0), "mask_prob"),
    (lambda: DenoisingAutoencoder(MLPEncoder(4, 4, 2), MLPDecoder(2, 4, 4), noise_std=-1.0), "noise_std"),
    (lambda: DenoisingAutoencoder(MLPEncoder(4, 4, 2), MLPDecoder(2, 4, 4)).walkback_chain(torch.rand(2, 4), 0),
     "n_steps"),
    (lambda: fit(_mlp_vae(), torch.rand(8, 4), epochs=0, progress=False), "epochs"),
    (lambda: fit(_mlp_vae(), torch.rand(8, 4), batch_size=2.5, progress=False), "batch_size"),
    (lambda: fit(_mlp_vae(), torch.rand(8, 4), lr=0, progress=False), "lr"),
    (lambda: fit(_mlp_vae(), torch.rand(8, 4), patience=2, progress=False), "patience"),
    (lambda: fit(_mlp_vae(), torch.tensor([[float("nan")] * 4]), progress=False), "train"),
    (lambda: fit(_mlp_vae(), torch.rand(8, 4), torch.rand(8), progress=False), "validation"),
    (lambda: iwae_log_likelihood(_mlp_vae(), torch.rand(3, 4), k=0), "k"),
    (lambda: iwae_log_likelihood(Autoencoder(MLPEncoder(4, 4, 2), MLPDecoder(2, 4, 4)), torch.rand(3, 4)),
     "model"),
    (lambda: interpolate(_mlp_vae(), torch.rand(2, 4), torch.rand(4)), "x_a"),
    (lambda: active_units(_mlp_vae(), torch.rand(5, 4), threshold=-1.0), "threshold"),
    (lambda: optimal_sigma2(torch.rand(3, 4), torch.rand(2, 4)), "x_hat"),
    (lambda: dynamic_binarize(torch.tensor([0.5, 1.5])), "x"),
    (lambda: DynamicallyBinarized(torch.tensor([[-0.1]])), "images"),
    (lambda: fixed_binarization(torch.rand(3), seed=None), "seed"),
    (lambda: dequantize(torch.tensor([0.5])), "x"),
    (lambda: dequantize(torch.tensor([256])), "x"),
    (lambda: dequantize(torch.tensor([1]), levels=1), "levels"),
    (lambda: mnist_splits(n_validation=-1), "n_validation"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


# ---------------------------------------------------------------------------------------
# GPU
# ---------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_model_and_data_stay_on_the_device():
    x, _ = load_digits()
    torch.manual_seed(0)
    model = VAE(MLPEncoder(64, 32, 2), MLPDecoder(2, 32, 64)).cuda()
    xc = x.cuda()
    history = fit(model, DynamicallyBinarized(xc[:500], seed=0), xc[1500:], epochs=2, batch_size=100,
                  progress=False, generator=0)
    assert all(p.device.type == "cuda" for p in model.parameters())
    assert history["validation_loss"][-1] < history["validation_loss"][0] + 5
    assert iwae_log_likelihood(model, xc[:20], k=10, generator=0).device.type == "cuda"
    assert elbo_over_dataset(model, x[:20], generator=0).device.type == "cpu"  # follows x
    assert sample(model, 3, generator=0).device.type == "cuda"
    assert active_units(model, xc)[1].device.type == "cuda"
    assert decode_latent_grid(model, 3).device.type == "cuda"
    dae = DenoisingAutoencoder(MLPEncoder(2, 8, 4), MLPDecoder(4, 8, 2), data_dim=2).cuda()
    assert dae.walkback_chain(torch.randn(5, 2, device="cuda"), 3, generator=0).device.type == "cuda"
    assert dynamic_binarize(xc[:5], generator=0).device.type == "cuda"
    assert dequantize(torch.tensor([3, 4], device="cuda"), generator=0).device.type == "cuda"
