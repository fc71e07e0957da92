"""qnb's benchmarks: ``python -m bench`` (full) or ``python -m bench --quick`` (smoke)."""
