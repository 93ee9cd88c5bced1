"""Object storage for the raw and curated locations: s3://, gs:// and every filesystem pyarrow opens by URI, with
credentials and endpoint from the usual variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
AWS_ENDPOINT_URL; GOOGLE_APPLICATION_CREDENTIALS, STORAGE_EMULATOR_HOST).

A raw object is fetched to a temporary file by the worker that reads it, one at a time. With a remote curated
location, the stage tables are objects under its hidden prefix .work/ (an ObjectPath each; the workers of a
cluster share nothing else), while the memo and the version being published are built in a local folder
(PIPELINE_WORK_DIR); the published tables, then the memo, are uploaded once the corpus has passed its checks. An
object store has no rename, but an upload is atomic: a stage's list of shards, and the manifest of the published
version, each written last, switch readers to the new ones (pipeline.rewrite, pipeline.publication).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs

_SCHEME = re.compile(r"([a-z][a-z0-9+.-]+)://", re.IGNORECASE)  # two letters at least: C:// is a drive


def is_remote(location: str) -> bool:
    """A URI of a scheme other than file://."""
    return bool((scheme := _SCHEME.match(location)) and scheme[1].lower() != "file")


@functools.cache  # one client a bucket and process: making an S3 client costs milliseconds
def _bucket(scheme: str, bucket: str) -> pafs.FileSystem:
    if scheme in ("gs", "gcs") and (emulator := os.environ.get("STORAGE_EMULATOR_HOST")):
        # the variable Google's own clients read for a local server (pyarrow's reads none): no credentials there
        where = urllib.parse.urlsplit(emulator if "://" in emulator else f"http://{emulator}")
        return pafs.GcsFileSystem(anonymous=True, scheme=where.scheme, endpoint_override=where.netloc)
    return pafs.FileSystem.from_uri(f"{scheme}://{bucket}")[0]


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem of `uri` and the path in it (bucket/key, without a trailing '/')."""
    parts = urllib.parse.urlsplit(uri)
    return _bucket(parts.scheme.lower(), parts.netloc), f"{parts.netloc}{parts.path}".rstrip("/")


def join(uri: str, *names: str) -> str:
    return "/".join([uri.rstrip("/"), *names])


@dataclass(frozen=True)
class RemoteFile:
    """An object in a raw location, as listed: what the sensor compares and the reader fetches."""

    uri: str
    size: int
    mtime_ns: int


def _opened(uri: str, what: str) -> tuple[pafs.FileSystem, str]:
    try:
        return filesystem(uri)
    except ValueError as e:  # a scheme pyarrow does not know
        raise OSError(f"{what} is {uri}: {e}") from None


def check_folder(uri: str, what: str) -> str:
    """`uri` if it can be listed, else OSError with the store's reason. A prefix with no object under it is
    not a folder: a mistyped location is not an empty corpus."""
    fs, path = _opened(uri, what)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.File:
        raise NotADirectoryError(f"{what} {uri} is an object, not a prefix")
    if info.type == pafs.FileType.NotFound:
        raise FileNotFoundError(f"{what} {uri} does not exist (no object under it)")
    return uri


def check_bucket(uri: str, what: str) -> str:
    """`uri` if its bucket exists (what can be known before writing), else OSError with the reason."""
    fs, path = _opened(uri, what)
    bucket = path.split("/", 1)[0]
    if fs.get_file_info(bucket).type != pafs.FileType.Directory:
        raise FileNotFoundError(f"{what} is {uri}: there is no bucket {bucket}")
    return uri


def listing(uri: str) -> dict[str, RemoteFile]:
    """Every object under `uri` whose path has no hidden part, by its path relative to `uri`."""
    fs, root = filesystem(uri)
    scheme = urllib.parse.urlsplit(uri).scheme
    found = {}
    for info in fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True)):
        name = info.path[len(root) + 1 :]
        if info.type != pafs.FileType.File or any(part.startswith(".") for part in name.split("/")):
            continue
        found[name] = RemoteFile(f"{scheme}://{info.path}", info.size, info.mtime_ns or 0)
    return dict(sorted(found.items(), key=lambda item: item[0].split("/")))


@dataclass(frozen=True)
class ObjectPath:
    """An object or prefix of a remote location, as the stages use a local Path: `/` a name, `.name`."""

    uri: str

    def __truediv__(self, name: str) -> ObjectPath:
        return ObjectPath(join(self.uri, name))

    @property
    def name(self) -> str:
        return self.uri.rsplit("/", 1)[-1]

    @property
    def parent(self) -> ObjectPath:
        return ObjectPath(self.uri.rsplit("/", 1)[0])

    def __str__(self) -> str:
        return self.uri


def read_bytes(uri: str) -> bytes:
    """An object, whole, in one request."""
    fs, key = filesystem(uri)
    with fs.open_input_stream(key) as f:
        return f.read()


def write_bytes(uri: str, data: bytes) -> None:
    fs, key = filesystem(uri)
    with fs.open_output_stream(key) as f:
        f.write(data)


def delete(uris: list[str]) -> None:
    for uri in uris:
        fs, key = filesystem(uri)
        fs.delete_file(key)


class FetchError(OSError):
    """A remote object that could not be fetched (gone since it was listed, access denied, the store not answering)."""


@contextlib.contextmanager
def local_copy(path: Path | RemoteFile) -> Iterator[Path]:
    """A local path to read: a local file itself, or a remote object fetched to a temporary file of its name (the
    name tells an archive's kind), removed after."""
    if not isinstance(path, RemoteFile):
        yield path
        return
    folder = Path(tempfile.mkdtemp(prefix="pipeline-raw-"))
    try:
        local = folder / _local_name(path.uri)
        try:
            _fetch(path.uri, local)
        except OSError as e:
            raise FetchError(str(e)) from e
        yield local
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _local_name(uri: str) -> str:
    """The name of an object's local copy: its own (its ending tells an archive's kind), unless that cannot name a
    file here (`..`, longer than a file name may be): then its endings alone."""
    name = uri.rsplit("/", 1)[-1]
    if name.strip(".") and len(name.encode()) <= 200:
        return name
    endings = "".join(Path(name.strip(".")).suffixes)
    return "object" + (endings if len(endings.encode()) <= 100 else "")


def read_head(path: Path | RemoteFile, n: int) -> bytes:
    """The first `n` bytes of a local file or an object."""
    if not isinstance(path, RemoteFile):
        with open(path, "rb") as f:
            return f.read(n)
    fs, key = filesystem(path.uri)
    with fs.open_input_file(key) as f:
        return f.read(n)


def _fetch(uri: str, local: Path) -> None:
    fs, key = filesystem(uri)
    pafs.copy_files(key, str(local), source_filesystem=fs, destination_filesystem=pafs.LocalFileSystem())


def upload(local: Path, uri: str) -> None:
    fs, key = filesystem(uri)
    pafs.copy_files(str(local), key, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=fs)


def download(uri: str, local: Path) -> bool:
    """`uri` to `local`, where there is no such file (through a hidden file beside it, linked there: of runs on
    this machine at once, the first one's copy is the one all use); False when there is no such object, or when
    another run put it there first."""
    fs, key = filesystem(uri)
    if fs.get_file_info(key).type != pafs.FileType.File:
        return False
    local.parent.mkdir(parents=True, exist_ok=True)
    part = local.with_name(f".{local.name}.{os.getpid()}.part")
    try:
        _fetch(uri, part)
        try:
            os.link(part, local)
        except FileExistsError:
            return False
        except OSError:  # a filesystem without hard links: moved into place, over what may have come meanwhile
            os.replace(part, local)
        return True
    finally:
        part.unlink(missing_ok=True)


def work_folder(uri: str) -> Path:
    """The local working folder of a remote curated location: PIPELINE_WORK_DIR, else one per location under the
    user's cache folder."""
    if chosen := os.environ.get("PIPELINE_WORK_DIR"):
        return Path(chosen).expanduser().resolve()
    parts = urllib.parse.urlsplit(uri)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "pipeline" / parts.scheme / parts.netloc / parts.path.strip("/")


def read_text(uri: str) -> str | None:
    """An object's text; None when there is no such object."""
    try:
        return read_bytes(uri).decode("utf-8")
    except FileNotFoundError:
        return None


def subfolders(uri: str) -> list[str]:
    """The names of the prefixes one level under `uri`, from every object under it (a listing one level deep finds
    none on a GCS server without delimiters, as the emulator is)."""
    fs, root = filesystem(uri)
    names = set()
    for info in fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True)):
        name = info.path[len(root) + 1 :]
        if "/" in name or info.type == pafs.FileType.Directory:
            names.add(name.split("/", 1)[0])
    return sorted(names)


def delete_folder(uri: str) -> None:
    """Every object under `uri` (there may be none), and no marker of the folder left (pyarrow's S3 leaves one after
    delete_dir_contents)."""
    fs, root = filesystem(uri)
    if fs.get_file_info(root).type == pafs.FileType.NotFound:
        return
    try:
        fs.delete_dir(root)
    except FileNotFoundError:  # on GCS, pyarrow deletes the objects, then a marker object that was never made
        pass
