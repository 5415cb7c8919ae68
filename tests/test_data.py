"""Tests for course_lib.data: toy samplers, small data sets, the IDX reader and MNIST loader.

No test touches the network (``urlopen`` is replaced for every test) or the real cache
(``DGM_CACHE_DIR`` points into ``tmp_path``).
"""
from __future__ import annotations

import gzip
import hashlib
import io
import math
import struct
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch

from course_lib import data
from course_lib.data import idx

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MNIST_LABEL_COUNTS = {
    "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}
NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


# ---------------------------------------------------------------------------------------
# Helpers and fixtures
# ---------------------------------------------------------------------------------------
CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
         np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``."""
    code = CODES[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool | None = None) -> Path:
    content = idx_bytes(array)
    gz = path.name.endswith(".gz") if gz is None else gz
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(content, mtime=0) if gz else content)
    return path


def fake_split(n: int, label: int | None = None, seed: int = 0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.full(n, label) if label is not None else np.arange(n) % 10).astype(np.uint8)
    return images, labels


def write_fake_mnist(folder: Path, label: int | None = None, gz: bool = True,
                     sizes=(("train", 10), ("test", 5))) -> dict:
    """Write small MNIST-format files into ``folder``; return the arrays by split."""
    arrays = {}
    suffix = ".gz" if gz else ""
    for split, n in sizes:
        images, labels = fake_split(n, label, seed=len(split))
        image_name, label_name = NAMES[split]
        write_idx(folder / f"{image_name}{suffix}", images)
        write_idx(folder / f"{label_name}{suffix}", labels)
        arrays[split] = (images, labels)
    return arrays


class Network:
    """Stands in for ``urllib.request.urlopen``: records URLs and answers from a table."""

    def __init__(self, responses=None):
        self.responses = responses or {}
        self.urls = []

    def __call__(self, request, timeout=None):
        url = request.full_url if isinstance(request, urllib.request.Request) else request
        self.urls.append(url)
        assert timeout is not None and timeout > 0, "downloads must use a timeout"
        answer = self.responses.get(url)
        if answer is None:
            raise urllib.error.URLError("network disabled in tests")
        return io.BytesIO(answer)


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No network, no real cache, no inherited DGM_DATA_DIR, fresh checksum verdicts."""
    network = Network()
    monkeypatch.setattr(urllib.request, "urlopen", network)
    monkeypatch.delenv("DGM_DATA_DIR", raising=False)
    monkeypatch.setenv("DGM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(idx, "_VERIFIED", set())
    return network


@pytest.fixture
def fake_checksums(monkeypatch):
    """Replace MNIST's checksums with those of the fake data (seeded as write_fake_mnist)."""
    table = {}
    for split, n in (("train", 10), ("test", 5)):
        images, labels = fake_split(n, seed=len(split))
        for name, array in zip(NAMES[split], (images, labels)):
            digest = hashlib.sha256(idx_bytes(array)).hexdigest()
            table[name] = idx._Checksum("sha256", digest, "uncompressed")
    monkeypatch.setitem(idx._CHECKSUMS, "mnist", table)
    return table


# ---------------------------------------------------------------------------------------
# read_idx
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(7, dtype=np.uint8),
        np.arange(12, dtype=np.uint8).reshape(3, 4) * 20,
        np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
        np.array([-128, -1, 0, 127], dtype=np.int8),
        np.array([[-30000, 1], [2, 30000]], dtype=np.int16),
        np.array([-(2**31), -1, 0, 1, 2**31 - 1], dtype=np.int32),
        np.linspace(-1, 1, 30, dtype=np.float32).reshape(2, 3, 5),
        np.array([[math.pi, -math.e]], dtype=np.float64),
    ],
    ids=["u8-1d", "u8-2d", "u8-3d", "i8", "i16", "i32", "f32-3d", "f64"],
)
def test_read_idx_round_trip(tmp_path, array, gz):
    path = write_idx(tmp_path / ("x.idx.gz" if gz else "x.idx"), array)
    tensor = data.read_idx(path)
    assert isinstance(tensor, torch.Tensor)
    assert tensor.shape == array.shape
    assert tensor.dtype == torch.from_numpy(array).dtype
    np.testing.assert_array_equal(tensor.numpy(), array)


