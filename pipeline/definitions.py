import functools
from pathlib import Path

from dagster import definitions, load_from_defs_folder


@definitions
@functools.cache  # `dagster asset materialize` loads the definitions six times (0.2-0.5 s each): once is enough
def defs():
    return load_from_defs_folder(path_within_project=Path(__file__).parent)
