"""course_lib.gmm.GaussianMixture against scikit-learn, EM monotonicity, sampling, errors."""
import numpy as np
import pytest
import torch
from sklearn.mixture import GaussianMixture as SKGaussianMixture

from course_lib import gmm as gmm_module
from course_lib.data import load_old_faithful
from course_lib.gmm import COVARIANCE_TYPES, GaussianMixture

RTOL = 1e-8  # float64, same start: agreement reached in practice is ~1e-13 relative


def blobs(n=600, d=3, k=4, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(k, d))
    labels = rng.integers(k, size=n)
    scales = rng.uniform(0.5, 1.5, size=(k, d))
    return centres[labels] + scales[labels] * rng.normal(size=(n, d))


def precisions_of(cov, covariance_type):
    return np.linalg.inv(cov) if covariance_type in ("full", "tied") else 1.0 / cov


def same_start_pair(x, covariance_type, k=4, seed=1, **kw):
    start = GaussianMixture(k, covariance_type=covariance_type, seed=seed, max_iter=0).fit(x)
    w, m, c = (t.numpy() for t in (start.weights_, start.means_, start.covariances_))
    ours = GaussianMixture(k, covariance_type=covariance_type, weights_init=w, means_init=m,
                           covariances_init=c, **kw).fit(x)
    theirs = SKGaussianMixture(k, covariance_type=covariance_type, weights_init=w, means_init=m,
                               precisions_init=precisions_of(c, covariance_type), **kw).fit(x)
    return ours, theirs


def assert_close(a, b, rtol=RTOL):
    a = a.numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.max(np.abs(b)))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_matches_sklearn_from_same_start(covariance_type):
    x = blobs()
    ours, theirs = same_start_pair(x, covariance_type, tol=1e-10, max_iter=300)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.converged_ == theirs.converged_
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=RTOL)
    assert_close(ours.weights_, theirs.weights_)
    assert_close(ours.means_, theirs.means_)
    assert_close(ours.covariances_, theirs.covariances_)
    assert_close(ours.precisions_cholesky_, theirs.precisions_cholesky_)
    np.testing.assert_allclose(ours.history_, theirs.lower_bounds_, rtol=RTOL)
    # same parameters → same densities, information criteria and responsibilities
    assert_close(ours.log_prob(x), theirs.score_samples(x))
    assert ours.score(x) == pytest.approx(theirs.score(x), rel=RTOL)
    assert ours.bic(x) == pytest.approx(theirs.bic(x), rel=RTOL)
    assert ours.aic(x) == pytest.approx(theirs.aic(x), rel=RTOL)
    assert ours.n_parameters() == theirs._n_parameters()
    assert_close(ours.predict_proba(x), theirs.predict_proba(x), rtol=1e-7)
    proba = ours.predict_proba(x)
    assert torch.allclose(proba.sum(1), torch.ones(len(x), dtype=torch.float64), atol=1e-12)
    assert torch.equal(ours.predict(x), torch.as_tensor(theirs.predict(x)))


