"""The Dagster UI's own API, as a person opening the UI would see it after a real run."""

import json
import os
import subprocess
import urllib.request

import pytest

from pipeline.defs.assets import MATERIALIZE_ALL

from .conftest import ROOT, copy_seeds
from .servers import BIN, answers, free_port, server

QUERY = """
{
  assetNodes { assetKey { path } groupName description kinds
    metadataEntries { label ... on TableSchemaMetadataEntry { schema { columns { name } } } }
    assetMaterializations(limit: 1) { metadataEntries { label ... on IntMetadataEntry { intValue } } }
    assetChecksOrError { ... on AssetChecks { checks { name blocking
      executionForLatestMaterialization { status } } } } }
}
"""


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", json.dumps({"query": query, "variables": variables or {}}).encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    """A run through the CLI into a fresh instance, then the webserver on a free port over that instance."""
    home, raw, curated = (tmp_path_factory.mktemp(name) for name in ("home", "raw", "curated"))
    copy_seeds(raw)
    env = {**os.environ, "DAGSTER_HOME": str(home), "PIPELINE_RAW_DIR": str(raw), "PIPELINE_CURATED_DIR": str(curated)}
    subprocess.run([BIN / "dagster", *MATERIALIZE_ALL],
                   cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
    port = free_port()
    command = [BIN / "dagster-webserver", "-h", "127.0.0.1", "-p", str(port), "-m", "pipeline.definitions"]
    with server(command, lambda: answers(f"http://127.0.0.1:{port}/server_info"), home / "webserver.log", cwd=ROOT, env=env):
        yield port


def test_ui_shows_the_asset_graph_metadata_and_checks(webserver):
    nodes = {tuple(n["assetKey"]["path"]): n for n in graphql(webserver, QUERY)["data"]["assetNodes"]}
    assert set(nodes) >= {("raw_documents",), ("decoded",), ("mojibake_fixed",), ("chrome_stripped",),
                          ("language_tagged",), ("deduplicated",), ("corpus",), ("rejected",)}  # fmt: skip
    for node in nodes.values():
        assert node["description"] and node["groupName"] and node["kinds"]

    corpus = nodes[("corpus",)]
    entries = {e["label"]: e for e in corpus["assetMaterializations"][0]["metadataEntries"]}
    assert entries["dagster/row_count"]["intValue"] == 5
    schema = {e["label"]: e for e in corpus["metadataEntries"]}["dagster/column_schema"]["schema"]
    assert "doc_id" in {c["name"] for c in schema["columns"]}

    checks = {c["name"]: c for c in corpus["assetChecksOrError"]["checks"]}
    assert checks["every_raw_file_accounted_for"]["blocking"]
    assert {c["executionForLatestMaterialization"]["status"] for c in checks.values()} == {"SUCCEEDED"}
