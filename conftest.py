"""Repository-wide pytest setup (unit tests, doctests, notebooks under nbval)."""

import os


def pytest_configure(config):
    """Figures written by notebooks under test go to a scratch folder, not over the committed ones; the notebooks
    re-run CI-sized (``BLURLIB_QUICK``: analyses on a few images, see blurlib/context.py)."""
    os.environ.setdefault("BLURLIB_QUICK", "1")
    if not os.environ.get("BLURLIB_FIGURES"):
        import tempfile
        os.environ["BLURLIB_FIGURES"] = tempfile.mkdtemp(prefix="blurlib-figures-")
