import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw"


@pytest.fixture(scope="session")
def samples() -> dict[str, bytes]:
    """The five seed documents, by file name."""
    return {p.name: p.read_bytes() for p in sorted(RAW.iterdir()) if p.is_file() and not p.name.startswith(".")}


def copy_seeds(folder: Path) -> None:
    """The seed documents of raw/ into `folder`."""
    for path in RAW.iterdir():
        if path.is_file() and not path.name.startswith("."):
            shutil.copy(path, folder / path.name)
