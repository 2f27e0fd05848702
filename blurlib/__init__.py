"""blurlib: the reproducible paper package of *Deep Blur Mapping* (Ma et al., IEEE TIP 2018)."""

import warnings

from blurlib.errors import BlurlibError

# A dependency imports tqdm.auto; in a notebook kernel without ipywidgets that warns once, naming its install path.
# blurlib's own progress bars are plain text, so the warning says nothing about blurlib: keep it out of notebooks.
warnings.filterwarnings("ignore", message="IProgress not found")

__version__ = "0.1.0"
__all__ = ["BlurlibError", "__version__"]
