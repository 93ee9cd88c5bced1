"""`python -m pipeline`: say where the published corpus is and what it holds (the last step of `make run`)."""

import collections
import sys

import pyarrow.parquet as pq

from pipeline import storage
from pipeline.corpus import curated_location, local_folder, shown_path


def main() -> int:
    location, filesystem = curated_location(), None
    try:
        if storage.is_remote(location):
            filesystem, root = storage.filesystem(location)
            shown = lambda path: storage.join(location, *path.split("/")[-2:])  # noqa: E731
        else:
            root = str(local_folder(location))
            shown = shown_path
        corpus_path, rejected_path = f"{root}/corpus/corpus.parquet", f"{root}/rejected/rejected.parquet"
        corpus = pq.read_table(corpus_path, columns=["language", "n_chars"], filesystem=filesystem)
        rejected = pq.read_table(rejected_path, columns=["stage", "reason"], filesystem=filesystem)
    except FileNotFoundError:
        print(f"no corpus in {location}: run `make run` first", file=sys.stderr)
        return 1
    except (OSError, ValueError) as e:  # a store that does not answer, a scheme pyarrow does not know
        print(f"cannot read the corpus in {location}: {e}", file=sys.stderr)
        return 1
    languages = collections.Counter(corpus["language"].to_pylist())
    print(f"corpus:   {shown(corpus_path)}  {corpus.num_rows} documents, "
          f"{sum(corpus['n_chars'].to_pylist())} characters, languages {dict(languages.most_common())}")
    print(f"rejected: {shown(rejected_path)}  {rejected.num_rows} files")
    for row in rejected.to_pylist():
        print(f"  {row['stage']}: {row['reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
