"""Where the pipeline reads and writes. PIPELINE_RAW_DIR and PIPELINE_CURATED_DIR override the defaults; either
may be object storage (pipeline.storage)."""

import functools
import json
import tempfile
from pathlib import Path

import dagster as dg

from pipeline import storage
from pipeline.corpus import LocationError, curated_location, local_folder, raw_location, readable_folder
from pipeline.memo import Memo
from pipeline.publication import MANIFEST, VERSIONS, Version


class CorpusPaths(dg.ConfigurableResource):
    """The raw folder the pipeline reads and the curated folder it publishes to (relative to the working dir), or
    their object-storage URIs. Both raise pipeline.corpus.LocationError when they cannot be used: raw must be a
    folder (or prefix) that can be listed."""

    raw_dir: str
    curated_dir: str

    @property
    def raw(self) -> Path | str:
        """The raw folder, or the URI of a remote one (pipeline.intake reads both)."""
        what = "the raw folder (PIPELINE_RAW_DIR)"
        if not storage.is_remote(self.raw_dir):
            return readable_folder(self.raw_dir, what)
        return _checked(storage.check_folder, self.raw_dir, what)

    @property
    def published(self) -> str | None:
        """The URI the tables are uploaded to when the curated location is remote, else None."""
        return self.curated_dir.rstrip("/") if storage.is_remote(self.curated_dir) else None

    @property
    def curated(self) -> Path:
        """The local curated folder: the location itself, or where a remote one is built (storage.work_folder),
        once its bucket is known to exist."""
        if self.published:
            return storage.work_folder(_usable(self.published))
        return local_folder(self.curated_dir)

    @property
    def work(self) -> Path:
        """The hidden working folder inside curated/: readers of curated/corpus never see it, tests get their own."""
        return self.curated / ".work"

    @property
    def memo(self) -> Path:
        """Per-document results kept between runs (pipeline.memo)."""
        return self.work / "memo.sqlite"

    def remote(self, local: Path) -> str:
        """The URI of a file of the local curated folder under the remote curated location."""
        return storage.join(self.published, *local.relative_to(self.curated).parts)

    def fetch_memo(self) -> bool:
        """A remote curated location's memo, as its last run uploaded it, where there is none here (a new machine)."""
        return bool(self.published) and not self.memo.exists() and storage.download(self.remote(self.memo), self.memo)

    def upload(self, local: Path) -> str:
        """A file of the local curated folder to its place under the remote one: its URI."""
        storage.upload(local, uri := self.remote(local))
        return uri

    def upload_memo(self) -> None:
        """The memo, for the next machine: one file, its write-ahead log folded in."""
        with tempfile.TemporaryDirectory() as folder:
            if Memo(self.memo).snapshot(copy := Path(folder) / self.memo.name):
                storage.upload(copy, self.remote(self.memo))

    def upload_version(self, version: Version, card: Path) -> str:
        """A version committed here to the remote curated location: its files, the card and the memo, then the
        manifest, last, which makes it current for readers; then the remote versions but this one and the one it
        replaced are removed. The manifest's URI."""
        before = storage.read_text(storage.join(self.published, MANIFEST))
        for path in version.files():
            self.upload(path)
        self.upload(card)
        self.upload_memo()
        uri = self.upload(self.curated / MANIFEST)
        keep = {version.name, json.loads(before)["version"] if before else None}
        for name in storage.subfolders(storage.join(self.published, VERSIONS)):
            if name not in keep:
                storage.delete_folder(storage.join(self.published, VERSIONS, name))
        return uri

    def stage(self, name: str) -> Path | storage.ObjectPath:
        """The folder of a stage's document table: Arrow shards (pipeline.tables). Of a remote curated location, a
        prefix under its .work/: the nodes of a Ray cluster share no folder."""
        if self.published:
            return storage.ObjectPath(storage.join(_usable(self.published), ".work", name))
        return self.work / name


def _checked(check, uri: str, what: str) -> str:
    try:
        return check(uri, what)
    except OSError as e:  # no such bucket or scheme, no credentials, no answer: the store's own words
        raise LocationError(str(e)) from None


@functools.cache  # asked at every step: the bucket is looked up once a process
def _usable(uri: str) -> str:
    """A remote curated location whose bucket exists, else LocationError."""
    return _checked(storage.check_bucket, uri, "the curated folder (PIPELINE_CURATED_DIR)")


def default_resources() -> dict:
    return resources_for(raw_location(), curated_location())


def resources_for(raw: Path | str, curated: Path | str) -> dict:
    return {"paths": CorpusPaths(raw_dir=str(raw), curated_dir=str(curated))}


@dg.definitions
def resources() -> dg.Definitions:
    # One process runs the steps one after the other (the graph is a chain); each stage spreads its shards
    # over a pool of worker processes, so the cores work without a process started per step.
    return dg.Definitions(resources=default_resources(), executor=dg.in_process_executor)
