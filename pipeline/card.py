"""The dataset card of the curated folder: README.md with the Hugging Face YAML header, so that
`datasets.load_dataset("curated")` reads the corpus (and, as config "rejected", the rejected table) as it is."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import yaml

from pipeline.corpus import CORPUS, PIPELINE_VERSION, REJECTED

_DTYPES = {"double": "float64", "float": "float32", "halffloat": "float16"}  # Arrow's names that Hugging Face spells otherwise
_SIZES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
          (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]  # fmt: skip


def _feature(t: pa.DataType) -> dict:
    """An Arrow type as one entry of a card's `features`, as datasets writes them."""
    if pa.types.is_struct(t):
        return {"struct": [{"name": f.name, **_feature(f.type)} for f in t]}
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = _feature(t.value_type)
        return {"list": inner.get("dtype") or inner.get("struct") or inner}
    return {"dtype": _DTYPES.get(str(t), str(t))}


def features(schema: pa.Schema) -> list[dict]:
    return [{"name": f.name, **_feature(f.type)} for f in schema]


def size_category(n: int) -> str:
    return next((name for limit, name in _SIZES if n < limit), "n>1B")


def card(documents: int, rejected: int, characters: int, languages: dict[str, int], reasons: dict[str, int], run_id: str) -> str:
    """The card's text: its YAML header (configs, features, languages, size, licence) and what a reader should know."""
    codes = sorted({code.split("-")[0] for code in languages if code != "und"})
    header = {
        "pretty_name": "Curated corpus",
        "license": "unknown",  # the sources' licences are not known to the pipeline
        "language": codes,
        "size_categories": [size_category(documents)],
        "configs": [
            {"config_name": "default", "default": True, "data_files": [{"split": "train", "path": "corpus/corpus.parquet"}]},
            {"config_name": "rejected", "data_files": [{"split": "train", "path": "rejected/rejected.parquet"}]},
        ],
        "dataset_info": [
            {"config_name": "default", "features": features(CORPUS), "splits": [{"name": "train", "num_examples": documents}]},
            {"config_name": "rejected", "features": features(REJECTED), "splits": [{"name": "train", "num_examples": rejected}]},
        ],
    }
    shown = lambda counts: ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"  # noqa: E731
    return f"""---
{yaml.safe_dump(header, sort_keys=False, allow_unicode=True)}---
# Curated corpus

Written by the corpus pipeline {PIPELINE_VERSION} (Dagster run `{run_id}`): {documents} documents, {characters}
characters. Languages: {shown(languages)}.

- `corpus/corpus.parquet` (config `default`): one row per kept document, its cleaned `text` and where it came from:
  `source_path`, `source_sha256`, `url` and `source_record` for a record of an archive, and what each stage did
  (`mojibake`, `chrome_removed`, `languages`, `paragraphs_removed`, `quality`).
- `rejected/rejected.parquet` (config `rejected`): {rejected} raw files or records not in the corpus, each with the
  stage and the reason. Reasons: {shown(reasons)}.

Licence: unknown. The documents are what was found in the raw folder; their authors' licences were not recorded by
the pipeline and must be established from the sources before the corpus is shared.

Read it with `datasets.load_dataset("<this folder>")`, or any Parquet reader.
"""


def write_card(folder: Path, text: str) -> Path:
    """folder/README.md, replaced whole (a hidden file moved into place)."""
    target, part = folder / "README.md", folder / ".README.md.part"
    part.write_text(text, encoding="utf-8")
    os.replace(part, target)
    return target
