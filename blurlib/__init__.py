"""blurlib: the reproducible paper package of *Deep Blur Mapping* (Ma et al., IEEE TIP 2018)."""

from blurlib.errors import BlurlibError

__version__ = "0.1.0"
__all__ = ["BlurlibError", "__version__"]
