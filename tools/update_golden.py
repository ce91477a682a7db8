"""Rewrite the golden baseline used by tests/flywheel/test_golden.py.

Run after a deliberate change of the model or its defaults, and say why in the commit::

    python tools/update_golden.py
"""

from pathlib import Path

from flywheel import simulate

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden" / "baseline.csv"

if __name__ == "__main__":
    simulate().frame.to_csv(GOLDEN, float_format="%.12g")
    print(f"golden baseline written: {GOLDEN}")
