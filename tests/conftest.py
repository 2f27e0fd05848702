"""Shared fixtures: the synthetic set (always), the CUHK benchmark (when present), a loopback HTTP server; tests
marked ``gpu`` are skipped without a CUDA GPU."""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import os
import struct
import threading
import zlib
from pathlib import Path

import pytest
import torch
from PIL import Image

import blurlib.train as train_module
from blurlib import checkpoint
from blurlib.data.synthetic import make_sample
from blurlib.models import build
from blurlib.data import make_synthetic, scan
from blurlib.data.source import default_root
from blurlib.paths import DATA_ENV

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def cuhk_root() -> Path | None:
    for candidate in (os.environ.get(DATA_ENV), default_root()):
        if candidate and (Path(candidate) / "gt").is_dir():
            return Path(candidate)
    return None


NVIDIA_DRIVER = Path("/proc/driver/nvidia/version")
"""Present where an NVIDIA driver is loaded (Linux)."""


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` run where torch sees a CUDA GPU. Elsewhere they are skipped with the reason — except on a
    machine with an NVIDIA driver, where a torch that sees no GPU is a broken GPU environment: they fail, naming why
    (:func:`blurlib.runtime.gpu_environment`)."""
    import torch

    from blurlib.errors import BlurlibError
    from blurlib.runtime import gpu_environment

    if torch.cuda.is_available():
        return
    if NVIDIA_DRIVER.exists():
        try:
            gpu_environment()
            reason = "torch sees no GPU"
        except BlurlibError as e:
            reason = str(e)
        mark = pytest.mark.gpu_broken(f"an NVIDIA driver is loaded ({NVIDIA_DRIVER}) but {reason}")
    else:
        mark = pytest.mark.skip(reason="needs a CUDA GPU: torch.cuda.is_available() is False here")
    for item in items:
        if item.get_closest_marker("gpu"):
            item.add_marker(mark)


@pytest.fixture(autouse=True)
def _gpu_environment_broken(request):
    """A ``gpu`` test on a machine whose NVIDIA driver torch cannot use fails with the reason (not skipped)."""
    broken = request.node.get_closest_marker("gpu_broken")
    if broken is not None:
        pytest.fail(broken.args[0], pytrace=False)


@pytest.fixture(scope="session")
def cuhk() -> Path:
    root = cuhk_root()
    if root is None:
        pytest.skip(f"CUHK benchmark absent: set {DATA_ENV} or place it at data/CUHK")
    return root


def _load_script(name: str):
    """scripts/<name>.py as a module: the driver scripts are not part of the package."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def complete_cuhk(cuhk, tmp_path_factory) -> Path:
    """A complete 1000-image benchmark in a temporary folder: links to the local masks, images and official HiFST
    maps, plus stand-ins for the images the local copy lacks (textured, at their masks' sizes, Gaussian-blurred
    where the mask says blurred). Needs the local copy (skipped without it)."""
    import cv2
    import numpy as np

    from blurlib.data import read_mask

    root = tmp_path_factory.mktemp("complete_cuhk")
    (root / "gt").symlink_to(cuhk / "gt", target_is_directory=True)
    (root / "baselines").symlink_to(cuhk / "baselines", target_is_directory=True)
    (root / "image").mkdir()
    rng = np.random.default_rng(0)
    for mask in sorted((cuhk / "gt").glob("*.png")):
        local = cuhk / "image" / f"{mask.stem}.jpg"
        if local.is_file():
            (root / "image" / local.name).symlink_to(local)
            continue
        blurred = read_mask(mask)
        h, w = blurred.shape
        sharp = cv2.resize(rng.uniform(0, 255, (h // 8 + 1, w // 8 + 1, 3)).astype(np.uint8), (w, h),
                           interpolation=cv2.INTER_NEAREST)
        soft = cv2.GaussianBlur(sharp, (0, 0), 4)
        cv2.imwrite(str(root / "image" / f"{mask.stem}.jpg"), np.where(blurred[..., None], soft, sharp))
    return root


@pytest.fixture
def run_experiments():
    return _load_script("run_experiments")


@pytest.fixture
def run_notebooks():
    return _load_script("run_notebooks")


@pytest.fixture
def reproducibility():
    return _load_script("reproducibility")


@pytest.fixture(scope="session")
def model_file(tmp_path_factory):
    """A config I checkpoint with random weights: enough to exercise the command line."""
    path = tmp_path_factory.mktemp("model") / "model.pt"
    torch.manual_seed(0)
    checkpoint.save(path, build("I"), "I", "caffe")
    return path


@pytest.fixture
def photos(tmp_path):
    """A folder of three 40x40 PNG photos."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in (1, 2, 3):
        Image.fromarray(make_sample(i, 40, seed=0)[1]).save(folder / f"p{i}.png")
    return folder


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Path:
    return make_synthetic(tmp_path_factory.mktemp("synthetic"), n=12, size=64, seed=0)


@pytest.fixture(scope="session")
def synthetic(synthetic_root):
    return scan(synthetic_root, synthetic=True)


@pytest.fixture
def http_server(tmp_path):
    """Serve ``tmp_path/www`` on 127.0.0.1 (a random port); yields (folder, base URL)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield www, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def huge_png(tmp_path) -> Path:
    """``huge.png``: a PNG whose header declares 20,000 x 20,000 RGB, with one tiny IDAT (a few hundred bytes)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path = tmp_path / "huge.png"
    ihdr = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
                     + chunk(b"IEND", b""))
    return path


@pytest.fixture
def interrupt_training(monkeypatch):
    """``with interrupt_training(at):`` — training inside the block is stopped by a KeyboardInterrupt (as by SIGINT)
    when it reaches iteration ``at``; the block expects that interrupt, and training is restored after it."""
    real = train_module.batch_indices

    @contextlib.contextmanager
    def at_iteration(at: int):
        def die(n, batch, seed, it):
            if it == at:
                raise KeyboardInterrupt
            return real(n, batch, seed, it)
        monkeypatch.setattr(train_module, "batch_indices", die)
        try:
            with pytest.raises(KeyboardInterrupt):
                yield
        finally:
            monkeypatch.setattr(train_module, "batch_indices", real)
    return at_iteration