def test_read_idx_detects_gzip_by_content(tmp_path):
    array = np.arange(5, dtype=np.int32)
    plain_named_gz = write_idx(tmp_path / "a.gz", array, gz=False)
    gz_named_plain = write_idx(tmp_path / "b", array, gz=True)
    for path in (plain_named_gz, gz_named_plain, str(gz_named_plain)):
        np.testing.assert_array_equal(data.read_idx(path).numpy(), array)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"\x01\x00\x08\x01" + struct.pack(">I", 2) + b"ab", "bad magic number"),
        (b"\x00\x00\x07\x01" + struct.pack(">I", 2) + b"ab", "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 2), "truncated"),
        (b"\x00\x00", "shorter than the header"),
        (b"\x00\x00\x08\x02" + struct.pack(">II", 2, 3) + bytes(5), "truncated"),
        (b"\x00\x00\x0d\x01" + struct.pack(">I", 2) + bytes(9), "trailing bytes"),
    ],
    ids=["magic", "type-code", "short-header", "tiny", "short-data", "trailing"],
)
def test_read_idx_rejects_bad_files(tmp_path, content, match):
    path = tmp_path / "broken-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        data.read_idx(path)
    assert "broken-idx1-ubyte" in str(info.value)


def test_read_idx_rejects_truncated_gzip(tmp_path):
    good = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
    path = tmp_path / "cut.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="cut.gz.*(damaged|truncated)"):
        data.read_idx(path)


# ---------------------------------------------------------------------------------------
# load_mnist on fake folders
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_fake_folder(tmp_path, fake_checksums, gz):
    arrays = write_fake_mnist(tmp_path / "mine", gz=gz)
    for split, n in (("train", 10), ("test", 5)):
        images, labels = data.load_mnist(split, data_dir=tmp_path / "mine", download=False)
        assert images.shape == (n, 28, 28) and images.dtype == torch.uint8
        assert labels.shape == (n,) and labels.dtype == torch.int64
        np.testing.assert_array_equal(images.numpy(), arrays[split][0])
        np.testing.assert_array_equal(labels.numpy(), arrays[split][1])


def test_load_mnist_normalize(tmp_path, fake_checksums):
    arrays = write_fake_mnist(tmp_path)
    images, _ = data.load_mnist(data_dir=tmp_path, normalize=True)
    assert images.dtype == torch.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    torch.testing.assert_close(images * 255, torch.from_numpy(arrays["train"][0]).float())


def test_search_order_data_dir_then_env_then_cache(tmp_path, monkeypatch):
    write_fake_mnist(tmp_path / "arg", label=1)
    write_fake_mnist(tmp_path / "env" / "mnist", label=2)  # the <kind>/ subfolder
    write_fake_mnist(tmp_path / "cache" / "mnist", label=3)
    monkeypatch.setenv("DGM_DATA_DIR", str(tmp_path / "env"))

    def label_of(**kwargs):
        return int(data.load_mnist(download=False, verify=False, **kwargs)[1][0])

    assert label_of(data_dir=tmp_path / "arg") == 1
    assert label_of(data_dir=tmp_path / "empty") == 2  # missing data_dir: fall through
    assert label_of() == 2
    monkeypatch.delenv("DGM_DATA_DIR")
    assert label_of() == 3


def test_env_folder_itself_and_subfolder(tmp_path, monkeypatch):
    write_fake_mnist(tmp_path / "flat", label=4, gz=False)
    monkeypatch.setenv("DGM_DATA_DIR", str(tmp_path / "flat"))
    assert int(data.load_mnist(download=False, verify=False)[1][0]) == 4
    write_fake_mnist(tmp_path / "flat" / "mnist", label=5)  # the subfolder wins
    assert int(data.load_mnist(download=False, verify=False)[1][0]) == 5


def test_fashion_mnist_uses_its_own_subfolder_and_md5(tmp_path, monkeypatch):
    write_fake_mnist(tmp_path / "mnist", label=1)
    arrays = write_fake_mnist(tmp_path / "fashion_mnist", label=7)
    table = {
        path.name[:-3]: idx._Checksum("md5", hashlib.md5(path.read_bytes()).hexdigest(), "gz")
        for path in (tmp_path / "fashion_mnist").glob("*.gz")
    }
    monkeypatch.setitem(idx._CHECKSUMS, "fashion_mnist", table)
    monkeypatch.setenv("DGM_DATA_DIR", str(tmp_path))
    images, labels = data.load_fashion_mnist("test", download=False)
    assert labels.tolist() == [7] * 5
    np.testing.assert_array_equal(images.numpy(), arrays["test"][0])


