"""IDX files, and MNIST / Fashion-MNIST with download, checksums and a local cache.

Where :func:`load_mnist` looks for the four IDX files, in order (in each folder, first the
``<kind>/`` subfolder — ``mnist/`` or ``fashion_mnist/`` — then the folder itself; each file
either gzipped, ``name.gz``, or plain, ``name``):

1. the ``data_dir`` argument;
2. the folder in the environment variable ``DGM_DATA_DIR``;
3. the cache, ``$DGM_CACHE_DIR/<kind>/`` (default ``~/.cache/dgm-course/<kind>/``).

Files missing everywhere are downloaded into the cache (``download=True``, the default).
Every file is checked against its published checksum, once per process. Without a local
copy and without network, :class:`DatasetUnavailableError` explains what was tried and how
to fix it; notebooks can then fall back to :func:`course_lib.data.load_digits` (or call
:func:`load_mnist_or_digits`, which does so with a warning).
"""
from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import struct
import sys
import tempfile
import urllib.error
import urllib.request
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

__all__ = [
    "read_idx",
    "load_mnist",
    "load_fashion_mnist",
    "load_mnist_or_digits",
    "ImageDataset",
    "DatasetUnavailableError",
    "ChecksumError",
    "DATA_DIR_ENV",
    "CACHE_DIR_ENV",
]

DATA_DIR_ENV = "DGM_DATA_DIR"
CACHE_DIR_ENV = "DGM_CACHE_DIR"
_DEFAULT_CACHE = "~/.cache/dgm-course"
DOWNLOAD_TIMEOUT = 30.0  # seconds, per request
_USER_AGENT = "course_lib (Deep Generative Models course)"


class DatasetUnavailableError(RuntimeError):
    """No local copy of a data set was found and it could not be downloaded."""


class ChecksumError(RuntimeError):
    """A data file does not match its published checksum (damaged or a different file)."""


# ---------------------------------------------------------------------------------------
# The IDX format
# ---------------------------------------------------------------------------------------
# type code -> (big-endian NumPy dtype of the stored data, torch dtype returned)
_IDX_DTYPES = {
    0x08: (np.dtype(">u1"), torch.uint8),
    0x09: (np.dtype(">i1"), torch.int8),
    0x0B: (np.dtype(">i2"), torch.int16),
    0x0C: (np.dtype(">i4"), torch.int32),
    0x0D: (np.dtype(">f4"), torch.float32),
    0x0E: (np.dtype(">f8"), torch.float64),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | os.PathLike) -> torch.Tensor:
    """Read an IDX file (the format of MNIST), gzipped or not.

    The format: two zero bytes, a type code (``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16,
    ``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64), the number of dimensions ``d``,
    then ``d`` big-endian uint32 sizes, then the data in big-endian, row-major order.
    A gzip-compressed file (recognised by its content, whatever its name) is decompressed.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    Tensor of shape (n_1, ..., n_d)
        With the dtype given by the type code, in native byte order.

    Raises
    ------
    ValueError
        If the file is not a valid IDX file (bad magic number, unknown type code, truncated
        or damaged file, trailing bytes); the message names the file.
    FileNotFoundError
        If there is no such file.
    """
    path = Path(path)
    _, content = _read_bytes(path)
    return _parse_idx(content, path)


def _read_bytes(path: Path) -> tuple[bytes, bytes]:
    """The bytes of the file and its (decompressed) content."""
    raw = path.read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw, raw
    try:
        return raw, gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path}: damaged or truncated gzip file ({error})") from None


def _parse_idx(content: bytes, source: Path) -> torch.Tensor:
    if len(content) < 4:
        raise ValueError(
            f"{source}: not an IDX file (only {len(content)} bytes, shorter than the header)"
        )
    if content[:2] != b"\x00\x00":
        raise ValueError(
            f"{source}: not an IDX file (bad magic number 0x{content[:4].hex()}; "
            "an IDX file starts with two zero bytes)"
        )
    code, ndim = content[2], content[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise ValueError(f"{source}: unknown IDX type code 0x{code:02X} (known: {known})")
    np_dtype, torch_dtype = _IDX_DTYPES[code]
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise ValueError(
            f"{source}: truncated IDX file (the header of a {ndim}-D array needs "
            f"{header_size} bytes, the file has {len(content)})"
        )
    shape = struct.unpack(f">{ndim}I", content[4:header_size])
    count = math.prod(shape)
    expected = count * np_dtype.itemsize
    actual = len(content) - header_size
    if actual != expected:
        problem = "truncated IDX file" if actual < expected else "IDX file with trailing bytes"
        raise ValueError(
            f"{source}: {problem} (shape {shape} of {np_dtype.name} needs {expected} data "
            f"bytes, found {actual})"
        )
    array = np.frombuffer(content, dtype=np_dtype, count=count, offset=header_size)
    array = array.astype(np_dtype.newbyteorder("="), copy=True).reshape(shape)
    return torch.from_numpy(array).to(torch_dtype)


# ---------------------------------------------------------------------------------------
# MNIST and Fashion-MNIST: files, mirrors and checksums
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Checksum:
    algorithm: str  # a hashlib name
    digest: str  # lowercase hex
    of: str  # "uncompressed": hash of the IDX content after gunzip; "gz": of the .gz bytes


_TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}

