"""The dataset card of the curated folder: README.md with the Hugging Face YAML header, so that
`datasets.load_dataset("curated")` reads the corpus (and, as config "rejected", the rejected table) as it is."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import yaml

from pipeline.corpus import CORPUS, PIPELINE_VERSION, REJECTED
from pipeline.publication import VERSIONS

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


def card(manifest: dict, characters: int, languages: dict[str, int], reasons: dict[str, int]) -> str:
    """The card's text for a version (pipeline.publication's manifest): its YAML header (configs, features,
    languages, size, licence) and what a reader should know. The configs name the version's files, so the card
    reads one version whole, on this machine as on an object store."""
    documents, rejected, run_id = manifest["corpus"]["rows"], manifest["rejected"]["rows"], manifest["run_id"]
    folder = f"{VERSIONS}/{manifest['version']}"
    codes = sorted({code.split("-")[0] for code in languages if code != "und"})
    def config(name: str, table: str, glob: str, schema: pa.Schema, language: str | None = None) -> tuple[dict, dict]:
        listed = [f for f in manifest[table]["files"] if language in (None, f.get("language"))]
        # num_bytes: of the Parquet files (datasets checks num_examples only, and warns when num_bytes is missing)
        split = {"name": "train", "num_examples": sum(f["rows"] for f in listed), "num_bytes": sum(f["bytes"] for f in listed)}
        return ({"config_name": name, "data_files": [{"split": "train", "path": f"{folder}/{table}/{glob}"}]},
                {"config_name": name, "features": features(schema), "splits": [split]})  # fmt: skip

    configs = [config("default", "corpus", "*/*.parquet", CORPUS), config("rejected", "rejected", "*.parquet", REJECTED)]
    configs += [config(code, "corpus", f"{code}/*.parquet", CORPUS, code) for code in sorted(languages)]
    header = {
        "pretty_name": "Curated corpus",
        "license": "unknown",  # the sources' licences are not known to the pipeline
        "language": codes,
        "size_categories": [size_category(documents)],
        "configs": [{**data, **({"default": True} if data["config_name"] == "default" else {})} for data, _ in configs],
        "dataset_info": [info for _, info in configs],
    }
    shown = lambda counts: ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"  # noqa: E731
    return f"""---
{yaml.safe_dump(header, sort_keys=False, allow_unicode=True)}---
# Curated corpus

Written by the corpus pipeline {PIPELINE_VERSION} (Dagster run `{run_id}`): {documents} documents, {characters}
characters. Languages: {shown(languages)}.

- `{folder}/corpus/<language>/*.parquet` (config `default`, and a config for each language): one row per
  kept document, its cleaned `text` and where it came from: `source_path`, `source_sha256`, `url` and
  `source_record` for a record of an archive, and what each stage did (`mojibake`, `chrome_removed`, `languages`,
  `paragraphs_removed`, `quality`).
- `{folder}/rejected/*.parquet` (config `rejected`): {rejected} raw files or records not in the corpus, each with
  the stage and the reason. Reasons: {shown(reasons)}.
- `manifest.json`: the current version, its files, their rows and content hashes. A new run writes a new version
  and replaces the manifest last; the version before stays, older ones are removed.

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
