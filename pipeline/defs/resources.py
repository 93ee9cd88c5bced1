"""Where the pipeline reads and writes. PIPELINE_RAW_DIR and PIPELINE_CURATED_DIR override the defaults."""

from pathlib import Path

import dagster as dg

from pipeline.corpus import curated_location, local_folder, raw_location, readable_folder


class CorpusPaths(dg.ConfigurableResource):
    """The raw folder the pipeline reads and the curated folder it publishes to (relative to the working dir).
    Both raise pipeline.corpus.LocationError when they cannot be used: raw must be a folder that can be read."""

    raw_dir: str
    curated_dir: str

    @property
    def raw(self) -> Path:
        return readable_folder(self.raw_dir, "the raw folder (PIPELINE_RAW_DIR)")

    @property
    def curated(self) -> Path:
        return local_folder(self.curated_dir, "the curated folder (PIPELINE_CURATED_DIR)")

    @property
    def work(self) -> Path:
        """The hidden working folder inside curated/: readers of curated/corpus never see it, tests get their own."""
        return self.curated / ".work"

    @property
    def memo(self) -> Path:
        """Per-document results kept between runs (pipeline.memo)."""
        return self.work / "memo.sqlite"

    def stage(self, name: str) -> Path:
        """The folder of a stage's document table: Parquet shards (pipeline.stages)."""
        return self.work / name


def default_resources() -> dict:
    return resources_for(raw_location(), curated_location())


def resources_for(raw: Path | str, curated: Path | str) -> dict:
    return {"paths": CorpusPaths(raw_dir=str(raw), curated_dir=str(curated))}


@dg.definitions
def resources() -> dg.Definitions:
    # One process runs the steps one after the other (the graph is a chain); each stage spreads its shards
    # over a pool of worker processes, so the cores work without a process started per step.
    return dg.Definitions(resources=default_resources(), executor=dg.in_process_executor)