_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# Tried in order; each file is fetched as <mirror><name>.gz.
_MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion_mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ),
}

_CHECKSUMS = {
    # MNIST: SHA-256 of the *uncompressed* IDX content. The .gz bytes differ between
    # mirrors (different gzip headers), the content does not.
    "mnist": {
        "train-images-idx3-ubyte": _Checksum(
            "sha256", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "uncompressed"),
        "train-labels-idx1-ubyte": _Checksum(
            "sha256", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "uncompressed"),
        "t10k-images-idx3-ubyte": _Checksum(
            "sha256", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "uncompressed"),
        "t10k-labels-idx1-ubyte": _Checksum(
            "sha256", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            "uncompressed"),
    },
    # Fashion-MNIST: MD5 of the *.gz files*, as published in the README of
    # github.com/zalandoresearch/fashion-mnist. An uncompressed local copy cannot be
    # checked against these and is accepted unverified.
    "fashion_mnist": {
        "train-images-idx3-ubyte": _Checksum("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "gz"),
        "train-labels-idx1-ubyte": _Checksum("md5", "25c81989df183df01b3e8a0aad5dffbe", "gz"),
        "t10k-images-idx3-ubyte": _Checksum("md5", "bef4ecab320f06d8554ea6380940ec79", "gz"),
        "t10k-labels-idx1-ubyte": _Checksum("md5", "bb300cfdad3c16e7a12a480ee83cd310", "gz"),
    },
}

# Files that already passed their checksum in this process: (path, size, mtime_ns, kind).
_VERIFIED: set[tuple[str, int, int, str]] = set()


def _check_choice(value, name: str, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        options = " or ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be {options}, got {value!r}")
    return value


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_dir(value, name: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)) or str(value) == "":
        raise ValueError(f"{name} must be a folder path (str or Path) or None, got {value!r}")
    return Path(value).expanduser()


def cache_root() -> Path:
    """The download cache: ``$DGM_CACHE_DIR``, else ``~/.cache/dgm-course``."""
    return Path(os.environ.get(CACHE_DIR_ENV) or _DEFAULT_CACHE).expanduser()


def _cache_dir(kind: str) -> Path:
    return cache_root() / kind


def _search_dirs(kind: str, data_dir: Path | None) -> list[tuple[Path, str]]:
    """Folders to search, in order, each with a note on where it comes from."""
    candidates = []
    if data_dir is not None:
        candidates += [(data_dir / kind, "data_dir argument"), (data_dir, "data_dir argument")]
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        env_dir = Path(env).expanduser()
        candidates += [(env_dir / kind, DATA_DIR_ENV), (env_dir, DATA_DIR_ENV)]
    candidates.append((_cache_dir(kind), f"cache; {CACHE_DIR_ENV} moves it"))
    seen, unique = set(), []
    for folder, origin in candidates:
        if folder not in seen:
            seen.add(folder)
            unique.append((folder, origin))
    return unique


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def _base_name(path: Path) -> str:
    return path.name[:-3] if path.name.endswith(".gz") else path.name


def _verdict_key(path: Path, kind: str) -> tuple[str, int, int, str]:
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns, kind)


def _check_digest(
    source: str,
    kind: str,
    name: str,
    raw: bytes,
    content: bytes,
    advice: str = (
        "MNIST and Fashion-MNIST use the same file names: keep them in separate mnist/ and "
        "fashion_mnist/ subfolders. Otherwise delete the file and call again to download "
        "a fresh copy."
    ),
) -> None:
    """Raise :class:`ChecksumError` if the data of file ``name`` differ from the published."""
    checksum = _CHECKSUMS.get(kind, {}).get(name)
    if checksum is None:
        return
    if checksum.of == "gz":
        if raw[:2] != _GZIP_MAGIC:
            return  # an uncompressed copy: the published digest is of the .gz file
        data, what = raw, "the .gz file"
    else:
        data, what = content, "the uncompressed content"
    actual = hashlib.new(checksum.algorithm, data, usedforsecurity=False).hexdigest()
    if actual != checksum.digest:
        raise ChecksumError(
            f"{source}: {checksum.algorithm.upper()} checksum of {what} does not match "
            f"{_TITLES[kind]}'s {name}: expected {checksum.digest}, got {actual}. The file is "
            f"damaged or belongs to a different data set. {advice}"
        )


