"""Where the benchmark comes from: an explicit path, ``$BLURLIB_DATA``, ``data/CUHK/``, or the official download.

The official archives are published on the authors' CUHK project page. Their checksums are not published;
the download is verified after unpacking against the sha256 manifest of all 1000 masks shipped in blurlib
(and of every image whose checksum is known), so a wrong or altered archive is refused either way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pooch

from blurlib.errors import BlurlibError
from blurlib.outputs import missing_folders, remove_empty
from blurlib.paths import DATA_ENV, project_root

ENV_VAR = DATA_ENV
PROJECT_PAGE = "http://www.cse.cuhk.edu.hk/leojia/projects/dblurdetect/"


@dataclass(frozen=True)
class Archive:
    """One downloadable archive: its file name, address, sha256 (None: verified by the manifest after unpacking)."""

    name: str
    url: str
    sha256: str | None = None


OFFICIAL_ARCHIVES = (
    Archive("BlurDatasetImage.zip", PROJECT_PAGE + "data/BlurDatasetImage.zip"),  # unpacks to image/
    Archive("BlurDatasetGT.zip", PROJECT_PAGE + "data/BlurDatasetGT.zip"),  # unpacks to gt/
)


def default_root() -> Path:
    """``data/CUHK`` in the project folder (see :mod:`blurlib.paths`)."""
    return project_root() / "data" / "CUHK"


def find_root(root: str | os.PathLike | None = None) -> Path | None:
    """The first of: ``root``, ``$BLURLIB_DATA``, ``data/CUHK`` that holds ``image/`` and ``gt/``; else None.

    An explicit ``root`` or ``$BLURLIB_DATA`` that is not a dataset is an error, not a fall-through.
    """
    for origin, candidate in (("the given path", root), (f"${ENV_VAR}", os.environ.get(ENV_VAR) or None)):
        if candidate is not None:
            path = Path(candidate).expanduser()
            if path.exists() and not path.is_dir():
                raise BlurlibError(f"{path} ({origin}) is a file, not a folder. Pass the folder that holds the "
                                   "benchmark's image/ and gt/ (the unpacked archives).")
            if not (path / "gt").is_dir():
                raise BlurlibError(f"{path} ({origin}) is not a CUHK dataset root: it has no gt/ folder. "
                                   f"{_where_to_put_it(path)}")
            return path
    path = default_root()
    return path if (path / "gt").is_dir() else None


def download(dest: str | os.PathLike | None = None, archives: tuple[Archive, ...] = OFFICIAL_ARCHIVES) -> Path:
    """Download and unpack the benchmark archives into ``dest`` (default ``data/CUHK``) with pooch.

    Archives are cached in ``dest/downloads``; an archive whose sha256 is given and differs is refused.
    Offline, the error names both archives and where to put them, and no folder is left that the download made.
    """
    dest = Path(dest) if dest is not None else default_root()
    made = missing_folders(dest / "downloads")  # removed again if nothing arrives in them
    for a in archives:
        try:
            pooch.retrieve(a.url, known_hash=a.sha256 and f"sha256:{a.sha256}", fname=a.name,
                           path=dest / "downloads", processor=pooch.Unzip(extract_dir=str(dest.resolve())),
                           progressbar=False)
        except ValueError as e:  # pooch: hash mismatch
            remove_empty(made)
            raise BlurlibError(f"{dest / 'downloads' / a.name}: {e} Delete the file and download it again.") from e
        except Exception as e:  # network errors come in many types (requests, urllib3, OSError)
            remove_empty(made)
            raise BlurlibError(f"could not download {a.url} ({type(e).__name__}: {e}). "
                               f"{_where_to_put_it(dest)}") from e
    return dest


def _where_to_put_it(root: Path) -> str:
    names = " and ".join(a.name for a in OFFICIAL_ARCHIVES)
    return (f"Get {names} from {PROJECT_PAGE} and unpack them into {root} (giving {root}/image and {root}/gt), "
            f"or point ${ENV_VAR} at a folder that holds them.")


def missing_dataset_message(root: Path | None = None) -> str:
    return "CUHK blur detection benchmark not found. " + _where_to_put_it(root or default_root())
