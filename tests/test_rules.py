"""The answer rules: what the reader flags, what it must not flag, and that every assignment states
exactly the rules the grader enforces (course_lib.autograde.rules is their one source)."""
from __future__ import annotations

import json
import sys

import nbformat
import pytest

from course_lib.autograde import rules
from course_lib.autograde.rules import FORBIDDEN, read_answers
from course_lib.grading import GradingError, check_answer_rules

from ._course import ASSIGNMENTS, REPO, SOLUTIONS, assignment_ids, read_notebooks

sys.path.insert(0, str(REPO / "tools"))
import assignment_rules  # noqa: E402

SETUP = "import math\nimport torch\nimport numpy as np\nfrom course_lib.grading import check_close, check_shape\n"


def _cells(*answers: str, setup: str = SETUP) -> list[dict]:
    cells = [{"cell_type": "code", "source": setup, "metadata": {"nbgrader": {"grade_id": "setup", "locked": True}}}]
    for i, source in enumerate(answers):
        cells.append({"cell_type": "code", "source": source,
                      "metadata": {"nbgrader": {"grade_id": f"answer{i}", "solution": True}}})
    return cells


def _kinds(*answers: str, assignment: str = "a01_probability_kde") -> list[tuple[str, str]]:
    return [(f.kind, f.what) for f in read_answers(_cells(*answers), assignment)]


@pytest.mark.parametrize("source, what", [
    ("from scipy.stats import norm\ndef f(x):\n    return norm.logpdf(x)", "uses scipy.stats.norm"),
    ("import scipy.stats as st\ndef f(x):\n    return st.norm.logpdf(x)", "uses scipy.stats.norm.logpdf"),
    ("def f(x, m, c):\n    return torch.distributions.MultivariateNormal(m, c).log_prob(x)",
     "uses torch.distributions.MultivariateNormal"),
    ("from course_lib import kde\ndef f(x):\n    return kde.KernelDensity()", "uses course_lib.kde"),
    ("import course_lib.autograde.rules as r", "uses course_lib.autograde.rules"),
])
def test_forbidden_routines_are_found_however_imported(source, what):
    assert ("forbidden", what) in _kinds(source)


@pytest.mark.parametrize("source, fragment", [
    ("check_close = lambda *a, **k: None", "rebinds 'check_close'"),
    ("def check_shape(*a, **k):\n    pass", "rebinds 'check_shape'"),
    ("from numpy import isclose as check_close", "rebinds 'check_close'"),
    ("class GradingError(Exception):\n    pass", "rebinds 'GradingError'"),
    ("np.isclose = lambda *a, **k: True", "assigns to np.isclose"),
    ("exec('x = 1')", "calls exec()"),
    ("import sys\nsys.modules['course_lib.grading'] = None", "uses sys.modules"),
    ("import builtins", "imports builtins"),
    ("def f():\n    return f.__globals__", "touches .__globals__"),
])
def test_tampering_is_found(source, fragment):
    found = _kinds(source)
    assert any(kind == "tampering" and fragment in what for kind, what in found), found


@pytest.mark.parametrize("source", [
    "check_n = 3",  # a student's own name that starts with check_
    "def check_shapes(x, y):\n    assert x.shape == y.shape",
    "def check_finite_input(x):\n    return torch.isfinite(x).all()",
    "from course_lib.grading import check_close",  # re-importing the real helper changes nothing
    "def f(x):\n    check_close(x, x)\n    return x",  # calling a check inside an answer is harmless
    "import torch.nn.functional as F\ndef f(x):\n    return F.softplus(x)",
    "import warnings\ndef f(x):\n    warnings.warn('careful')\n    return x",
])
def test_own_helpers_and_ordinary_code_are_not_flagged(source):
    assert _kinds(source) == []


def test_component_densities_from_torch_distributions_are_allowed_in_a03():
    source = ("def component_log_joint(x, weights, means, covs):\n"
              "    d = torch.distributions.MultivariateNormal(means, covariance_matrix=covs)\n"
              "    return torch.log(weights) + d.log_prob(x[:, None, :])\n")
    assert _kinds(source, assignment="a03_em_gmm") == []
    assert _kinds("from sklearn.mixture import GaussianMixture", assignment="a03_em_gmm") == [
        ("forbidden", "uses sklearn.mixture.GaussianMixture")]


def test_names_imported_by_the_course_are_resolved_in_answers():
    cells = _cells("def f(x):\n    return reference(x)",
                   setup=SETUP + "from course_lib.probability import gaussian_log_prob as reference\n")
    assert [f.what for f in read_answers(cells, "a01_probability_kde")] == [
        "uses course_lib.probability.gaussian_log_prob"]


def test_finding_says_where_and_what_happens():
    (finding,) = read_answers(_cells("x = 1\nfrom scipy.stats import norm"), "a01_probability_kde")
    assert (finding.grade_id, finding.kind, finding.line) == ("answer0", "forbidden", 2)
    assert "answer cell 'answer0', line 2: uses scipy.stats.norm" in str(finding)
    assert "this answer's tests score zero" in str(finding)


def test_every_assignment_with_rules_exists_and_vice_versa():
    assert set(FORBIDDEN) >= set(assignment_ids())


@pytest.mark.parametrize("assignment", assignment_ids())
def test_assignment_states_exactly_the_enforced_rules(assignment):
    for folder in (SOLUTIONS, ASSIGNMENTS):
        for name, nb in read_notebooks(folder / assignment).items():
            fresh = assignment_rules.updated(nb, assignment)
            assert [c.source for c in fresh.cells] == [c.source for c in nb.cells], (
                f"{folder.name}/{assignment}/{name} does not state the current rules: run "
                "`python tools/assignment_rules.py --write` and `make release`")
            intro = nb.cells[0].source
            for name_ in FORBIDDEN[assignment]:
                assert f"`{name_}`" in intro
            assert f"{rules.CELL_TIMEOUT_S} s" in intro


def test_grader_timeout_is_the_stated_one():
    from course_lib.autograde.instructor import load_config

    assert load_config(REPO).Execute.timeout == rules.CELL_TIMEOUT_S


def _write(tmp_path, assignment, *answers):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.from_dict(c) for c in _cells(*answers)]
    path = tmp_path / f"{assignment}.ipynb"
    path.write_text(json.dumps(nb))
    return path


def test_students_check_reports_what_the_grader_would_reject(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "a02_mmd", "def f(x, y):\n    return torch.cdist(x, y)", "check_n = 2")
    with pytest.raises(GradingError) as err:
        check_answer_rules("a02_mmd")
    message = str(err.value)
    assert "answer cell 'answer0', line 2: uses torch.cdist" in message and "answer1" not in message
    _write(tmp_path, "a02_mmd", "def f(x, y):\n    return ((x[:, None] - y[None]) ** 2).sum(-1)")
    check_answer_rules("a02_mmd")
    assert "answer rules OK" in capsys.readouterr().out


def test_students_check_without_the_notebook_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    check_answer_rules("a01_probability_kde")
    assert "nothing was read" in capsys.readouterr().out


@pytest.mark.parametrize("assignment", assignment_ids())
def test_reference_solutions_follow_the_rules(assignment):
    for nb in read_notebooks(SOLUTIONS / assignment).values():
        assert read_answers(nb.cells, assignment) == []
