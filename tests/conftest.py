from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw"


@pytest.fixture(scope="session")
def samples() -> dict[str, bytes]:
    """The five seed documents, by file name."""
    return {p.name: p.read_bytes() for p in sorted(RAW.iterdir()) if p.is_file() and not p.name.startswith(".")}
