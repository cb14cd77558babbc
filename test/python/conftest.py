"""pytest fixtures shared by Tandem's Python tests."""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Sanitizer builds run several times slower (scripts/sanitize.sh sets 10).
TIMEOUT_SCALE = float(os.environ.get("TANDEM_TEST_TIMEOUT_SCALE", "1"))


@pytest.fixture(scope="session")
def build_dir() -> pathlib.Path:
    """The build tree: $TANDEM_BUILD_DIR, else build/ in the source tree."""
    path = pathlib.Path(os.environ.get("TANDEM_BUILD_DIR", ROOT / "build"))
    if not (path / "bin" / "tandem-opt").exists():
        pytest.fail(f"no tandem-opt under {path}/bin; run scripts/build.sh first")
    return path


@pytest.fixture(scope="session")
def tandem_opt(build_dir):
    """Runs tandem-opt with the given arguments and returns the finished process."""

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(build_dir / "bin" / "tandem-opt"), *args],
            capture_output=True,
            text=True,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory) -> str:
    """A directory where models.export() caches exported ONNX files for the
    whole session."""
    return str(tmp_path_factory.mktemp("onnx-models"))


@pytest.fixture(scope="session")
def resnet18_mlir(export_dir, build_dir, tmp_path_factory) -> pathlib.Path:
    """PyTorch's ResNet-18 (opset 17) imported to accel IR, once per session."""
    import models  # needs torch; only the tests that use this fixture pay for it

    path, _ = models.export("resnet18", 17, export_dir)
    mlir = tmp_path_factory.mktemp("resnet18") / "resnet18.mlir"
    subprocess.run([str(build_dir / "bin" / "tandem-translate"), "--import-onnx", path,
                    "-o", str(mlir)], check=True)
    return mlir


@pytest.fixture(scope="session")
def tandem(build_dir):
    """The Python package `tandem` from the build tree (build/python)."""
    import sys
    path = str(build_dir / "python")
    if not (build_dir / "python" / "tandem" / "__init__.py").exists():
        pytest.fail(f"no Python package under {path}; is pybind11-dev installed?")
    if path not in sys.path:
        sys.path.insert(0, path)
    import tandem as module
    return module