def _verify(path: Path, kind: str, raw: bytes, content: bytes) -> None:
    """Check a local file against its checksum, hashing each file once per process."""
    key = _verdict_key(path, kind)
    if key not in _VERIFIED:
        _check_digest(str(path), kind, _base_name(path), raw, content)
        _VERIFIED.add(key)


def _load_file(path: Path, kind: str, verify: bool) -> torch.Tensor:
    raw, content = _read_bytes(path)
    if verify:
        _verify(path, kind, raw, content)
    return _parse_idx(content, path)


def _fetch(url: str, dest: Path, kind: str, verify: bool) -> None:
    """Download ``url`` to ``dest`` atomically (temporary file, check, then rename)."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
                shutil.copyfileobj(response, out, 1 << 20)
        raw, content = _read_bytes(tmp)  # ValueError if not a complete gzip file
        if verify:
            _check_digest(
                "downloaded file", kind, _base_name(dest), raw, content,
                advice="The download was discarded.",
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _download(kind: str, name: str, cache: Path, verify: bool, failures: list[str]) -> Path | None:
    dest = cache / f"{name}.gz"
    for mirror in _MIRRORS[kind]:
        url = f"{mirror}{name}.gz"
        print(f"Downloading {_TITLES[kind]} {name}.gz from {url}", file=sys.stderr, flush=True)
        try:
            _fetch(url, dest, kind, verify)
        except (OSError, ValueError, ChecksumError) as error:  # URLError is an OSError
            failures.append(f"{url}: {type(error).__name__}: {error}")
            continue
        if verify:
            _VERIFIED.add(_verdict_key(dest, kind))  # checked before the rename
        return dest
    return None


def _unavailable(
    kind: str,
    split: str,
    missing: list[str],
    searched: list[tuple[Path, str]],
    failures: list[str] | None,
) -> DatasetUnavailableError:
    title = _TITLES[kind]
    all_files = ", ".join(f"{n}.gz" for names in _FILES.values() for n in names)
    lines = [
        f"{title} ({split} split) is not available: "
        f"{' and '.join(missing)} (.gz or uncompressed) not found.",
        "Searched folders, in order:",
        *(f"  - {folder}  ({origin})" for folder, origin in searched),
    ]
    if failures is None:
        lines.append("Download was not attempted (download=False).")
    else:
        lines.append("Download failed; mirrors tried:")
        lines += [f"  - {failure}" for failure in failures]
    lines += [
        "How to fix it: set the environment variable "
        f"{DATA_DIR_ENV} to a folder holding the four IDX files ({all_files}; gzipped or "
        f"not, directly or in a '{kind}/' subfolder), or pass data_dir=..., or connect to the "
        "network and call again with download=True.",
        "Notebooks can fall back to course_lib.data.load_digits() (8x8 digits, no download), "
        "or use load_mnist_or_digits(), which does that automatically.",
    ]
    return DatasetUnavailableError("\n".join(lines))


def _locate(kind, split, data_dir, download, verify) -> list[Path]:
    names = _FILES[split]
    searched = _search_dirs(kind, data_dir)
    for folder, _ in searched:
        found = [_find(folder, name) for name in names]
        if all(found):
            return found
    if not download:
        raise _unavailable(kind, split, list(names), searched, None)
    cache = _cache_dir(kind)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _unavailable(
            kind, split, list(names), searched, [f"cannot create the cache folder: {error}"]
        ) from error
    paths, failures = [], []
    for name in names:
        path = _find(cache, name) or _download(kind, name, cache, verify, failures)
        if path is None:
            missing = [n for n in names if _find(cache, n) is None]
            raise _unavailable(kind, split, missing, searched, failures)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------------------
# Public loaders
# ---------------------------------------------------------------------------------------
def load_mnist(
    split: str = "train",
    *,
    kind: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    normalize: bool = False,
    verify: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load MNIST (or Fashion-MNIST) from a local copy, downloading it if needed.

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test images.
    kind : {"mnist", "fashion_mnist"}
        Handwritten digits, or Zalando's clothing images (same format and sizes).
    data_dir : str or path-like, optional
        Folder searched first (then ``$DGM_DATA_DIR``, then the cache; see the module
        docstring).
    download : bool
        Download missing files into the cache (``$DGM_CACHE_DIR/<kind>``, by default
        ``~/.cache/dgm-course/<kind>``).
    normalize : bool
        Return float32 images in [0, 1] instead of uint8 in 0..255.
    verify : bool
        Check every file against its published checksum (once per file and process).

    Returns
    -------
    images : Tensor of shape (N, 28, 28)
        uint8, or float32 in [0, 1] if ``normalize``.
    labels : Tensor of shape (N,), int64
        Class labels 0..9.

    Raises
    ------
    DatasetUnavailableError
        No local copy and the download failed or was not allowed.
    ChecksumError
        A file does not match its checksum (delete it and retry).
    ValueError
        Bad arguments, or a file that is not valid IDX data.
    """
    split = _check_choice(split, "split", tuple(_FILES))
    kind = _check_choice(kind, "kind", tuple(_TITLES))
    data_dir = _check_dir(data_dir, "data_dir")
    download = _check_bool(download, "download")
    normalize = _check_bool(normalize, "normalize")
    verify = _check_bool(verify, "verify")

    image_path, label_path = _locate(kind, split, data_dir, download, verify)
    images = _load_file(image_path, kind, verify)
    labels = _load_file(label_path, kind, verify)
    if images.dtype != torch.uint8 or images.ndim != 3 or tuple(images.shape[1:]) != (28, 28):
        raise ValueError(
            f"{image_path}: expected uint8 images of shape (N, 28, 28), got "
            f"{images.dtype} of shape {tuple(images.shape)}"
        )
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(
            f"{label_path}: expected {len(images)} labels to match {image_path.name}, got "
            f"shape {tuple(labels.shape)}"
        )
    labels = labels.to(torch.int64)
    if normalize:
        images = images.to(torch.float32) / 255.0
    return images, labels


