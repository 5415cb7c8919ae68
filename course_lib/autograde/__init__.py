"""The grader's plumbing: nbgrader preprocessors and the instructor's tooling.

Students never need this package; the checks their test cells call live in
:mod:`course_lib.grading`.

* :mod:`.rules` — what each assignment's answers may not call, the per-cell time limit and the
  text the assignments show about both (one source for the grader and the students);
* :mod:`.answer_guard` — reads every answer before its tests are scored (forbidden calls,
  tampering with the grader);
* :mod:`.outcomes` — turns what nbgrader recorded (warnings, timeouts) into fair scores and
  readable reasons;
* :mod:`.sanitize`, :mod:`.feedback` — nbgrader preprocessors for submissions and feedback;
* :mod:`.safeguards` — backs up, verifies and restores the course around each student;
* :mod:`.instructor`, :mod:`.report` — release, autograde a class, report, feedback, export.
"""
