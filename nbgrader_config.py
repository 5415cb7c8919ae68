"""nbgrader configuration: the repository root is the course directory.

solutions/    nbgrader source notebooks (reference answers, hidden tests)
assignments/  the student release, generated from solutions/ and committed
grading/      everything an instructor produces while grading (git-ignored):
              submitted/, autograded/, feedback/, gradebook.db, reports/

For a class on JupyterHub, see the instructor guide in README.md (exchange folder, and
`CourseDirectory.db_url` for a PostgreSQL gradebook).
"""
import os

from course_lib.autograde.rules import CELL_TIMEOUT_S

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))
GRADING = os.path.join(HERE, "grading")
os.makedirs(GRADING, exist_ok=True)

c.CourseDirectory.course_id = "dgm"
c.CourseDirectory.root = HERE
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.solution_directory = "grading/solution"
c.CourseDirectory.source_with_tests_directory = "grading/source_with_tests"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(GRADING, "gradebook.db")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store"]

# Student stubs.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograding: each cell gets at most CELL_TIMEOUT_S seconds (the assignments state it; it is
# defined in course_lib/autograde/rules.py); on a timeout the kernel is interrupted, the cell
# records a CellTimeoutError and the rest of the notebook still runs.
c.Execute.timeout = CELL_TIMEOUT_S
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 120
# Each grading kernel gets at most this much address space, so a memory blow-up raises
# MemoryError in that cell instead of exhausting the machine. (CUDA needs far more virtual
# address space: set it to None when autograding on a GPU machine.)
KERNEL_MEMORY_LIMIT_GB = 8
# Each grading kernel computes with this many CPU threads (OMP_NUM_THREADS, set before the
# student's code can import torch). Graders usually run several kernels on shared cores, where
# more OpenMP threads than cores spin against each other and slow a cell several-fold.
KERNEL_THREADS = 1
# Grading kernels have no front end: DGM_HEADLESS=1 keeps course_lib from building progress-bar
# and slider widgets there (see course_lib.is_headless).
_startup = [f"import os as _o; _o.environ.setdefault('OMP_NUM_THREADS', '{KERNEL_THREADS}'); "
            "_o.environ.setdefault('DGM_HEADLESS', '1'); del _o"]
if KERNEL_MEMORY_LIMIT_GB:
    _limit = int(KERNEL_MEMORY_LIMIT_GB * 2**30)
    _startup.append(f"import resource as _r; _r.setrlimit(_r.RLIMIT_AS, ({_limit}, {_limit})); del _r")
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:",
                             "--IPKernelApp.exec_lines=" + "; ".join(_startup)]
# Printed output is cut to this many lines per cell (and tracebacks to this many lines).
c.LimitOutput.max_lines = 500
c.LimitOutput.max_traceback = 100

# A test cell the student deleted is put back from the gradebook and run; a duplicated cell
# (same grade id twice) is graded once.
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "course_lib.autograde.sanitize.DropEmptyGradingMetadata",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# After execution, before grades are saved:
# - course_lib.autograde.outcomes.ExplainOutcomes: text on stderr (warnings) in a test cell costs
#   nothing (nbgrader would score it zero), and a timed-out cell gets one clear error naming it;
# - course_lib.autograde.answer_guard.GuardAnswers: an answer that uses the routine its task asks
#   to implement scores zero on its tests; one that tampers with the grader scores zero on all.
#   The rules are in course_lib/autograde/rules.py, the one place the assignments' text and the
#   students' check_answer_rules() read them from.
c.Autograde.autograde_preprocessors = [
    "course_lib.autograde.sandbox.SandboxedExecute",  # nbgrader's Execute, in a sandbox
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "course_lib.autograde.outcomes.ExplainOutcomes",
    "course_lib.autograde.answer_guard.GuardAnswers",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback returned to students: hidden tests removed, and errors from cells that held hidden
# tests replaced by a note that withholds their source and expected values.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "course_lib.autograde.feedback.WithholdHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
