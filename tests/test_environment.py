"""The two environments install the same packages: environment.yml (conda, GPU workstation) against pyproject.toml,
and the torch that both get is the Makefile's pin, which pyproject.toml accepts; GPU tests run only where a GPU is."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml  # PyYAML: a dependency of papermill, so always installed with blurlib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
PIP_ONLY = {"torch", "torchvision", "opencv-python-headless"}
"""Installed by pip inside the conda env (make gpu-env): torch/torchvision as wheels that carry CUDA (the conda
channels stopped at 2.5), opencv-python-headless because conda's opencv is invisible to pip."""


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _pyproject_requirements() -> dict[str, Requirement]:
    project = _pyproject()["project"]
    reqs = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    return {r.name.lower(): r for r in map(Requirement, reqs)}


def _conda() -> tuple[dict, dict[str, str]]:
    """environment.yml, and its conda dependencies as {name: version spec}."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = {}
    for d in env["dependencies"]:
        assert isinstance(d, str), f"environment.yml: a pip section ({d}); pip's part is `make gpu-env`"
        name, spec = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", d).groups()
        deps[name.lower()] = spec
    return env, deps


def _make_variable(name: str) -> str:
    m = re.search(rf"^{name}\s*[?:]?=\s*(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert m, f"Makefile: no {name} variable"
    return m.group(1).strip()


def test_environment_yml_lists_pyprojects_packages_with_the_same_bounds():
    env, conda = _conda()
    reqs = _pyproject_requirements()
    assert env["channels"] == ["conda-forge"]  # the pytorch/nvidia channels stopped at torch 2.5
    assert set(conda) - {"python", "pip"} == set(reqs) - PIP_ONLY
    for name, spec in conda.items():
        if name not in ("python", "pip"):
            assert SpecifierSet(spec) == reqs[name].specifier, f"{name}: {spec} here, {reqs[name]} in pyproject.toml"
    python = conda["python"].lstrip("=")
    assert SpecifierSet(_pyproject()["project"]["requires-python"]).contains(python)
    assert not {"pytorch", "pytorch-cuda", "torch", "torchvision"} & set(conda)


def test_both_environments_install_the_makefiles_torch_pin_and_hed_without_deps():
    reqs = _pyproject_requirements()
    pins = {r.name: r for r in map(Requirement, _make_variable("TORCH").split())}
    assert set(pins) == {"torch", "torchvision"}
    for name, pin in pins.items():
        version = str(pin.specifier).removeprefix("==")
        assert reqs[name].specifier.contains(version), f"Makefile's {pin} is outside pyproject.toml's {reqs[name]}"
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^define install\n(.*?)^endef", makefile, re.M | re.S).group(1)
    assert "$(TORCH)" in recipe and "--no-deps $(HED)" in recipe and "-e '.[test]'" in recipe
    assert "$(call install,$(BIN)/python)" in makefile and "$(call install,python)" in makefile  # venv, gpu-env
    hed = _make_variable("HED")
    assert f"--no-deps {hed}" in (ROOT / "blurlib" / "weights.py").read_text()  # the fix the error message names


def test_gpu_tests_are_skipped_with_the_reason_where_torch_sees_no_gpu(request, monkeypatch):
    import pytest
    import torch

    hook = next(p for p in request.config.pluginmanager.get_plugins()
                if getattr(p, "__file__", "").endswith(str(Path("tests", "conftest.py"))))

    class Item:
        def __init__(self, *markers):
            self.markers, self.added = {m: getattr(pytest.mark, m) for m in markers}, []

        def get_closest_marker(self, name):
            return self.markers.get(name)

        def add_marker(self, marker):
            self.added.append(marker)

    monkeypatch.setattr(hook, "NVIDIA_DRIVER", Path("/no/nvidia/driver"))
    on_gpu, plain = Item("gpu"), Item("slow")
    for available, skipped in ((True, []), (False, ["needs a CUDA GPU: torch.cuda.is_available() is False here"])):
        on_gpu.added, plain.added = [], []
        monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
        hook.pytest_collection_modifyitems(request.config, [on_gpu, plain])
        assert [m.kwargs["reason"] for m in on_gpu.added] == skipped and plain.added == []
    assert "gpu" in "".join(_pyproject()["tool"]["pytest"]["ini_options"]["markers"])


def test_gpu_tests_fail_with_the_reason_where_a_driver_is_loaded_but_torch_sees_no_gpu(request, monkeypatch, tmp_path):
    import torch

    hook = next(p for p in request.config.pluginmanager.get_plugins()
                if getattr(p, "__file__", "").endswith(str(Path("tests", "conftest.py"))))
    driver = tmp_path / "version"
    driver.write_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05\n")
    monkeypatch.setattr(hook, "NVIDIA_DRIVER", driver)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", "13.0")

    class Item:
        added: list

        def get_closest_marker(self, name):
            return name == "gpu" or None

        def add_marker(self, marker):
            self.added.append(marker)

    item = Item()
    item.added = []
    hook.pytest_collection_modifyitems(request.config, [item])
    [mark] = item.added
    assert mark.name == "gpu_broken" and "NVIDIA driver >= 580" in mark.args[0] and "TORCH_INDEX" in mark.args[0]
