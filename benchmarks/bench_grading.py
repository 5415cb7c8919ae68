"""Wall-clock time to autograde a class: N copies of one assignment's reference solution.

    python benchmarks/bench_grading.py                       # 30 students, a01
    python benchmarks/bench_grading.py --students 10 --assignment a02_mmd

Runs on a scratch copy of the course (nothing in grading/ is touched) and prints the machine,
the total time, the time per student and the score check.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from course_lib.autograde import instructor  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--assignment", default="a01_probability_kde")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "course"
        root.mkdir()
        shutil.copy(REPO / "nbgrader_config.py", root)
        for folder in ("solutions", "assignments"):
            shutil.copytree(REPO / folder, root / folder)
        for i in range(args.students):
            dest = root / "grading" / "submitted" / f"student{i:03d}" / args.assignment
            shutil.copytree(REPO / "solutions" / args.assignment, dest)
        api = instructor.make_api(root)
        instructor.release_all(api, [args.assignment])
        start = time.perf_counter()
        results = instructor.autograde_class(api, args.assignment, progress=False)
        elapsed = time.perf_counter() - start
    full = sum(r.status == "graded" and r.score == r.max_score for r in results)
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"autograded {len(results)} copies of {args.assignment} in {elapsed:.1f} s "
          f"({elapsed / len(results):.2f} s per student); {full}/{len(results)} with full marks")


if __name__ == "__main__":
    main()
