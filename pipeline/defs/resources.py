"""Where the pipeline reads and writes. PIPELINE_RAW_DIR and PIPELINE_CURATED_DIR override the defaults."""

from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.corpus import curated_dir, publish, raw_dir
from pipeline.memo import Memo


class CorpusPaths(dg.ConfigurableResource):
    """The raw folder the pipeline reads and the curated folder it publishes to (relative to the working dir)."""

    raw_dir: str
    curated_dir: str

    @property
    def memo(self) -> Memo:
        """Per-document results kept between runs, in the hidden work folder of the curated folder."""
        return Memo(self.curated / ".work" / "memo.sqlite")

    @property
    def raw(self) -> Path:
        return Path(self.raw_dir).resolve()

    @property
    def curated(self) -> Path:
        return Path(self.curated_dir).resolve()


class StageTables(dg.ConfigurableIOManager):
    """Keeps each stage's document table as Parquet in a working folder, so a stage reads only its input."""

    work_dir: str

    def _path(self, context) -> Path:
        return Path(self.work_dir).resolve() / f"{'.'.join(context.asset_key.path)}.parquet"

    def handle_output(self, context: dg.OutputContext, obj: pa.Table) -> None:
        path = self._path(context)
        publish(obj, path.parent, path.stem)

    def load_input(self, context: dg.InputContext) -> pa.Table:
        return pq.read_table(self._path(context))


def default_resources() -> dict:
    return resources_for(raw_dir(), curated_dir())


def resources_for(raw: Path, curated: Path) -> dict:
    return {
        "paths": CorpusPaths(raw_dir=str(raw), curated_dir=str(curated)),
        # Hidden inside curated/: readers of curated/corpus never see it, and tests get their own.
        "io_manager": StageTables(work_dir=str(curated / ".work")),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=default_resources())
