"""A process that exits while a forecast is computing in the background finishes it first.

A daemon thread still inside DuckDB or NumPy when the interpreter finalises aborts the whole
process ("terminate called after throwing an instance of ''", exit 134), so background work is
waited for instead of being cut off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_process_finishes_its_background_forecast_before_exiting(tmp_path: Path) -> None:
    marker = tmp_path / "finished"
    code = f"""
import sys, time
from salesops.forecast import service

def compute():
    time.sleep(0.5)
    open({str(marker)!r}, "w").write("finished")
    return 1

assert service._kept(("exit-test",), compute, 0.01) is None  # still computing
sys.exit(0)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "finished"
