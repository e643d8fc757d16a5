"""Architecture rules that code review alone would let slip."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_engine_imports_no_django():
    # The contract lives in pyproject.toml ([tool.importlinter]); this runs it.
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def test_engine_imports_without_django_installed_in_sys_modules():
    code = "import sys, closedloop.engine, closedloop.rules; assert not any(m.startswith('django') for m in sys.modules), 'django'"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
