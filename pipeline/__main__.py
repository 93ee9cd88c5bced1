"""`python -m pipeline`: say where the published corpus is and what it holds (the last step of `make run`)."""

import collections
import os
import sys

import pyarrow.parquet as pq

from pipeline.corpus import LocationError, curated_location, local_folder


def main() -> int:
    try:
        curated = local_folder(curated_location(), "the curated folder (PIPELINE_CURATED_DIR)")
    except LocationError as e:
        print(e, file=sys.stderr)
        return 1
    corpus_path, rejected_path = curated / "corpus" / "corpus.parquet", curated / "rejected" / "rejected.parquet"
    if not corpus_path.exists():
        print(f"no corpus at {corpus_path}: run `make run` first", file=sys.stderr)
        return 1
    corpus = pq.read_table(corpus_path, columns=["language", "n_chars"])
    rejected = pq.read_table(rejected_path, columns=["stage", "reason"])
    languages = collections.Counter(corpus["language"].to_pylist())
    print(f"corpus:   {os.path.relpath(corpus_path)}  {corpus.num_rows} documents, "
          f"{sum(corpus['n_chars'].to_pylist())} characters, languages {dict(languages.most_common())}")
    print(f"rejected: {os.path.relpath(rejected_path)}  {rejected.num_rows} files")
    for row in rejected.to_pylist():
        print(f"  {row['stage']}: {row['reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
