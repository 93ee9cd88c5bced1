"""The job that rebuilds the corpus from the raw folder, and the schedule that runs it."""

import os

import dagster as dg

# Every run of this job rewrites curated/; dagster.yaml's run queue lets one run at a time.
ingest_job = dg.define_asset_job(
    "ingest", selection=dg.AssetSelection.all(), description="Re-ingest the raw folder into curated/."
)

reingest_schedule = dg.ScheduleDefinition(
    name="reingest_daily",
    job=ingest_job,
    cron_schedule=os.environ.get("PIPELINE_SCHEDULE", "0 3 * * *"),
    execution_timezone="UTC",
    description="Re-ingest the raw folder every day (cron from PIPELINE_SCHEDULE, default 03:00 UTC).",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
