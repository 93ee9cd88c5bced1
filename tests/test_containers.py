"""Crawl archives and dataset dumps as input: real archives (pywb's samples, unpacked by `make test`) and small
ones built here with warcio's writer."""

import collections
import gzip
import io
import json
import pathlib
import re

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.defs.resources import resources_for
from pipeline.text.containers import records

from .test_pipeline import ALL, EVERY_BATCH

SAMPLES = pathlib.Path(__file__).resolve().parents[1] / ".test-data" / "warcs"
JAPANESE = "日本語のページです。東京の天気は晴れ、気温は二十度でした。明日も晴れる予定です。"
FRENCH = "Les élèves ont déjà réussi l’examen de français ; c’était une très belle journée d’été à Paris."
ENGLISH = "A page a crawler fetched, long enough to be a document of the corpus on its own, about mirrors."
RIVERS = "Rivers in the north freeze early in the year, and the ferries stop until the ice breaks up in spring."
BREAD = "Bread rises faster in a warm kitchen, so the baker starts the dough long before sunrise each day."
GARDENS = "The community garden opens on Saturdays; bring gloves, seeds you want to share and a little patience."


def warc(path, pages, gzipped=True, kind="response"):
    """A WARC of `pages`: (url, body bytes, Content-Type, status)."""
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=gzipped)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for url, body, content_type, status in pages:
            if kind == "response":
                http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
                record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
            else:
                record = writer.create_warc_record(url, kind, payload=io.BytesIO(body), warc_content_type=content_type)
            writer.write_record(record)
    return path


def html(text, meta=""):
    return f"<html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>"


@pytest.mark.skipif(not SAMPLES.exists(), reason="make test unpacks pywb's sample archives")
def test_real_archives_give_their_responses_and_say_what_else_they_hold():
    found = {name: collections.Counter(r.skipped or ("rejected" if r.reject else "document") for r in records(SAMPLES / name))
             for name in ("example-wget-1-14.warc.gz", "iana.warc.gz", "example.arc.gz")}  # fmt: skip
    assert found["example-wget-1-14.warc.gz"] == {"warcinfo": 1, "request": 1, "document": 4}
    assert found["iana.warc.gz"]["document"] == 18 and found["iana.warc.gz"]["revisit"] == 123
    assert found["example.arc.gz"]["document"] == 1  # ARC, read as WARC
    reasons = {r.reject for r in records(SAMPLES / "iana.warc.gz") if r.reject}
    assert "not text: image/png" in reasons and "not text: application/x-javascript" in reasons
    page = next(r for r in records(SAMPLES / "example-wget-1-14.warc.gz") if r.content)
    assert page.url == "http://example.com/" and page.fetched_at.isoformat() == "2014-02-16T01:29:08+00:00"
    assert page.record_id.startswith("<urn:uuid:") and b"Example Domain" in page.content


