"""Wall-clock time to autograde a simulated class with 1 and with N workers, side by side.

    python benchmarks/bench_grading.py                          # 200 students of a01, 1 and 2 workers
    python benchmarks/bench_grading.py --students 20 --workers 1 2

The class comes from tests/_simulated_class.py (seeded: correct, wrong, slow and hostile
students, the hostile ones including an endless loop that runs into the cell timeout). Each
worker count grades its own scratch copy of the course (nothing in grading/ is touched), in
sandboxed kernels with one thread each, then its feedback is rendered with as many workers.
Prints the machine, the load average before and after each run, wall times, students per
minute, the speed-up over one worker, whether every run gave the same grades (naming every
differing cell), and a projection for a bigger server (a projection, not a measurement).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from course_lib.autograde import instructor, sandbox  # noqa: E402
from tests._course import scratch_course  # noqa: E402
from tests._simulated_class import simulate_class  # noqa: E402


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def grade(students: int, assignment: str, workers: int, seed: int) -> tuple[float, float, list, dict, str, str]:
    """Autograde a simulated class, then render its feedback, ``workers`` at a time; returns both
    wall times, the results, the students' kinds and the load before and after."""
    with tempfile.TemporaryDirectory() as tmp:
        root = scratch_course(Path(tmp))
        kinds = simulate_class(root, assignment, students, seed=seed)
        api = instructor.make_api(root)
        instructor.release_all(api, [assignment])
        load_before = _load()
        start = time.perf_counter()
        results = instructor.autograde_class(api, assignment, progress=False, workers=workers)
        elapsed = time.perf_counter() - start
        start = time.perf_counter()
        instructor.generate_feedback(api, assignment, [r.student_id for r in results if r.status == "graded"],
                                     workers=workers)
        feedback_s = time.perf_counter() - start
        load_after = _load()
    return elapsed, feedback_s, results, kinds, load_before, load_after


def _outcomes(results) -> dict[str, tuple]:
    """student -> (status, score, {cell: (score, reason)}): what must not depend on the workers."""
    return {r.student_id: (r.status, r.score, {c.cell: (c.score, c.reason) for c in r.cells}) for r in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--assignment", default="a01_probability_kde")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--project-cores", type=int, default=16)
    args = parser.parse_args()

    problem = sandbox.sandbox_problem()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"kernels {'sandboxed (bubblewrap)' if problem is None else 'NOT sandboxed: ' + problem}")
    runs = {}  # workers -> (wall time, outcomes)
    for workers in args.workers:
        elapsed, feedback_s, grades, kinds, before, after = grade(args.students, args.assignment, workers, args.seed)
        runs[workers] = (elapsed, _outcomes(grades))
        graded = sum(r.status == "graded" for r in grades)
        print(f"workers={workers}: {len(grades)} students of {args.assignment} autograded in {elapsed:.0f} s "
              f"({60 * len(grades) / elapsed:.1f} students/min, {elapsed / len(grades):.2f} s each), "
              f"feedback for the {graded} graded in {feedback_s:.0f} s ({feedback_s / max(graded, 1):.2f} s each); "
              f"load average (1/5/15 min) before {before}, after {after}", flush=True)
    counts = {k: sum(1 for v in kinds.values() if v.split(":")[0] == k) for k in ("correct", "wrong", "slow", "hostile")}
    print("class:", ", ".join(f"{n} {k}" for k, n in counts.items()))
    first = min(runs)
    reference = runs[first][1]
    print(f"same statuses, per-cell scores and reasons in every run: {all(o == reference for _, o in runs.values())}")
    for workers, (_, outcomes) in sorted(runs.items()):
        for student in sorted(s for s in outcomes if outcomes[s] != reference[s]):
            (status1, score1, cells1), (status, score, cells) = reference[student], outcomes[student]
            differing = sorted(c for c in cells1 | cells if cells1.get(c) != cells.get(c))
            print(f"  {student} ({kinds[student]}): {status1} {score1} with {first} worker(s), "
                  f"{status} {score} with {workers}; cells:",
                  "; ".join(f"{c}: {cells1.get(c)} vs {cells.get(c)}" for c in differing))
    for workers, (elapsed, _) in sorted(runs.items()):
        if workers != first:
            speedup = runs[first][0] / elapsed
            print(f"speed-up of {workers} workers over {first}: {speedup:.2f}x "
                  f"(parallel efficiency {speedup / (workers / first):.0%})")
    top = max(runs)
    if top > first:
        efficiency = (runs[first][0] / runs[top][0]) / (top / first)
        per_student = runs[first][0] / args.students
        cores = args.project_cores
        print(f"projection (not measured): {cores} workers on a {cores}-core server at the efficiency measured "
              f"here with {top} ({efficiency:.0%}) grade {60 * cores * efficiency / per_student:.0f} students/min, "
              f"a class of 300 in {300 * per_student / (cores * efficiency) / 60:.1f} min")


if __name__ == "__main__":
    main()
