"""Where a command may write: one rule for every file blurlib writes, asked by every command before its first write.

1. An output is never one of the command's inputs.
2. Every planned output name is checked before the first write: two outputs of one command never share a path.
3. An existing result is replaced only when the user asks (``--overwrite``; ``--update`` where a command adds to a
   result) and then whole: a folder is written beside the old one and renamed into place (:func:`replacing`), a file
   through :func:`blurlib.io.atomic_write`; nothing of the old result is left mixed with the new.
4. A folder is written by one command at a time (:func:`locked`): a second writer gets a one-line error.
5. A command never writes into a benchmark (:func:`check_not_dataset`): its ``image/`` and ``gt/`` folders and its
   root are read, never written.
6. A command that writes a set of files into a folder the user names (``predict``'s maps, ``segment``'s masks)
   keeps a manifest there (:func:`file_set`): the set is one result, replaced whole or refused, never merged with
   an earlier one; a command that fails leaves the folder as it was (and no empty folder it made).

Each refusal is a :class:`~blurlib.errors.BlurlibError` naming the path and the fix, raised before anything is written.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from blurlib.errors import BlurlibError

OVERWRITE = "--overwrite"
"""The option that lets a command replace an existing result (each command that can replace one offers it)."""
LOCK_SUFFIX = ".blurlib-lock"
"""The lock of folder ``F`` is the file ``.F.blurlib-lock`` beside it, there while a command writes ``F``
(:func:`locked`): beside, not inside, so that it never becomes part of a result and survives :func:`replacing`."""


def _key(path: Path) -> Path:
    return Path(os.path.abspath(path)).resolve()


def plan(outputs: Mapping[str | os.PathLike, str] | Iterable[str | os.PathLike | tuple[str | os.PathLike, str]], *,
         inputs: Iterable[str | os.PathLike] = (), overwrite: bool = False, flag: str = OVERWRITE) -> list[Path]:
    """Check the files a command is about to write, before it writes any; return them as paths.

    ``outputs``: the paths, or ``(path, what it is)`` pairs or a ``{path: what}`` mapping (e.g. ``"the map of
    photos/x.jpg"``) so that a collision names both sources. ``inputs``: the files the command reads. Refused: an
    output in a folder another command is writing (:func:`check_unlocked`); an output that is an input; two outputs
    at one path; an output that exists, unless ``overwrite`` (the user passed ``flag``); an output whose name is too long
    for the file system.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> plan({d / "x.png": "the map of a/x.jpg", d / "y.png": "the map of a/y.jpg"})  # doctest: +ELLIPSIS
    [...x.png'), ...y.png')]
    >>> plan([(d / "x.png", "the map of a/x.jpg"), (d / "x.png", "the map of b/x.png")])
    Traceback (most recent call last):
    blurlib.errors.BlurlibError: ...x.png: the map of a/x.jpg and the map of b/x.png would both be written there; nothing was written. Rename one of them or write them to separate folders.
    """
    named = list(outputs.items()) if isinstance(outputs, Mapping) else [
        o if isinstance(o, tuple) else (o, str(o)) for o in outputs]
    for parent in dict.fromkeys(Path(os.path.abspath(p)).parent for p, _ in named):
        check_unlocked(parent)
    ins = {_key(Path(p)): Path(p) for p in inputs}
    seen: dict[Path, str] = {}
    for path, what in named:
        path = Path(path)
        check_name(path)
        key = _key(path)
        if key in ins:
            raise BlurlibError(f"{path}: would overwrite the input {ins[key]}; nothing was written. "
                               "Choose another output.")
        check_not_dataset(path)
        if key in seen:
            raise BlurlibError(f"{path}: {seen[key]} and {what} would both be written there; nothing was written. "
                               "Rename one of them or write them to separate folders.")
        seen[key] = what
        if path.is_dir():  # before the existence check: --overwrite would not help
            raise BlurlibError(f"{path}: is a folder, not a file; nothing was written. Choose a file name.")
        if path.exists() and not overwrite:
            raise BlurlibError(f"{path}: exists; nothing was written. Pass {flag} to replace it, "
                               "or choose another output.")
    return [Path(p) for p, _ in named]


def check_name(path: Path) -> None:
    """A :class:`BlurlibError` when a part of ``path`` is longer than its file system allows (before any work)."""
    parent = next((p for p in Path(os.path.abspath(path)).parents if p.exists()), Path("/"))
    try:
        limit = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    for part in Path(path).parts:
        if len(os.fsencode(part)) > limit:
            raise BlurlibError(f"{path}: the name {part[:24]}… is {len(os.fsencode(part))} bytes, over the file "
                               f"system's limit of {limit}; nothing was written. Choose a shorter name.")


DATASET_FOLDERS = ("image", "gt")
"""The folders that make a folder a benchmark root (:mod:`blurlib.data`): photographs and their masks."""


def _is_dataset_root(folder: Path) -> bool:
    return all((folder / name).is_dir() for name in DATASET_FOLDERS)


def check_not_dataset(path: str | os.PathLike) -> None:
    """A :class:`BlurlibError` when ``path`` lies in a benchmark: the root (a folder holding ``image/`` and ``gt/``)
    itself or anything below it. Results go beside the data, never into it.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "image").mkdir(); (root / "gt").mkdir()
    >>> check_not_dataset(root.parent / "maps")
    >>> check_not_dataset(root / "gt" / "maps")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    blurlib.errors.BlurlibError: ...maps: lies inside the benchmark ...; nothing was written. Write results outside the data folder.
    """
    path = Path(os.path.abspath(path))
    real = path.resolve()  # a link into the benchmark is the benchmark
    root = next((p for p in [path, *path.parents, real, *real.parents] if p.is_dir() and _is_dataset_root(p)), None)
    if root is not None:
        held = " and ".join(f"{n}/" for n in DATASET_FOLDERS)
        raise BlurlibError(f"{path}: lies inside the benchmark {root} (it holds {held}); "
                           "nothing was written. Write results outside the data folder.")


def existing_result(folder: Path, names: Iterable[str]) -> list[Path]:
    """The files and folders among ``names`` that already exist in ``folder`` (a previous result)."""
    return [folder / n for n in names if (folder / n).exists()]


def refuse_existing(folder: Path, found: list[Path], what: str, *, flag: str = OVERWRITE, alternative: str = "") -> None:
    """Refuse to write into ``folder`` where a previous result (``found``) lies, naming it and ``flag``."""
    if found:
        names = ", ".join(p.name for p in found[:3]) + (", …" if len(found) > 3 else "")
        raise BlurlibError(f"{folder}: holds {what} already ({names}); nothing was written. Pass {flag} to replace "
                           f"it whole{alternative}, or choose another folder.")


@contextlib.contextmanager
def set_aside(folder: str | os.PathLike, paths: Iterable[Path]) -> Iterator[None]:
    """Replace a result that is a set of files inside a larger folder (a run's scoring beside its weights) whole:
    ``paths`` are moved aside before the block, removed when it succeeds and put back when it fails, so that the new
    result is never mixed with the old one.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "metrics.json").write_text("old"); _ = (d / "model.pt").write_text("w")
    >>> with set_aside(d, [d / "metrics.json"]):
    ...     sorted(p.name for p in d.iterdir() if not p.name.startswith("."))
    ['model.pt']
    """
    folder, paths = Path(folder), [Path(p) for p in paths]
    if not paths:
        yield
        return
    try:
        aside = Path(tempfile.mkdtemp(dir=folder, prefix=".replaced-"))
    except OSError as e:
        raise BlurlibError(f"cannot write {folder}: {e.strerror}. Choose a writable output folder.") from e
    moved = []
    try:
        for p in paths:
            os.replace(p, aside / p.name)
            moved.append(p)
        yield
    except BaseException:
        for p in moved:
            if not p.exists():
                os.replace(aside / p.name, p)
            elif p.is_dir():  # a new, half-written folder of the same name: the old one takes its place
                shutil.rmtree(p)
                os.replace(aside / p.name, p)
            else:
                os.replace(aside / p.name, p)
        raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def replacing(folder: str | os.PathLike, belongs: Callable[[str], bool] | None = None,
              what: str = "the result") -> Iterator[Path]:
    """Write a result folder whole: yield an empty staging folder beside ``folder``; when the block succeeds the
    staging folder takes ``folder``'s place (the old one is removed after), else it is removed and ``folder`` is
    untouched. Nothing of the old result survives into the new one.

    ``belongs(name)``: whether an entry of the old folder is part of ``what`` (the kind of result being replaced).
    An old folder holding anything else — a user's notes, another command's files, a training run's weights — is
    refused before anything is written: replacing a result never removes what is not part of it.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "res"
    >>> d.mkdir(); (d / "old.csv").write_text("old")
    3
    >>> with replacing(d) as stage:
    ...     _ = (stage / "new.csv").write_text("new")
    >>> sorted(p.name for p in d.iterdir())
    ['new.csv']
    >>> _ = (d / "notes.txt").write_text("mine")
    >>> with replacing(d, lambda name: name.endswith(".csv"), "scores") as stage:
    ...     pass  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    blurlib.errors.BlurlibError: ...res: holds notes.txt besides scores; nothing was written. Move it out, or choose another folder.
    """
    folder = Path(folder)
    check_name(folder)
    check_not_dataset(folder)
    if belongs is not None and folder.is_dir():
        foreign = sorted(p.name for p in folder.iterdir() if not belongs(p.name))
        if foreign:
            names = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
            raise BlurlibError(f"{folder}: holds {names} besides {what}; nothing was written. Move "
                               f"{'it' if len(foreign) == 1 else 'them'} out, or choose another folder.")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name[:64]}.new-"))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(stage, 0o777 & ~umask)  # the result folder gets the mode of a folder made by mkdir, not 0700
    except OSError as e:
        raise BlurlibError(f"cannot write {folder}: {e.strerror}. Choose a writable output folder.") from e
    try:
        yield stage
        old = None
        if folder.exists():
            old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name[:64]}.old-"))
            os.replace(folder, old / folder.name)
        try:
            os.replace(stage, folder)
        except OSError:
            if old is not None:  # put the old result back
                os.replace(old / folder.name, folder)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


MANIFEST = "blurlib-{command}.json"
"""The manifest a command that writes a set of files into a user's folder keeps there (:func:`file_set`): the
command, when, and the files that make its result."""


def manifest_path(folder: str | os.PathLike, command: str) -> Path:
    """Where ``command``'s manifest lies in ``folder`` (:data:`MANIFEST`)."""
    return Path(folder) / MANIFEST.format(command=command)


