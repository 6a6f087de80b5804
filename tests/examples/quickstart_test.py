"""The quick-start example runs (smoke mode) and its metric is right."""

import importlib.util
import pathlib

import numpy as np

PATH = pathlib.Path(__file__).parents[2] / "examples" / "quickstart.py"


def load():
    spec = importlib.util.spec_from_file_location("quickstart", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_smoke_run_reports_coverage():
    modes, share = load().main(["--smoke"])
    assert 0 <= modes <= 8 and 0.0 <= share <= 1.0


def test_mode_coverage_of_the_data_itself_is_complete():
    quickstart = load()
    modes, share = quickstart.mode_coverage(quickstart.ring(4000))
    assert modes == 8 and share > 0.99
    # All samples on one mode: one mode covered.
    modes, _ = quickstart.mode_coverage(np.tile([[2.0, 0.0]], (100, 1)))
    assert modes == 1
