"""`nbgrader validate` — the check students run before submitting — on every assignment:
the reference solution passes; the untouched release reports failing cells without crashing."""
import nbformat
import pytest

from course_lib.autograde import instructor

from ._course import REPO, assignment_ids, read_notebooks, replace_cell
from ._submissions import SUBMISSIONS

pytestmark = pytest.mark.slow


def _validator():
    from nbgrader.validator import Validator

    return Validator(config=instructor.load_config(REPO))


@pytest.mark.parametrize("assignment", assignment_ids())
def test_solution_validates(assignment):
    for path in sorted((REPO / "solutions" / assignment).glob("*.ipynb")):
        assert _validator().validate(str(path)) == {}, path


@pytest.mark.parametrize("assignment", assignment_ids())
def test_untouched_release_reports_failures(assignment):
    for path in sorted((REPO / "assignments" / assignment).glob("*.ipynb")):
        result = _validator().validate(str(path))
        assert set(result) == {"failed"}, result.keys()
        # code answers raise NotImplementedError; a written (manually graded) answer is still empty
        assert result["failed"] and all("NotImplementedError" in f["raw_error"] or
                                        "You did not provide a response" in f.get("error", f["raw_error"])
                                        for f in result["failed"])


@pytest.mark.parametrize("assignment", [a for a in assignment_ids() if (a, "different") in SUBMISSIONS])
def test_correct_answers_written_differently_validate(assignment, tmp_path):
    """The "different" student (loops, other formulas, float32, answers that print a
    UserWarning) scores full marks when autograded (tests/test_pipeline.py); Validate, which
    counts stderr text as a failure, must not tell them otherwise."""
    answers, lost = SUBMISSIONS[(assignment, "different")]
    assert not lost
    for name, nb in read_notebooks(REPO / "solutions" / assignment).items():
        for answer, source in answers:
            nb = replace_cell(nb, answer, source)
        path = tmp_path / name
        nbformat.write(nb, path)
        assert _validator().validate(str(path)) == {}, path
