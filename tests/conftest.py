"""Shared fixtures: the synthetic set (always), the CUHK benchmark (when present), a loopback HTTP server."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from blurlib.data import make_synthetic, scan

SHARED_CUHK = Path(__file__).resolve().parents[2] / "shared" / "cuhk"



def cuhk_root() -> Path | None:
    env = os.environ.get("BLURLIB_DATA")
    for candidate in (env, SHARED_CUHK):
        if candidate and (Path(candidate) / "gt").is_dir():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def cuhk() -> Path:
    root = cuhk_root()
    if root is None:
        pytest.skip("CUHK benchmark absent: set BLURLIB_DATA or place it at ../shared/cuhk")
    return root


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
