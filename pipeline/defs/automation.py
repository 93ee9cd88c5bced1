"""The job that rebuilds the corpus from the raw folder, the schedule that runs it, and the sensor that runs
it when the raw folder changes."""

import hashlib
import json
import os

import dagster as dg

from pipeline.corpus import LocationError
from pipeline.defs.assets import EVERY_BATCH
from pipeline.defs.resources import CorpusPaths
from pipeline.intake import read_raw_listing
from pipeline.storage import RemoteFile

# Every run of this job rewrites curated/, the ingest stages for every batch (EVERY_BATCH); dagster.yaml's run
# queue lets one run at a time.
ingest_job = dg.define_asset_job(
    "ingest", selection=dg.AssetSelection.all(), description="Re-ingest the raw folder into curated/."
)

@dg.schedule(
    name="reingest_daily",
    job=ingest_job,
    cron_schedule=os.environ.get("PIPELINE_SCHEDULE", "0 3 * * *"),
    execution_timezone="UTC",
    description="Re-ingest the raw folder every day (cron from PIPELINE_SCHEDULE, default 03:00 UTC).",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def reingest_schedule() -> dg.RunRequest:
    return dg.RunRequest(tags=EVERY_BATCH)


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Request a re-ingestion when a file in the raw folder is added, changed or removed.",
)
def raw_folder_changed(context: dg.SensorEvaluationContext, paths: CorpusPaths) -> dg.SensorResult:
    try:
        raw = paths.raw
    except LocationError as e:  # a run would fail on it: say so on every tick instead
        return dg.SensorResult(skip_reason=str(e))
    # Size and modification time only: a tick must stay far below Dagster's 60 s limit on large folders.
    listing = {name: _signature(p) for name, p in read_raw_listing(raw).items()}
    state = json.dumps(listing, sort_keys=True)
    if state == context.cursor:
        return dg.SensorResult(skip_reason="the raw folder has not changed")
    before = json.loads(context.cursor) if context.cursor else {}
    added = sorted(set(listing) - set(before))
    removed = sorted(set(before) - set(listing))
    changed = sorted(name for name in set(listing) & set(before) if listing[name] != before[name])
    summary = {"added": len(added), "changed": len(changed), "removed": len(removed)}
    context.log.info(f"raw folder: {summary}; first: {(added + changed + removed)[:5]}")
    run_key = hashlib.sha256(state.encode()).hexdigest()[:16]  # the same folder state never runs twice
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=run_key, tags={**EVERY_BATCH, **{f"raw/{k}": str(v) for k, v in summary.items()}})],
                           cursor=state)  # fmt: skip


def _signature(path) -> list[int]:
    """Size and modification time; of the link itself for a broken link (its target's for a working one)."""
    if isinstance(path, RemoteFile):  # as the store listed it
        return [path.size, path.mtime_ns]
    try:
        found = path.stat()
    except OSError:
        found = path.lstat()
    return [found.st_size, found.st_mtime_ns]
