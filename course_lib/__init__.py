"""course_lib: reference implementations, data and grading tools for the Deep Generative
Models course.

The names most notebooks need are re-exported here::

    import course_lib
    device = course_lib.get_device()
    course_lib.seed_everything(0)
    n_steps = course_lib.quick_or_full(200, 20_000)
"""
from . import data, gan, gan_metrics, gmm, kde, kernels, mmd, mmd_net, probability, vae, vi
from .device import get_device, seed_everything
from .quick import HEADLESS_ENV, QUICK_ENV, is_headless, is_quick, progress_bar, quick_or_full, widgets_enabled

__version__ = "0.1.0"

__all__ = ["data", "gan", "gan_metrics", "gmm", "kde", "kernels", "mmd", "mmd_net", "probability", "vae", "vi", "get_device", "seed_everything", "QUICK_ENV", "is_quick", "quick_or_full", "HEADLESS_ENV", "is_headless", "widgets_enabled", "progress_bar", "__version__"]