def test_a_record_or_gzip_member_cut_short_is_rejected_and_the_others_stay(tmp_path):
    whole = warc(tmp_path / "whole.warc.gz", [(f"http://a.example/{k}", html(ENGLISH).encode(), "text/html", "200 OK") for k in range(3)])
    data = whole.read_bytes()
    (tmp_path / "cut.warc.gz").write_bytes(data[:-40])
    got = [r for r in records(tmp_path / "cut.warc.gz") if not r.skipped]
    assert len(got) == 3 and [bool(r.content) for r in got[:2]] == [True, True]
    assert "cut short" in got[-1].reject and got[-1].url == "http://a.example/2"
    (tmp_path / "cut-member.warc.gz").write_bytes(data[: len(data) - len(data) // 4])  # inside an earlier member
    assert "cut short" in [r for r in records(tmp_path / "cut-member.warc.gz") if not r.skipped][-1].reject
    plain = warc(tmp_path / "whole.warc", [("http://a.example/", html(ENGLISH).encode(), "text/html", "200 OK")], gzipped=False)
    (tmp_path / "cut.warc").write_bytes(plain.read_bytes()[:-60])
    assert [r.reject for r in records(tmp_path / "cut.warc") if not r.skipped][0].startswith("record cut short")


def test_dump_lines_that_are_not_documents_are_rejected_with_their_line(tmp_path):
    lines = [json.dumps({"id": "a1", "text": ENGLISH, "url": "https://x.example/", "created": "2024-03-03T10:00:00Z"}),
             "{not json", json.dumps({"id": "a3", "text": "  "}), json.dumps([1, 2]), json.dumps({"text": FRENCH})]  # fmt: skip
    (tmp_path / "dump.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress("\n".join(lines).encode()))
    got = list(records(tmp_path / "dump.jsonl.zst"))
    assert [(r.source_record, r.reject) for r in got] == [
        ("a1", None), ("2", "line 2 is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        ("a3", "empty text"), ("4", "line 4 is not a JSON object"), ("5", None)]  # fmt: skip
    assert got[0].url == "https://x.example/" and got[0].fetched_at.isoformat() == "2024-03-03T10:00:00+00:00"


BOMB_SCRIPT = """
import re, sys
from pipeline.text.containers import records
found = [(r.source_record, r.reject, len(r.content or b"")) for r in records(__import__("pathlib").Path(sys.argv[1]), limit=1_000_000)]
print(int(re.search(r"VmHWM:\\s*(\\d+)", open("/proc/self/status").read())[1]) // 1024)  # (getrusage keeps the parent's across exec)
print(found)
"""


def _read_bounded(path):
    """The records of `path` (1,000,000 bytes at most a record), read in a process of its own: its peak memory in MB."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, str(path)], capture_output=True, text=True, timeout=300, check=True)
    peak, found = done.stdout.split("\n", 1)
    return int(peak), eval(found)  # noqa: S307 - our own script's repr of tuples


def test_a_compressed_bomb_and_a_huge_record_are_rejected_in_bounded_memory(tmp_path):
    """2.3 MB of gzip that expand to 512 MB in one line, and a WARC record of 3 MB, read with a limit
    of 1,000,000 bytes (PIPELINE_MAX_DOCUMENT_BYTES): rejected with the reason, read no further than the limit, the
    records around them kept."""
    bomb = tmp_path / "dump.jsonl.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as f:
        f.write(json.dumps({"id": "before", "text": ENGLISH}).encode() + b"\n" + b'{"id": "bomb", "text": "')
        for _ in range(512):
            f.write(b"a" * 2**20)
        f.write(b'"}\n' + json.dumps({"id": "after", "text": FRENCH}).encode() + b"\n")
    assert bomb.stat().st_size < 3 * 2**20
    peak, found = _read_bounded(bomb)
    too_long = "line 2 longer than 1,000,000 bytes (PIPELINE_MAX_DOCUMENT_BYTES): not read further"
    assert found == [("before", None, len(ENGLISH)), ("2", too_long, 0), ("after", None, len(FRENCH.encode()))]
    assert peak < 250  # the line alone is 512 MB

    big = warc(tmp_path / "crawl.warc.gz", [("https://x.example/a", html(ENGLISH).encode(), "text/html", "200 OK"),
                                            ("https://x.example/big", b"<p>" + b"b" * 3_000_000, "text/html", "200 OK"),
                                            ("https://x.example/c", html(RIVERS).encode(), "text/html", "200 OK")])  # fmt: skip
    peak, found = _read_bounded(big)
    assert [reject for _, reject, _ in found[1:]] == [None, "record longer than 1,000,000 bytes (PIPELINE_MAX_DOCUMENT_BYTES): not read further", None]


def test_a_record_whose_content_length_lies_is_rejected_and_the_next_one_is_read(tmp_path):
    """Content-Length 10 bytes short of the block, or 50 bytes past it (into the next record's header), in a plain
    WARC and in one gzip member a record: the liar rejected, the records after it read."""
    pages = [(f"https://x.example/{k}", html(text).encode(), "text/html", "200 OK") for k, text in enumerate((ENGLISH, RIVERS, BREAD))]
    data = warc(tmp_path / "crawl.warc", pages, gzipped=False).read_bytes()
    at = data.index(b"Content-Length: ", data.index(b"https://x.example/1")) + len(b"Content-Length: ")
    length = int(data[at : data.index(b"\r\n", at)])
    for lie in (-10, 50):
        lied = data[:at] + str(length + lie).encode() + data[data.index(b"\r\n", at) :]
        records_of = [m.start() for m in re.finditer(rb"WARC/1\.[01]\r\n", lied)]
        members = b"".join(gzip.compress(lied[a:b]) for a, b in zip(records_of, records_of[1:] + [len(lied)]))
        for name, content in (("lied.warc", lied), ("lied.warc.gz", members)):
            (tmp_path / name).write_bytes(content)
            found = [(r.url, r.reject) for r in records(tmp_path / name) if not r.skipped]
            assert [url for url, _ in found] == ["https://x.example/0", "https://x.example/1", "https://x.example/2"], (name, lie)
            assert found[0][1] is None and found[1][1] is not None and found[2][1] is None, (name, lie, found)


def test_a_folder_of_archives_dumps_and_loose_files_is_one_corpus(tmp_path):
    raw, curated = tmp_path / "raw", tmp_path / "curated"
    (raw / "crawl").mkdir(parents=True)
    warc(raw / "crawl" / "pages.warc.gz", [
        ("http://jp.example/", html(JAPANESE).encode("shift_jis"), "text/html; charset=Shift_JIS", "200 OK"),
        ("http://fr.example/", html(FRENCH).encode("cp1252"), "text/html; charset=windows-1252", "200 OK"),
        ("http://en.example/", html(ENGLISH, '<meta charset="utf-8">').encode(), "text/html", "200 OK"),
        ("http://en.example/gone", b"Not Found", "text/html", "404 Not Found"),
        ("http://en.example/logo.png", b"\x89PNG\r\n\x1a\n", "image/png", "200 OK"),
    ])  # fmt: skip
    warc(raw / "crawl" / "pages.warc.wet.gz", [("http://wet.example/", RIVERS.encode(), "text/plain", "")],
         kind="conversion")  # fmt: skip
    with gzip.open(raw / "dump.jsonl.gz", "wt", encoding="utf-8") as f:  # the WET page's text again, in a dump
        f.write(json.dumps({"id": "d1", "text": RIVERS}) + "\n{broken\n")
    pq.write_table(pa.table({"id": [7], "text": [BREAD]}), raw / "shard.parquet")
    (raw / "note.txt").write_text(GARDENS)
    with dg.instance_for_test() as instance:
        result = dg.materialize(ALL, tags=EVERY_BATCH, resources=resources_for(raw, curated), instance=instance)
    assert result.success
    corpus = pq.read_table(curated / "corpus").to_pylist()
    rejected = pq.read_table(curated / "rejected").to_pylist()
    by_url = {r["url"]: r for r in corpus}
    assert JAPANESE in by_url["http://jp.example/"]["text"] and by_url["http://jp.example/"]["source_encoding"] == "shift_jis"
    assert FRENCH in by_url["http://fr.example/"]["text"] and by_url["http://fr.example/"]["decode_method"] == "http"
    assert by_url["http://en.example/"]["source_path"] == "crawl/pages.warc.gz"
    assert by_url["http://en.example/"]["source_record"].startswith("<urn:uuid:") and by_url["http://en.example/"]["fetched_at"]
    reasons = {(r["source_path"], r["reason"]) for r in rejected}
    assert ("crawl/pages.warc.gz", "HTTP status 404, not a page") in reasons
    assert ("crawl/pages.warc.gz", "not text: image/png") in reasons
    assert any(p == "dump.jsonl.gz" and reason.startswith("line 2 is not JSON") for p, reason in reasons)
    copy = next(r for r in rejected if r["duplicate_of"])  # the same text in the WET record and in the dump
    assert copy["reason"].startswith("exact copy of crawl/pages.warc.wet.gz record <urn:uuid:")
    assert {copy["source_path"], next(r["source_path"] for r in corpus if r["doc_id"] == copy["duplicate_of"])} == {
        "crawl/pages.warc.wet.gz", "dump.jsonl.gz"}
    loose = next(r for r in corpus if r["source_path"] == "note.txt")
    assert (loose["url"], loose["source_record"], loose["fetched_at"]) == (None, None, None)
    assert next(r for r in corpus if r["source_path"] == "shard.parquet")["source_record"] == "7"
    stats = result.asset_materializations_for_node("raw_documents")[0].metadata["changes"].data
    assert stats["archive records that are no documents: warcinfo"] == 2


def test_names_from_the_input_never_become_paths(tmp_path):
    """A WARC-Target-URI or a dump's id and url with "../", a NUL, or 10,000 characters: kept as data, published
    with their documents, and nothing is written outside the curated folder (issue 41, item 5)."""
    raw, curated = tmp_path / "raw", tmp_path / "curated"
    raw.mkdir()
    hostile = ["http://x.example/../../../../escaped.txt", "http://x.example/a\x00b/../../c", "http://x.example/" + "y" * 10_000]
    texts = [ENGLISH, RIVERS, BREAD]
    warc(raw / "crawl.warc.gz", [(url, html(text).encode(), "text/html", "200 OK") for url, text in zip(hostile, texts)])
    with (raw / "dump.jsonl").open("w", encoding="utf-8") as f:
        for name, text in zip(hostile, (GARDENS, FRENCH, JAPANESE)):
            f.write(json.dumps({"id": name, "url": name, "text": text}) + "\n")
    before = {p for p in tmp_path.parent.rglob("*")}
    with dg.instance_for_test() as instance:
        assert dg.materialize(ALL, tags=EVERY_BATCH, resources=resources_for(raw, curated), instance=instance).success
    made = {p for p in tmp_path.parent.rglob("*")} - before
    outside = sorted(str(p) for p in made if p != curated and curated not in p.parents)
    assert made and not outside, outside[:5]
    corpus = pq.read_table(curated / "corpus").to_pylist()
    assert sorted((r["source_path"], r["url"]) for r in corpus) == sorted([("crawl.warc.gz", url) for url in hostile] + [("dump.jsonl", url) for url in hostile])
    assert {r["source_record"] for r in corpus if r["source_path"] == "dump.jsonl"} == set(hostile)


def test_an_unchanged_archive_is_not_cleaned_again(tmp_path):
    raw, curated = tmp_path / "raw", tmp_path / "curated"
    raw.mkdir()
    warc(raw / "a.warc.gz", [(f"http://a.example/{k}", html(text).encode(), "text/html", "200 OK") for k, text in enumerate([ENGLISH, RIVERS, GARDENS])])
    with dg.instance_for_test() as instance:
        dg.materialize(ALL, tags=EVERY_BATCH, resources=resources_for(raw, curated), instance=instance)
        (raw / "b.jsonl").write_text(json.dumps({"text": BREAD}) + "\n")  # another file arrives
        again = dg.materialize(ALL, tags=EVERY_BATCH, resources=resources_for(raw, curated), instance=instance)
    for node in ("mojibake_fixed", "chrome_stripped", "language_tagged"):
        assert again.asset_materializations_for_node(node)[0].metadata["changes"].data["reused from an earlier run"] == 3, node


def test_a_dump_that_gives_two_lines_one_id_is_still_published(tmp_path):
    raw, curated = tmp_path / "raw", tmp_path / "curated"
    raw.mkdir()
    (raw / "dump.jsonl").write_text("".join(json.dumps({"id": "same", "text": t}) + "\n" for t in (RIVERS, RIVERS, GARDENS)))
    with dg.instance_for_test() as instance:
        assert dg.materialize(ALL, tags=EVERY_BATCH, resources=resources_for(raw, curated), instance=instance).success
    rejected = pq.read_table(curated / "rejected").to_pylist()
    assert [(r["source_record"], r["reason"].split(" of ")[0]) for r in rejected] == [("same", "exact copy")]
    assert pq.read_table(curated / "corpus").num_rows == 2


def test_a_dump_line_that_is_not_utf8_costs_that_line_only(tmp_path):
    data = b"\xef\xbb\xbf" + json.dumps({"text": RIVERS}).encode() + b'\n{"text": "caf\xe9"}\n' + json.dumps({"text": GARDENS}).encode()
    (tmp_path / "dump.jsonl").write_bytes(data)
    assert [(r.number, r.reject, bool(r.content)) for r in records(tmp_path / "dump.jsonl")] == [
        (1, None, True), (2, "line 2 is not UTF-8", False), (3, None, True)]


def test_a_parquet_shard_gives_its_ids_urls_and_timestamps(tmp_path):
    import datetime as dt

    created = [dt.datetime(2024, 3, 3, 10, 0), None]
    pq.write_table(pa.table({"id": [7, 8], "text": [BREAD, ""], "url": ["https://b.example/", None], "created": created}),
                   tmp_path / "shard.parquet")  # fmt: skip
    got = list(records(tmp_path / "shard.parquet"))
    assert [(r.source_record, r.url, r.reject) for r in got] == [("7", "https://b.example/", None), ("8", None, "empty text")]
    assert got[0].fetched_at.isoformat() == "2024-03-03T10:00:00+00:00" and got[1].fetched_at is None
