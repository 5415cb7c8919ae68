"""pyproject.toml and environment.yml describe the same environment; the package ships its data."""
import re
import tomllib
from importlib import resources

import yaml

from ._course import REPO

CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name
NOT_PACKAGES = {"python", "pip"}


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    with open(REPO / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    pip = dict(_split(r) for r in project["dependencies"] + project["optional-dependencies"]["course"])
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = {}
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            assert entry.get("pip") == ["-e ."], "the pip section should only install course_lib itself"
            continue
        name, spec = _split(entry)
        if name not in NOT_PACKAGES:
            conda[CONDA_NAMES.get(name, name)] = spec
    assert conda == pip


def test_torch_is_not_pinned_from_above():
    """An installed torch (Colab's CUDA build) must satisfy the requirement and be kept."""
    with open(REPO / "pyproject.toml", "rb") as f:
        deps = dict(_split(r) for r in tomllib.load(f)["project"]["dependencies"])
    assert deps["torch"].startswith(">=") and "<" not in deps["torch"]


def test_old_faithful_is_shipped_in_the_package():
    assert (resources.files("course_lib") / "data" / "old_faithful.csv").is_file()