def test_checksum_mismatch_is_reported(tmp_path):
    # Fake files checked against the real MNIST checksums.
    write_fake_mnist(tmp_path)
    with pytest.raises(data.ChecksumError) as info:
        data.load_mnist("test", data_dir=tmp_path)
    message = str(info.value)
    assert str(tmp_path / "t10k-images-idx3-ubyte.gz") in message
    assert "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7" in message
    actual = hashlib.sha256(idx_bytes(fake_split(5, seed=4)[0])).hexdigest()
    assert actual in message
    assert "delete the file" in message
    # verify=False skips the check
    assert data.load_mnist("test", data_dir=tmp_path, verify=False)[0].shape == (5, 28, 28)


def test_checksum_verdict_is_cached(tmp_path, fake_checksums, monkeypatch):
    write_fake_mnist(tmp_path)
    data.load_mnist(data_dir=tmp_path)
    assert len(idx._VERIFIED) == 2

    def no_hashing(*args, **kwargs):
        raise AssertionError("hashed a file twice")

    monkeypatch.setattr(idx.hashlib, "new", no_hashing)
    data.load_mnist(data_dir=tmp_path)


def test_mismatched_image_and_label_counts(tmp_path):
    write_fake_mnist(tmp_path, sizes=(("train", 10),))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(9, dtype=np.uint8))
    with pytest.raises(ValueError, match="expected 10 labels"):
        data.load_mnist(data_dir=tmp_path, verify=False)


# ---------------------------------------------------------------------------------------
# Downloads (all served by the fake network)
# ---------------------------------------------------------------------------------------
def test_download_tries_mirrors_and_caches(tmp_path, isolated, fake_checksums):
    arrays = write_fake_mnist(tmp_path / "server")
    first, second = idx._MIRRORS["mnist"]
    for name in NAMES["test"]:
        served = (tmp_path / "server" / f"{name}.gz").read_bytes()
        isolated.responses[second + name + ".gz"] = served

    images, labels = data.load_mnist("test")
    np.testing.assert_array_equal(labels.numpy(), arrays["test"][1])
    assert isolated.urls[0] == first + "t10k-images-idx3-ubyte.gz"  # first mirror first
    cache = tmp_path / "cache" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]  # no temporary files left

    n_requests = len(isolated.urls)
    data.load_mnist("test")
    assert len(isolated.urls) == n_requests  # served from the cache


def test_download_with_wrong_checksum_is_discarded(tmp_path, isolated):
    write_fake_mnist(tmp_path / "server")
    for mirror in idx._MIRRORS["mnist"]:
        for name in NAMES["test"]:
            isolated.responses[mirror + name + ".gz"] = (
                tmp_path / "server" / f"{name}.gz").read_bytes()
    with pytest.raises(data.DatasetUnavailableError, match="checksum"):
        data.load_mnist("test")  # real checksums, fake content
    assert list((tmp_path / "cache" / "mnist").iterdir()) == []


# ---------------------------------------------------------------------------------------
# Offline behaviour
# ---------------------------------------------------------------------------------------
def test_offline_error_explains_everything(tmp_path, isolated, monkeypatch):
    monkeypatch.setenv("DGM_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.load_mnist(data_dir=tmp_path / "mine")
    assert isinstance(info.value, RuntimeError)
    message = str(info.value)
    for expected in [
        "MNIST", "train-images-idx3-ubyte", "DGM_DATA_DIR", "load_digits",
        str(tmp_path / "mine"), str(tmp_path / "nowhere" / "mnist"),
        str(tmp_path / "cache" / "mnist"), "network disabled in tests",
        *idx._MIRRORS["mnist"],
    ]:
        assert expected in message, expected
    assert isolated.urls  # it did try


def test_download_false_does_not_touch_network(isolated):
    with pytest.raises(data.DatasetUnavailableError, match="DGM_DATA_DIR") as info:
        data.load_mnist("test", kind="fashion_mnist", download=False)
    assert "Fashion-MNIST" in str(info.value) and "download=False" in str(info.value)
    assert isolated.urls == []


@pytest.mark.parametrize("split, n", [("train", 1500), ("test", 297)])
def test_load_mnist_or_digits_falls_back(split, n):
    with pytest.warns(RuntimeWarning, match="digits") as record:
        result = data.load_mnist_or_digits(split)
    assert len(record) == 1 and "\n" not in str(record[0].message)
    images, labels, name = result
    assert name == "digits" == result.name
    assert images.shape == (n, 8, 8) and images.dtype == torch.float32
    assert labels.shape == (n,) and labels.dtype == torch.int64


def test_load_mnist_or_digits_prefers_mnist(tmp_path, fake_checksums, recwarn):
    write_fake_mnist(tmp_path)
    result = data.load_mnist_or_digits("test", data_dir=tmp_path)
    assert result.name == "mnist"
    assert result.images.shape == (5, 28, 28) and result.images.dtype == torch.float32
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"split": "val"}, "split must be 'train' or 'test', got 'val'"),
        ({"kind": "emnist"}, "kind must be"),
        ({"download": "yes"}, "download must be True or False"),
        ({"normalize": 1}, "normalize must be True or False"),
        ({"data_dir": 3}, "data_dir must be a folder path"),
    ],
)
def test_load_mnist_validates_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.load_mnist(**kwargs)


