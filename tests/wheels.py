"""drawgame's wheel and every wheel it needs, built from this checkout for installs that
use no package index: a fresh virtual environment (tests/test_wheel.py) and the
container image's build (tests/test_container.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT_S = 600


def build_wheelhouse(folder: Path) -> Path:
    """``pip wheel`` of the checkout and of its build backend (hatchling) into ``folder``:
    drawgame's wheel, its dependencies' and hatchling's (pip's cache makes a second run
    quick). Returns drawgame's wheel."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
         "--wheel-dir", str(folder), str(ROOT), "hatchling"],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"pip wheel failed:\n{done.stderr[-3000:]}"
    wheels = sorted(folder.glob("drawgame-*.whl"))
    assert len(wheels) == 1, f"expected one drawgame wheel in {folder}: {wheels}"
    return wheels[0]