def read_manifest(folder: str | os.PathLike, command: str) -> dict | None:
    """``command``'s manifest in ``folder``, or None where it has none (an unreadable one counts as a result whose
    files are unknown: ``files`` empty)."""
    import json

    path = manifest_path(folder, command)
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text())
        files = [str(f) for f in doc["files"] if Path(f).name == f]  # names in the folder, nothing outside it
    except (OSError, ValueError, KeyError, TypeError):
        return {"files": []}
    return {**doc, "files": files}


def _other_manifests(folder: Path, command: str) -> dict[str, str]:
    """File name → the other command whose result it belongs to, over the manifests in ``folder``."""
    owner = {}
    prefix, suffix = MANIFEST.split("{command}")
    for m in folder.glob(MANIFEST.format(command="*")) if folder.is_dir() else ():
        other = m.name[len(prefix):-len(suffix)]
        if other != command:
            owner |= {f: other for f in (read_manifest(folder, other) or {"files": []})["files"]} | {m.name: other}
    return owner


@contextlib.contextmanager
def file_set(folder: str | os.PathLike, command: str, names: Iterable[str], *, overwrite: bool = False,
             record: Mapping | None = None, flag: str = OVERWRITE) -> Iterator[Path]:
    """Write the result of ``command`` that is a set of files (``names``) in ``folder`` whole.

    Yields a staging folder (hidden, inside ``folder``) the block writes each of ``names`` into (a staging folder
    left by a killed run of ``command`` is removed first). When the block
    succeeds, the earlier result of ``command`` in ``folder`` (the files its manifest names) and any file of
    ``names`` already there are removed, the new files moved into place and the manifest (:data:`MANIFEST`: the
    command, the date, ``files``, and ``record``, as it is when the block ends: the block may add to it) written. When it fails, the staging folder is removed and
    ``folder`` is as it was. Refused before anything is written: ``folder`` holding an earlier result of ``command``
    without ``overwrite`` (two results are never merged); a name that belongs to another command's result there,
    even with ``overwrite``. ``folder`` is locked meanwhile (:func:`locked`); the caller plans ``names`` first
    (:func:`plan`).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "maps"
    >>> with file_set(d, "predict", ["a.png", "b.png"]) as stage:
    ...     for n in ("a.png", "b.png"): _ = (stage / n).write_text(n)
    >>> with file_set(d, "predict", ["c.png"], overwrite=True) as stage:
    ...     _ = (stage / "c.png").write_text("c")
    >>> sorted(p.name for p in d.iterdir())
    ['blurlib-predict.json', 'c.png']
    """
    import datetime

    from blurlib.io import write_json

    folder, names = Path(folder), list(names)
    earlier = read_manifest(folder, command)
    if earlier is not None and not overwrite:
        refuse_existing(folder, [folder / n for n in earlier["files"]] or [manifest_path(folder, command)],
                        f"the result of an earlier `blurlib {command}`", flag=flag)
    owner = _other_manifests(folder, command)
    taken = [n for n in names if n in owner]
    if taken:
        raise BlurlibError(f"{folder / taken[0]}: belongs to the result of an earlier `blurlib {owner[taken[0]]}` "
                           f"there; nothing was written. Choose another folder for the result of `blurlib {command}`.")
    with locked(folder):
        for left in folder.glob(f".blurlib-{command}.new-*"):  # a killed run's staging folder: nobody writes it now
            shutil.rmtree(left, ignore_errors=True)
        try:
            stage = Path(tempfile.mkdtemp(dir=folder, prefix=f".blurlib-{command}.new-"))
        except OSError as e:
            raise BlurlibError(f"cannot write {folder}: {e.strerror}. Choose a writable output folder.") from e
        try:
            yield stage
            old = {*(earlier or {"files": []})["files"], *names}
            with set_aside(folder, [folder / n for n in sorted(old) if (folder / n).exists()]
                           + [m for m in [manifest_path(folder, command)] if m.exists()]):
                for n in names:
                    if (stage / n).exists():
                        os.replace(stage / n, folder / n)
                written = [n for n in names if (folder / n).exists()]
                write_json(manifest_path(folder, command),
                           {"command": command, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                               timespec="seconds"), **(record or {}), "files": written})
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def check_unlocked(folder: Path) -> None:
    """A :class:`BlurlibError` when another command holds ``folder``'s lock (:func:`locked`): a file is not written
    into a folder another command is writing (a run still training, a result being replaced)."""
    import fcntl

    path = lock_path(folder)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # no lock file: nobody writes the folder
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        raise BlurlibError(f"{folder}: another blurlib command (process {holder}) is writing it; nothing was written. "
                           "Wait until it ends, or choose another folder.") from None
    finally:
        os.close(fd)