# ---------------------------------------------------------------------------------------
# The real MNIST files in ../shared/data/mnist
# ---------------------------------------------------------------------------------------
@pytest.fixture
def real_mnist_dir():
    folder = SHARED_DATA / "mnist"
    if not (folder / "t10k-labels-idx1-ubyte.gz").is_file():
        pytest.skip(f"no real MNIST copy at {folder}")
    return folder


@pytest.mark.parametrize("split, n", [("train", 60000), ("test", 10000)])
def test_real_mnist(real_mnist_dir, split, n):
    images, labels = data.load_mnist(split, data_dir=real_mnist_dir, download=False)  # verifies
    assert images.shape == (n, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (n,) and labels.dtype == torch.int64
    assert torch.bincount(labels, minlength=10).tolist() == MNIST_LABEL_COUNTS[split]
    assert images.max() == 255 and images.min() == 0


def test_real_mnist_through_env_variable(real_mnist_dir, monkeypatch, isolated):
    monkeypatch.setenv("DGM_DATA_DIR", str(SHARED_DATA))  # finds the mnist/ subfolder
    images, labels, name = data.load_mnist_or_digits("test")
    assert name == "mnist" and images.shape == (10000, 28, 28)
    assert images.dtype == torch.float32 and float(images.max()) == 1.0
    assert isolated.urls == []


# ---------------------------------------------------------------------------------------
# Toy samplers
# ---------------------------------------------------------------------------------------
SAMPLERS = [data.ring_of_gaussians, data.grid_of_gaussians, data.two_moons, data.swiss_roll]


@pytest.mark.parametrize("sampler", SAMPLERS, ids=lambda f: f.__name__)
def test_sampler_shape_dtype_and_seed(sampler):
    rng_state = torch.get_rng_state()
    x = sampler(257, seed=0)
    assert x.shape == (257, 2) and x.dtype == torch.float32
    assert torch.isfinite(x).all()
    assert torch.equal(x, sampler(257, seed=0))
    assert not torch.equal(x, sampler(257, seed=1))
    assert not torch.equal(sampler(257), sampler(257))  # seed=None: fresh points
    assert torch.equal(torch.get_rng_state(), rng_state)  # global state untouched
    x64 = sampler(10, seed=3, dtype=torch.float64, device="cpu")
    assert x64.dtype == torch.float64 and x64.device.type == "cpu"
    torch.testing.assert_close(x64.float(), sampler(10, seed=3))


@pytest.mark.parametrize("sampler", SAMPLERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "n must be a positive integer, got 0"),
        ({"n": -3}, "n must be a positive integer"),
        ({"n": 2.5}, "n must be a positive integer"),
        ({"n": True}, "n must be a positive integer"),
        ({"n": 5, "seed": "a"}, "seed must be an integer or None"),
        ({"n": 5, "dtype": torch.int64}, "dtype must be a floating-point"),
    ],
)
def test_sampler_rejects_bad_input(sampler, kwargs, match):
    with pytest.raises(ValueError, match=match):
        sampler(**kwargs)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: data.ring_of_gaussians(5, std=-0.1), "std must be a non-negative"),
        (lambda: data.ring_of_gaussians(5, n_modes=0), "n_modes must be a positive integer"),
        (lambda: data.ring_of_gaussians(5, radius=float("nan")), "radius must be a positive"),
        (lambda: data.grid_of_gaussians(5, grid_size=2.0), "grid_size must be a positive int"),
        (lambda: data.grid_of_gaussians(5, spacing=0), "spacing must be a positive"),
        (lambda: data.two_moons(5, noise=-1), "noise must be a non-negative"),
        (lambda: data.swiss_roll(5, noise=float("inf")), "noise must be a non-negative"),
        (lambda: data.ring_centres(-1), "n_modes must be a positive integer"),
        (lambda: data.grid_centres(3, spacing=-2), "spacing must be a positive"),
    ],
)
def test_toy_parameter_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_ring_centres_and_samples():
    centres = data.ring_centres(8, 2.0)
    assert centres.shape == (8, 2) and centres.dtype == torch.float32
    torch.testing.assert_close(centres.norm(dim=1), torch.full((8,), 2.0))
    torch.testing.assert_close(centres[0], torch.tensor([2.0, 0.0]))
    torch.testing.assert_close(centres[2], torch.tensor([0.0, 2.0]))

    x = data.ring_of_gaussians(4000, n_modes=8, radius=2.0, std=0.02, seed=0)
    assert (x.norm(dim=1) - 2.0).abs().max() < 0.02 * 6
    nearest = torch.cdist(x, centres).min(dim=1)
    assert nearest.values.max() < 0.02 * 6
    counts = torch.bincount(nearest.indices, minlength=8)
    assert counts.min() > 4000 / 8 * 0.8  # every mode gets its share