def load_fashion_mnist(
    split: str = "train",
    *,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    normalize: bool = False,
    verify: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load Fashion-MNIST: ``load_mnist(split, kind="fashion_mnist", ...)``.

    Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
    7 Sneaker, 8 Bag, 9 Ankle boot. See :func:`load_mnist` for the parameters and returns.
    """
    return load_mnist(
        split, kind="fashion_mnist", data_dir=data_dir, download=download,
        normalize=normalize, verify=verify,
    )


class ImageDataset(NamedTuple):
    """Images with labels, and the name of the data set they come from."""

    images: torch.Tensor  #: (N, H, W) float32 in [0, 1]
    labels: torch.Tensor  #: (N,) int64
    name: str  #: "mnist", "fashion_mnist" or "digits"


_DIGITS_TRAIN_SIZE = 1500  # the fallback's "train" split; "test" is the remaining 297


def load_mnist_or_digits(
    split: str = "train",
    *,
    kind: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
) -> ImageDataset:
    """MNIST (or Fashion-MNIST) if it can be had, otherwise scikit-learn's 8×8 digits.

    For notebooks that must run anywhere: when :func:`load_mnist` raises
    :class:`DatasetUnavailableError`, a one-line warning is issued and the digits are
    returned instead. Check ``result.name`` (or the image size) to adapt the model.

    Parameters
    ----------
    split : {"train", "test"}
        For the digits fallback: the first 1,500 images, or the remaining 297.
    kind, data_dir, download
        As in :func:`load_mnist`.

    Returns
    -------
    ImageDataset
        ``(images, labels, name)``: images float32 in [0, 1] of shape (N, 28, 28) for
        MNIST / Fashion-MNIST or (N, 8, 8) for the digits; labels int64 of shape (N,);
        name ``"mnist"``, ``"fashion_mnist"`` or ``"digits"``.
    """
    split = _check_choice(split, "split", tuple(_FILES))
    kind = _check_choice(kind, "kind", tuple(_TITLES))
    try:
        images, labels = load_mnist(
            split, kind=kind, data_dir=data_dir, download=download, normalize=True
        )
        return ImageDataset(images, labels, kind)
    except DatasetUnavailableError:
        warnings.warn(
            f"{_TITLES[kind]} is not available (no local copy, download failed or disabled); "
            f"using scikit-learn's 8x8 digits instead - set {DATA_DIR_ENV} to a folder with "
            f"the {_TITLES[kind]} IDX files, or call load_mnist() to see the full reason.",
            RuntimeWarning,
            stacklevel=2,
        )
    from .small import load_digits

    X, y = load_digits()
    part = slice(None, _DIGITS_TRAIN_SIZE) if split == "train" else slice(_DIGITS_TRAIN_SIZE, None)
    return ImageDataset(X[part].reshape(-1, 8, 8), y[part], "digits")
