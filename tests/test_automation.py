import dagster as dg

from pipeline.defs.assets import EVERY_BATCH
from pipeline.defs.automation import raw_folder_changed, reingest_schedule
from pipeline.defs.resources import CorpusPaths


def tick(raw, cursor=None):
    context = dg.build_sensor_context(cursor=cursor, resources={"paths": CorpusPaths(raw_dir=str(raw), curated_dir=str(raw))})
    return raw_folder_changed(context)


def test_sensor_requests_a_run_when_files_are_added_changed_or_removed(tmp_path):
    (tmp_path / "a.txt").write_text("first")
    first = tick(tmp_path)
    assert len(first.run_requests) == 1 and first.run_requests[0].tags["raw/added"] == "1"
    assert tick(tmp_path, first.cursor).skip_reason  # nothing changed: no run

    (tmp_path / "a.txt").write_text("first, longer now")
    (tmp_path / "b.txt").write_text("second")
    second = tick(tmp_path, first.cursor)
    assert second.run_requests[0].tags == {"raw/added": "1", "raw/changed": "1", "raw/removed": "0", **EVERY_BATCH}

    (tmp_path / "b.txt").unlink()
    third = tick(tmp_path, second.cursor)
    assert third.run_requests[0].tags["raw/removed"] == "1"
    assert len({first.run_requests[0].run_key, second.run_requests[0].run_key, third.run_requests[0].run_key}) == 3


def test_hidden_files_do_not_trigger_runs(tmp_path):
    (tmp_path / "a.txt").write_text("first")
    first = tick(tmp_path)
    (tmp_path / ".sources.tsv").write_text("bookkeeping")
    assert tick(tmp_path, first.cursor).skip_reason


def test_schedule_and_sensor_are_off_until_turned_on():
    assert reingest_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert raw_folder_changed.default_status == dg.DefaultSensorStatus.STOPPED


def test_sensor_says_why_it_cannot_watch_a_raw_location(tmp_path):
    assert "does not exist" in tick(tmp_path / "mistyped").skip_reason.skip_message
    assert "Unrecognized filesystem type in URI" in tick("ftp://host/raw").skip_reason.skip_message


def test_a_broken_link_in_the_raw_folder_does_not_break_the_sensor(tmp_path):
    (tmp_path / "a.txt").write_text("first")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    assert tick(tmp_path).run_requests[0].tags["raw/added"] == "2"
