"""pyproject.toml and environment.yml describe the same environment; the package ships its data; installing
it on Colab keeps Colab's own packages."""
import os
import re
import subprocess
import sys
import tomllib
from importlib import resources

import pytest
import yaml

from ._course import REPO

CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name
NOT_PACKAGES = {"python", "pip"}


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*(.*)$", requirement).groups()
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


# What a Colab runtime has before the first cell runs, for the packages course_lib needs (as
# reported in googlecolab/colabtools issues and pip logs, 2025-2026; Colab moves them forward
# now and then, ipywidgets has stayed on 7.7.x because Colab's widget front end is built for
# it). Installing course_lib there must change none of them: pip leaves an installed package
# alone exactly when it satisfies the requirement.
COLAB = {"torch": "2.8.0", "numpy": "2.0.2", "scipy": "1.16.1", "matplotlib": "3.10.0",
         "scikit-learn": "1.6.1", "ipywidgets": "7.7.1", "tqdm": "4.67.1"}


def test_installing_on_colab_changes_none_of_its_packages():
    from packaging.requirements import Requirement

    with open(REPO / "pyproject.toml", "rb") as f:
        requirements = [Requirement(r) for r in tomllib.load(f)["project"]["dependencies"]]
    for r in requirements:
        name = r.name.lower()
        if name in COLAB:
            assert r.specifier.contains(COLAB[name], prereleases=True), \
                f"{r} would replace Colab's {name} {COLAB[name]}"
    assert set(COLAB) <= {r.name.lower() for r in requirements}


WIDGET_CODE = r"""
import ipywidgets as widgets, course_lib
assert widgets.__version__.startswith("7.7"), widgets.__version__
seen = []
def show(**kw): seen.append(kw)
controls = dict(n=widgets.IntSlider(value=5, min=1, max=20, step=1),
                s=widgets.FloatLogSlider(value=0.5, base=10, min=-1.5, max=1, step=0.05),
                f=widgets.FloatSlider(value=0.1, min=-2.0, max=1.5, step=0.05, description="log10 sigma"),
                b=widgets.SelectionSlider(options=[0.5, 1.0, 4.0], value=1.0, description="beta"))
widgets.interact(show, **controls)
panel = widgets.interactive(show, **controls)
controls["n"].value = 7
panel.update()
assert seen[-1] == dict(n=7, s=0.5, f=0.1, b=1.0), seen
print("ok", widgets.__version__)
"""


@pytest.mark.slow
def test_lecture_widgets_work_with_colabs_ipywidgets(tmp_path):
    """The widgets the lectures build (interact with Int/Float/FloatLog/Selection sliders) work
    with the ipywidgets Colab ships, installed from PyPI into a folder that shadows ours."""
    target = tmp_path / "colab"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
         f"ipywidgets=={COLAB['ipywidgets']}", "ipython-genutils", "widgetsnbextension~=3.6.0",
         "jupyterlab-widgets~=1.1.0"], capture_output=True, text=True, timeout=300)
    if install.returncode != 0:
        pytest.skip(f"cannot install ipywidgets {COLAB['ipywidgets']} from PyPI here: {install.stderr[-300:]}")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), str(REPO)]), DGM_HEADLESS="0")
    run = subprocess.run([sys.executable, "-c", WIDGET_CODE], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0 and "ok 7.7" in run.stdout, run.stdout + run.stderr