def test_grid_centres_and_samples():
    centres = data.grid_centres(5, 2.0)
    assert centres.shape == (25, 2)
    torch.testing.assert_close(centres.mean(dim=0), torch.zeros(2))
    assert sorted(set(centres[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(c) for c in centres.tolist()}) == 25
    assert data.grid_centres(4, 1.0)[:, 0].unique().tolist() == [-1.5, -0.5, 0.5, 1.5]

    x = data.grid_of_gaussians(5000, seed=0)
    nearest = torch.cdist(x, centres).min(dim=1)
    assert nearest.values.max() < 0.05 * 6
    assert torch.bincount(nearest.indices, minlength=25).min() > 5000 / 25 * 0.6


def test_two_moons_geometry():
    x = data.two_moons(1001, noise=0.0, seed=0).double()
    on_upper = (x.norm(dim=1) - 1).abs() < 1e-5
    on_lower = ((x - torch.tensor([1.0, 0.5], dtype=torch.float64)).norm(dim=1) - 1).abs() < 1e-5
    assert (on_upper | on_lower).all()
    assert int(on_upper.sum()) == 500
    assert (x[on_upper, 1] >= -1e-6).all() and (x[on_lower, 1] <= 0.5 + 1e-6).all()


def test_swiss_roll_geometry():
    x = data.swiss_roll(2000, noise=0.0, seed=0).double()
    t = x.norm(dim=1)  # the radius of (t cos t, t sin t) is t
    assert t.min() >= 1.5 * math.pi - 1e-4 and t.max() <= 4.5 * math.pi + 1e-4
    torch.testing.assert_close(x[:, 0], t * torch.cos(t), atol=1e-4, rtol=0)


# ---------------------------------------------------------------------------------------
# Small data sets
# ---------------------------------------------------------------------------------------
def test_load_digits():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == torch.float32
    assert y.shape == (1797,) and y.dtype == torch.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert torch.bincount(y).shape == (10,)
    assert data.load_digits(torch.float64)[0].dtype == torch.float64
    with pytest.raises(ValueError, match="dtype"):
        data.load_digits(torch.uint8)


def test_load_old_faithful():
    x = data.load_old_faithful()
    assert x.shape == (272, 2) and x.dtype == torch.float64
    assert data.OLD_FAITHFUL_COLUMNS == ("eruptions", "waiting")
    mean = x.mean(dim=0)
    assert abs(mean[0].item() - 3.4878) < 1e-3
    assert abs(mean[1].item() - 70.897) < 1e-3
    assert (x[:, 0] > 1).all() and (x[:, 0] < 6).all()  # minutes of eruption
    assert (x[:, 1] > 40).all() and (x[:, 1] < 100).all()  # minutes of waiting
    assert data.load_old_faithful(torch.float32).dtype == torch.float32
    with pytest.raises(ValueError, match="dtype"):
        data.load_old_faithful("float64")


def test_public_names():
    for name in data.__all__:
        assert hasattr(data, name), name
    assert issubclass(data.DatasetUnavailableError, RuntimeError)
    assert data.DATA_DIR_ENV == "DGM_DATA_DIR" and data.CACHE_DIR_ENV == "DGM_CACHE_DIR"
