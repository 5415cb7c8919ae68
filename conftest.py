"""Repository-wide pytest set-up: quick mode and the local data folder, for every test and for
the Jupyter kernels nbval and nbgrader start (they inherit this environment)."""
import os
from pathlib import Path

os.environ.setdefault("DGM_QUICK", "1")
# One compute thread per test worker and per kernel it starts: `make test` runs two workers on
# two cores, and more OpenMP threads than cores spin against each other.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# No front end shows widgets in these kernels: progress bars and sliders are not built
# (course_lib.is_headless; tests/test_browser.py starts JupyterLab with it switched off).
os.environ.setdefault("DGM_HEADLESS", "1")

_shared_data = Path(__file__).resolve().parent.parent / "shared" / "data"
if _shared_data.is_dir():
    os.environ.setdefault("DGM_DATA_DIR", str(_shared_data))