def test_full_fast_path_equals_generic_steps(monkeypatch):
    x = torch.as_tensor(blobs(seed=3))
    fast = GaussianMixture(4, seed=0, tol=0.0, max_iter=15).fit(x)
    monkeypatch.setattr(gmm_module, "MAX_DESIGN_ELEMENTS", 0)
    generic = GaussianMixture(4, seed=0, tol=0.0, max_iter=15).fit(x)
    np.testing.assert_allclose(fast.history_, generic.history_, rtol=1e-12)
    assert torch.allclose(fast.covariances_, generic.covariances_, rtol=1e-10, atol=1e-12)
    # and the public steps reproduce one iteration
    g = GaussianMixture(4, seed=0, max_iter=0).fit(x)
    log_resp, ll = g.e_step(x)
    g.m_step(x, log_resp)
    one = GaussianMixture(4, seed=0, max_iter=1).fit(x)
    assert ll == pytest.approx(one.history_[0], rel=1e-12)
    assert torch.allclose(g.means_, one.means_, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("init_params", ["kmeans++", "random"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_history_is_non_decreasing(covariance_type, init_params):
    for x in (load_old_faithful(), blobs(seed=5)):
        g = GaussianMixture(3, covariance_type=covariance_type, init_params=init_params, seed=0,
                            tol=1e-8, max_iter=200).fit(x)
        h = np.asarray(g.history_)
        assert len(h) == g.n_iter_ >= 2
        assert np.all(np.diff(h) >= -1e-12), covariance_type
        assert g.lower_bound_ == h[-1]


def test_shapes_and_dtype_follow_data():
    x = torch.as_tensor(blobs(d=2), dtype=torch.float32)
    for ct, shape in (("full", (4, 2, 2)), ("diag", (4, 2)), ("spherical", (4,)), ("tied", (2, 2))):
        g = GaussianMixture(4, covariance_type=ct, seed=0).fit(x)
        assert g.covariances_.shape == shape and g.precisions_cholesky_.shape == shape
        assert g.means_.dtype == torch.float32 and g.weights_.shape == (4,)
        assert g.log_prob(x).shape == (600,) and g.predict(x).shape == (600,)


def test_sample():
    g = GaussianMixture(3, seed=0).fit(load_old_faithful())
    x1, l1 = g.sample(20_000, seed=7)
    x2, l2 = g.sample(20_000, seed=7)
    assert x1.shape == (20_000, 2) and l1.shape == (20_000,)
    assert torch.equal(x1, x2) and torch.equal(l1, l2)
    freq = torch.bincount(l1, minlength=3).double() / 20_000
    assert torch.allclose(freq, g.weights_, atol=0.015)
    k = int(torch.argmax(g.weights_))
    assert torch.allclose(x1[l1 == k].mean(0), g.means_[k], rtol=0.05, atol=0.05)
    for ct in ("diag", "spherical", "tied"):
        h = GaussianMixture(2, covariance_type=ct, seed=0).fit(load_old_faithful())
        assert h.sample(5, seed=0)[0].shape == (5, 2)


def test_n_init_keeps_best_and_seed_reproducible():
    x = blobs(k=6, seed=11)
    single = [GaussianMixture(6, seed=s, init_params="random", max_iter=30).fit(x) for s in range(3)]
    g = GaussianMixture(6, n_init=4, init_params="random", seed=0, max_iter=30).fit(x)
    again = GaussianMixture(6, n_init=4, init_params="random", seed=0, max_iter=30).fit(x)
    assert g.lower_bound_ == again.lower_bound_
    # the kept restart is the best of its own restarts, so at least as good as the first one
    assert g.lower_bound_ >= single[0].lower_bound_ - 1e-12
    a = GaussianMixture(6, seed=3).fit(x)
    b = GaussianMixture(6, seed=3).fit(x)
    assert torch.equal(a.means_, b.means_) and a.history_ == b.history_


def test_n_init_picks_maximum():
    x = blobs(seed=2)
    g = GaussianMixture(4, n_init=5, init_params="random", seed=0, max_iter=5).fit(x)
    # replay every restart from the same generator stream, one at a time
    generator = gmm_module.make_generator(0)
    bounds = []
    for _ in range(5):
        start = GaussianMixture(4, init_params="random", max_iter=5)
        start._init_values = {}
        start._initialise(torch.as_tensor(x), generator)
        bounds.append(GaussianMixture(4, weights_init=start.weights_, means_init=start.means_,
                                      covariances_init=start.covariances_, max_iter=5).fit(x).lower_bound_)
    assert len(set(bounds)) > 1
    assert g.lower_bound_ == pytest.approx(max(bounds), rel=1e-12)


def test_bad_inputs_raise_clear_errors():
    x = blobs(n=50)
    with pytest.raises(ValueError, match="NaN"):
        GaussianMixture(2).fit(np.where(np.arange(150).reshape(50, 3) == 7, np.nan, x))
    with pytest.raises(ValueError, match="infinite"):
        GaussianMixture(2).fit(np.where(np.arange(150).reshape(50, 3) == 7, np.inf, x))
    with pytest.raises(ValueError, match="2 dimension"):
        GaussianMixture(2).fit(x[:, 0])
    with pytest.raises(ValueError, match="n_components"):
        GaussianMixture(0).fit(x)
    with pytest.raises(ValueError, match="fewer than n_components"):
        GaussianMixture(51).fit(x)
    with pytest.raises(ValueError, match="covariance_type"):
        GaussianMixture(2, covariance_type="banded").fit(x)
    with pytest.raises(ValueError, match="init_params"):
        GaussianMixture(2, init_params="kmeans").fit(x)
    with pytest.raises(ValueError, match="tol"):
        GaussianMixture(2, tol=-1.0).fit(x)
    with pytest.raises(ValueError, match="reg_covar"):
        GaussianMixture(2, reg_covar=-1e-6).fit(x)
    with pytest.raises(ValueError, match="not fitted"):
        GaussianMixture(2).predict(x)
    with pytest.raises(ValueError, match="means_init must have shape"):
        GaussianMixture(2, means_init=np.zeros((3, 3))).fit(x)
    g = GaussianMixture(2, seed=0).fit(x)
    with pytest.raises(ValueError, match="features"):
        g.log_prob(x[:, :2])


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_singular_covariance_names_component_and_reg_covar(covariance_type):
    # all points on a line in 2-D: rank-deficient covariances, reg_covar=0
    t = np.linspace(0, 1, 40)
    x = np.stack([t, 2 * t], axis=1)
    with pytest.raises(ValueError, match=r"(component \d|tied covariance).*increasing reg_covar"):
        GaussianMixture(2, covariance_type=covariance_type, reg_covar=0.0, seed=0).fit(x)
    GaussianMixture(2, covariance_type=covariance_type, reg_covar=1e-6, seed=0).fit(x)  # fine


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_gpu_matches_cpu():
    x = torch.as_tensor(blobs())
    cpu = GaussianMixture(4, seed=0, tol=0.0, max_iter=20).fit(x)
    gpu = GaussianMixture(4, seed=0, tol=0.0, max_iter=20).fit(x.cuda())
    assert gpu.means_.is_cuda
    assert gpu.lower_bound_ == pytest.approx(cpu.lower_bound_, rel=1e-9)
    assert torch.allclose(gpu.means_.cpu(), cpu.means_, rtol=1e-8, atol=1e-10)


def test_design_matrix_path_equals_the_textbook_em_steps(monkeypatch):
    """fit's fast path for full covariances (one product with quadratic features per step) is
    the same E- and M-step as the lecture's: same history and parameters up to round-off."""
    x = torch.as_tensor(blobs(n=800, d=3, k=4, seed=3))
    fast = GaussianMixture(4, seed=2, tol=0.0, max_iter=30).fit(x)
    monkeypatch.setattr(gmm_module, "MAX_DESIGN_ELEMENTS", 0)   # every fit takes _em_step
    textbook = GaussianMixture(4, seed=2, tol=0.0, max_iter=30).fit(x)
    assert_close(np.array(fast.history_), np.array(textbook.history_), rtol=1e-10)
    for name in ("weights_", "means_", "covariances_"):
        assert_close(getattr(fast, name), getattr(textbook, name).numpy(), rtol=1e-9)
