"""A simulated class, for the grading tests and benchmarks/bench_grading.py.

``simulate_class(root, assignment, n)`` submits ``n`` students, each drawn (seeded) from four
kinds, and returns student id -> kind:

* ``correct`` — the reference solution, or every answer written differently (the pipeline's
  "different" student), alternately: full marks;
* ``wrong`` — one of the pipeline's wrong submissions for the assignment (tests/_submissions.py):
  exactly their points lost;
* ``slow`` — the reference solution with a pause of ``SLOW_S`` seconds in the first answer;
* ``hostile`` — the first answer cell preceded by one of ``HOSTILE``: vandalism, an endless
  loop (the cell times out), a crash of the kernel, or a process left running, in turn.

The first four students are one of each kind, so every class of four or more has them all.
"""
from __future__ import annotations

import random
from pathlib import Path

from ._course import SOLUTIONS, read_notebooks, replace_cell, submit
from ._submissions import SUBMISSIONS

KINDS = ("correct", "wrong", "slow", "hostile")
WEIGHTS = (0.55, 0.3, 0.1, 0.05)
SLOW_S = 2
HOSTILE = {
    "vandal": "import pathlib, shutil\nroot = pathlib.Path.cwd().parents[3]\n"
              "shutil.rmtree(root / 'solutions', ignore_errors=True)\n"
              "for db in (root / 'grading').glob('*.db'):\n    db.unlink()\n",
    "loop": "while True:\n    pass\n",
    "crash": "import os\nos._exit(1)\n",
    "lingerer": "import subprocess\nsubprocess.Popen(['sleep', '900'], start_new_session=True)\n",
}


def _first_answer(nb) -> str:
    return next(c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))


def _prepend(nb, code: str):
    answer = _first_answer(nb)
    source = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == answer)
    return replace_cell(nb, answer, code + source)


def _with_answers(nb, replacements):
    for answer, source in replacements:
        nb = replace_cell(nb, answer, source)
    return nb


def simulate_class(root: Path, assignment: str, n: int, seed: int = 0) -> dict[str, str]:
    """Submit ``n`` simulated students of ``assignment`` under ``root``; student id -> kind
    (``hostile`` kinds are written ``hostile:<name>``)."""
    rng = random.Random(seed)
    (name, solution), = read_notebooks(SOLUTIONS / assignment).items()
    wrong = [repl for (a, student), (repl, lost) in sorted(SUBMISSIONS.items()) if a == assignment and lost]
    different = SUBMISSIONS.get((assignment, "different"), ([], set()))[0]
    kinds = {}
    for i in range(n):
        kind = KINDS[i] if i < len(KINDS) else rng.choices(KINDS, WEIGHTS)[0]
        if kind == "correct":
            nb = _with_answers(solution, different if i % 2 else [])
        elif kind == "wrong":
            nb = _with_answers(solution, rng.choice(wrong))
        elif kind == "slow":
            nb = _prepend(solution, f"import time\ntime.sleep({SLOW_S})\n")
        else:
            hostile = list(HOSTILE)[sum(k.startswith("hostile") for k in kinds.values()) % len(HOSTILE)]
            nb = _prepend(solution, HOSTILE[hostile])
            kind = f"hostile:{hostile}"
        student = f"s{i:04d}"
        submit(root, student, assignment, {name: nb})
        kinds[student] = kind
    return kinds


def submit_hostile(root: Path, assignment: str, student: str, hostile: str) -> None:
    """Submit one student whose first answer cell is preceded by ``HOSTILE[hostile]``."""
    (name, solution), = read_notebooks(SOLUTIONS / assignment).items()
    submit(root, student, assignment, {name: _prepend(solution, HOSTILE[hostile])})
