"""Write the course map in README.md from the notebooks on disk and the repository URL.

The repository URL is defined once, in pyproject.toml ([project.urls] Repository); the Colab
links below and the notebooks' set-up cells are derived from it (tests/test_links.py checks).

    python tools/course_map.py          # print the table
    python tools/course_map.py --write  # replace it in README.md between the markers
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- course-map:begin -->", "<!-- course-map:end -->"

# (number, lecture file stem, title, assignment id) in course order; see COURSE_DESIGN.
UNITS = [
    ("01", "01_probability_basics", "Probability basics: PMF/PDF, sampling, Bayes, MLE and MAP, KL", "a01_probability_kde"),
    ("02", "02_kernel_density_estimation", "Kernel density estimation and bandwidth selection", "a01_probability_kde"),
    ("03", "03_distances_kernels_mmd", "Distances, kernels, MMD and MMD nets", "a02_mmd"),
    ("04", "04_latent_variables_em", "Latent variables and EM for Gaussian mixtures", "a03_em_gmm"),
    ("05", "05_elbo", "The evidence lower bound", "a04_elbo_estimators"),
    ("06", "06_gradient_estimators", "Score-function and reparameterisation gradients", "a04_elbo_estimators"),
    ("07", "07_autoencoders_to_vaes", "From autoencoders to VAEs", "a05_vae"),
    ("08", "08_gans", "Generative adversarial networks", "a06_gans"),
    ("09", "09_wasserstein_gans", "Wasserstein GANs", "a06_gans"),
]


def repository_url() -> str:
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Repository"].rstrip("/")


def colab_install() -> str:
    """The first lines of every notebook's set-up cell: on Colab, pip-install course_lib from
    the repository (tests/test_links.py checks every notebook has them)."""
    return ('# Set-up: works locally and on Colab. On Colab it installs course_lib from the course repository.\n'
            'import sys\n'
            '\n'
            'if "google.colab" in sys.modules:\n'
            '    import subprocess\n'
            '    subprocess.run([sys.executable, "-m", "pip", "install", "-q",\n'
            f'                    "course-lib @ git+{repository_url()}"],\n'
            '                   check=True)\n')


def lecture_setup_cell() -> str:
    """The whole set-up cell of a lecture: the Colab install, then device, seed and quick mode."""
    return colab_install() + ('\n'
                              'import course_lib\n'
                              '\n'
                              'device = course_lib.get_device()\n'
                              'course_lib.seed_everything(0)\n'
                              'QUICK = course_lib.is_quick()\n'
                              'print(f"device: {device}; quick mode: {QUICK}")')


def colab_url(path: str) -> str:
    """Open-in-Colab link for a notebook path relative to the repository root (main branch)."""
    owner_repo = repository_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{owner_repo}/blob/main/{path}"


def _link(path: str) -> str:
    if not (REPO / path).exists():
        return "in preparation"
    return f"[notebook]({path}) · [Colab]({colab_url(path)})"


def table() -> str:
    rows = ["| # | lecture | lecture notebook | graded assignment (student version) |",
            "|---|---|---|---|"]
    for number, stem, title, assignment in UNITS:
        notebooks = sorted((REPO / "assignments" / assignment).glob("*.ipynb"))
        path = notebooks[0].relative_to(REPO).as_posix() if notebooks else f"assignments/{assignment}/{assignment}.ipynb"
        rows.append(f"| {number} | {title} | {_link(f'lectures/{stem}.ipynb')} | `{assignment}`: {_link(path)} |")
    return "\n".join(rows)


def render(readme: str) -> str:
    start, stop = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    return readme[:start] + "\n" + table() + "\n" + readme[stop:]


if __name__ == "__main__":
    if "--write" in sys.argv:
        readme = REPO / "README.md"
        readme.write_text(render(readme.read_text()))
    else:
        print(table())
