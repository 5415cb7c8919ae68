"""course_lib.checks: the lectures' one-line checks pass and print, or fail naming the claim."""
import math

import numpy as np
import pytest
import torch

from course_lib.checks import check, check_that


def test_check_passes_for_scalars_tensors_and_arrays(capsys):
    assert check("one", 1.0 + 1e-13, 1.0, 1e-12) == pytest.approx(1e-13, abs=1e-15)
    check("tensor vs array", torch.tensor([1.0, 2.0], requires_grad=True) * 1, np.array([1.0, 2.0]), 0.0)
    check("broadcast", torch.zeros(3, 2), 0.0, 0.0)
    check("equal infinities", torch.tensor([math.inf, -math.inf]), [math.inf, -math.inf], 0.0)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and all(line.startswith("ok  ") for line in lines)
    assert "max error" in lines[1] and "+1" in lines[0]


@pytest.mark.parametrize("got, expected, message", [
    (1.1, 1.0, "got 1.1, expected 1"),
    (torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]), "max |got - expected| = 0.5"),
    (float("nan"), 1.0, "got nan"),
    (math.inf, 1.0, "got inf"),
    (torch.zeros(3), torch.zeros(2), "shapes (3,) and (2,) do not match"),
])
def test_check_fails_naming_the_label_and_the_gap(got, expected, message):
    with pytest.raises(AssertionError, match="my claim") as info:
        check("my claim", got, expected, 1e-3)
    assert message in str(info.value)


def test_check_that(capsys):
    check_that("all positive", torch.tensor([1.0, 2.0]) > 0, "min 1.0")
    check_that("a bool", True)
    assert capsys.readouterr().out.splitlines()[0].endswith("min 1.0")
    with pytest.raises(AssertionError, match="monotone: does not hold \\(step -0.1\\)"):
        check_that("monotone", np.array([True, False]), "step -0.1")
