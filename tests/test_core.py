"""Device selection, seeding and quick mode."""
import pytest
import torch

import course_lib
from course_lib import probability


def test_get_device_defaults_to_an_available_device(monkeypatch):
    monkeypatch.delenv("DGM_DEVICE", raising=False)
    device = course_lib.get_device()
    assert device.type in {"cuda", "mps", "cpu"}
    if not torch.cuda.is_available():
        assert device.type in {"mps", "cpu"}
    assert course_lib.get_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("DGM_DEVICE", "cpu")
    assert course_lib.get_device() == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present here")
def test_requesting_missing_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        course_lib.get_device("cuda")


def test_seed_everything_makes_runs_repeatable():
    course_lib.seed_everything(7)
    a = torch.randn(5)
    course_lib.seed_everything(7)
    assert torch.equal(a, torch.randn(5))
    g = course_lib.seed_everything(3)
    assert torch.equal(torch.randn(2, generator=g), torch.randn(2, generator=torch.Generator().manual_seed(3)))
    with pytest.raises(ValueError, match="seed must be an integer"):
        course_lib.seed_everything(1.5)


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_quick_mode_follows_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv(course_lib.QUICK_ENV, value)
    assert course_lib.is_quick() is expected
    assert course_lib.quick_or_full("q", "f") == ("q" if expected else "f")


def test_quick_mode_rejects_nonsense(monkeypatch):
    monkeypatch.setenv(course_lib.QUICK_ENV, "maybe")
    with pytest.raises(ValueError, match="DGM_QUICK"):
        course_lib.is_quick()


def test_headless_mode_builds_no_progress_bar_and_no_widgets(monkeypatch):
    monkeypatch.setenv(course_lib.HEADLESS_ENV, "1")
    assert course_lib.is_headless() and not course_lib.widgets_enabled()
    bar = course_lib.progress_bar(range(3), desc="x")
    assert bar.disable and list(bar) == [0, 1, 2]
    monkeypatch.setenv(course_lib.HEADLESS_ENV, "0")
    assert not course_lib.is_headless() and course_lib.widgets_enabled()  # ipywidgets is installed
    assert not course_lib.progress_bar(range(3)).disable
    assert course_lib.progress_bar(range(3), disable=True).disable
    monkeypatch.setenv(course_lib.HEADLESS_ENV, "sometimes")
    with pytest.raises(ValueError, match="DGM_HEADLESS"):
        course_lib.is_headless()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_reference_runs_on_gpu_and_stays_there():
    x = torch.randn(100, 3, device="cuda", dtype=torch.float64)
    out = probability.gaussian_log_prob(x, torch.zeros(3, device="cuda"), torch.eye(3, device="cuda"))
    assert out.device.type == "cuda"
    cpu = probability.gaussian_log_prob(x.cpu(), torch.zeros(3), torch.eye(3))
    torch.testing.assert_close(out.cpu(), cpu)
