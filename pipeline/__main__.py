"""`python -m pipeline`: say where the published corpus is and what it holds (the last step of `make run`)."""

import collections
import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import storage
from pipeline.corpus import curated_location, local_folder, shown_path
from pipeline.publication import MANIFEST, VERSIONS, current, files


def _read(root: str, manifest: dict, table: str, columns: list[str], filesystem) -> pa.Table:
    paths = [f"{root}/{f}" for f in files(manifest, table)]
    return pq.read_table(paths, columns=columns, filesystem=filesystem) if paths else pa.table({c: [] for c in columns})


def main() -> int:
    location, filesystem = curated_location(), None
    try:
        if storage.is_remote(location):  # the manifest says which version is current: its folders are shown
            filesystem, root = storage.filesystem(location)
            text = storage.read_text(storage.join(location, MANIFEST))
            manifest = json.loads(text) if text else None
            shown = lambda table: storage.join(location, VERSIONS, manifest["version"], table)  # noqa: E731
        else:  # the links curated/corpus and curated/rejected point at the current version
            root = str(local_folder(location))
            manifest = current(local_folder(location))
            shown = lambda table: shown_path(f"{root}/{table}")  # noqa: E731
        if manifest is None:
            raise FileNotFoundError(MANIFEST)
        corpus = _read(root, manifest, "corpus", ["language", "n_chars"], filesystem)
        rejected = _read(root, manifest, "rejected", ["stage", "reason"], filesystem)
    except FileNotFoundError:
        print(f"no corpus in {location}: run `make run` first", file=sys.stderr)
        return 1
    except (OSError, ValueError) as e:  # a store that does not answer, a scheme pyarrow does not know
        print(f"cannot read the corpus in {location}: {e}", file=sys.stderr)
        return 1
    languages = collections.Counter(corpus["language"].to_pylist())
    print(f"corpus:   {shown('corpus')}  {corpus.num_rows} documents, "
          f"{sum(corpus['n_chars'].to_pylist())} characters, languages {dict(languages.most_common())}")
    print(f"rejected: {shown('rejected')}  {rejected.num_rows} files")
    for row in rejected.to_pylist():
        print(f"  {row['stage']}: {row['reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