def missing_folders(folder: str | os.PathLike) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, deepest first: what writing into it would make."""
    folder = Path(folder)
    return [p for p in [folder, *folder.parents] if not p.exists()]


def remove_empty(folders: Iterable[Path]) -> None:
    """Remove ``folders`` (deepest first, :func:`missing_folders`) while they are empty: a failed command's leftovers."""
    for p in folders:
        try:
            p.rmdir()
        except OSError:
            break


def lock_path(folder: Path) -> Path:
    """The lock file of ``folder`` (:data:`LOCK_SUFFIX`), beside the folder its path resolves to: every name of one
    folder (a symbolic link, ``a/../b``) takes the same lock."""
    folder = Path(os.path.realpath(folder))
    name = folder.name
    if len(os.fsencode(name)) > 128:  # a long name: shortened, made unique by its hash, within the file system's limit
        name = f"{name[:64]}-{hashlib.sha1(os.fsencode(name)).hexdigest()[:12]}"
    return folder.parent / f".{name}{LOCK_SUFFIX}"


@contextlib.contextmanager
def locked(folder: str | os.PathLike) -> Iterator[Path]:
    """Hold ``folder``'s lock (the folder is created if needed) while a command writes it.

    A second command that asks for the same folder's lock meanwhile gets a :class:`BlurlibError` naming the process
    that holds it. The lock is the kernel's (``flock``): it ends with the process, even one killed, so a crash never
    leaves a folder locked.
    """
    import fcntl

    folder = Path(folder)
    check_name(folder)
    check_not_dataset(folder)
    above = next((p for p in [folder, *folder.parents] if p.exists() and not p.is_dir()), None)
    if above is not None:
        raise BlurlibError(f"cannot write {folder}: {above} is a file, not a folder. Choose an output folder.")
    made = missing_folders(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BlurlibError(f"cannot write {folder}: {e.strerror}. Choose a writable output folder.") from e
    path = lock_path(folder)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as e:
            raise BlurlibError(f"cannot write {folder}: its lock {path.name} goes beside it, in {path.parent}, which "
                               f"refuses it ({e.strerror}). Choose an output folder inside a writable folder.") from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise BlurlibError(f"{folder}: another blurlib command (process {holder}) is writing it; wait until "
                                   "it ends, or choose another folder.") from None
            raise
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:  # not a lock file its previous holder removed while we waited for it
            break
        os.close(fd)
    failed = True
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield folder
        failed = False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)
        if failed:  # a command that failed leaves no empty folder it made
            remove_empty(made)
