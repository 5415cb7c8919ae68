"""The repository URL is written once (pyproject.toml); everything else derives from it."""
import importlib.util
import re

import nbformat
import pytest

from ._course import REPO

_spec = importlib.util.spec_from_file_location("course_map", REPO / "tools" / "course_map.py")
course_map = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course_map)

NOTEBOOKS = sorted(p for folder in ("lectures", "solutions", "assignments")
                   for p in (REPO / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_repository_url_is_a_github_url():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", course_map.repository_url())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_setup_cell_installs_from_the_repository_and_picks_a_device(path):
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert f'"course-lib @ git+{course_map.repository_url()}"' in first.source
    assert '"google.colab" in sys.modules' in first.source
    assert "course_lib.get_device()" in first.source
    other_urls = set(re.findall(r"git\+(https://[^\"' ]+)", "\n".join(c.source for c in nb.cells)))
    assert other_urls == {course_map.repository_url()}


def test_readme_course_map_is_current():
    readme = (REPO / "README.md").read_text()
    assert course_map.render(readme) == readme, "run `python tools/course_map.py --write`"
    for path in NOTEBOOKS:
        rel = path.relative_to(REPO).as_posix()
        if not rel.startswith("solutions/"):
            assert course_map.colab_url(rel) in readme, f"{rel} has no Colab link in README.md"
