"""Rule-by-rule agreement of the quality stage with datatrove's GopherQualityFilter, GopherRepetitionFilter,
C4QualityFilter and FineWebQualityFilter (eval/quality_datatrove.py, in datatrove's own environment).

Two sets of documents: the bench corpus's deduplicated documents (make bench leaves them in
.bench/corpus-10000/curated/datatrove-input/deduplicated) and the labelled quality set (eval/data/quality_set.jsonl).
Two sets of our rules: eval/quality_rules_anchors.toml (datatrove's thresholds on our signals: how far the signals
agree) and pipeline/text/quality_rules.toml (ours: where we differ on purpose, the labelled documents say why).
Writes eval/results/quality_agreement.md.

Run: `python -m eval.quality_agreement` (after `make bench` has made the 10,000-document corpus).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.dataset as ds

from eval.bench_pipeline import ROOT as BENCH, datatrove_python
from pipeline.text import detect_language
from pipeline.text.quality import RULES_FILE, failed_rules, load_rules, signals

HERE = Path(__file__).resolve().parent
ANCHORS = HERE / "quality_rules_anchors.toml"
OUT = HERE / "results" / "quality_agreement.md"
BENCH_DOCS = BENCH / "corpus-10000" / "curated" / "datatrove-input" / "deduplicated"
FILTERS = ["gopher_quality", "gopher_repetition", "c4_quality", "fineweb_quality"]


def family(rule: str) -> str:
    """The datatrove filter a rule of ours stands beside."""
    if rule.startswith(("gopher_repetition", "gopher_top", "gopher_dup")):
        return "gopher_repetition"
    if rule.startswith("gopher_") or rule == "few_stop_words":
        return "gopher_quality"
    return "c4_quality" if rule.startswith("c4_") else "fineweb_quality"


def documents() -> list[dict]:
    docs = []
    if BENCH_DOCS.exists():
        table = ds.dataset(BENCH_DOCS, format="parquet").to_table(columns=["doc_id", "text", "language", "reject_stage"])
        table = table.filter(pc.is_null(table["reject_stage"]))
        docs += [{"id": r["doc_id"], "text": r["text"], "language": r["language"], "set": "bench"} for r in table.to_pylist()]
    for k, line in enumerate((HERE / "data" / "quality_set.jsonl").read_text("utf-8").splitlines()):
        item = json.loads(line)
        label = "junk" if item["group"] == "junk" else item["kind"]
        docs.append({"id": f"q{k}", "text": item["text"], "language": detect_language(item["text"]).language,
                     "set": "quality set", "label": label, "source": item["source"]})  # fmt: skip
    return docs


def datatrove(docs: list[dict]) -> tuple[dict[str, dict], dict]:
    """datatrove's verdicts, kept in .bench/ by the documents' hash: its filters take about 0.1 s a document."""
    digest = hashlib.sha256("".join(d["id"] + d["text"] for d in docs).encode()).hexdigest()[:16]
    cache = BENCH / f"quality-datatrove-{digest}.json"
    if cache.exists():
        return tuple(json.loads(cache.read_text()))  # type: ignore[return-value]
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        source.write_text("".join(json.dumps({"id": d["id"], "text": d["text"]}) + "\n" for d in docs), "utf-8")
        out = subprocess.run([str(datatrove_python()), str(HERE / "quality_datatrove.py"), str(source), str(target)],
                             check=True, capture_output=True, text=True).stdout  # fmt: skip
        verdicts = {v["id"]: v for v in map(json.loads, target.read_text("utf-8").splitlines())}
    timing = json.loads(out.strip().splitlines()[-1])
    cache.write_text(json.dumps([verdicts, timing]))
    return verdicts, timing


def ours(docs: list[dict], rules) -> dict[str, dict[str, list[str]]]:
    """For each document, the rules it fails by datatrove filter."""
    found = {}
    for doc in docs:
        by_filter: dict[str, list[str]] = {f: [] for f in FILTERS}
        for rule, _ in failed_rules(signals(doc["text"], doc["language"]).as_dict(), doc["language"], rules):
            by_filter[family(rule)].append(rule)
        found[doc["id"]] = by_filter
    return found


def agreement(docs: list[dict], theirs: dict, mine: dict) -> list[str]:
    rows = ["| filter | both keep | both reject | only datatrove rejects (its reasons) | only we reject (our rules) | agreement |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for name in FILTERS:
        cells, why_theirs, why_mine = Counter(), Counter(), Counter()
        for doc in docs:
            said, failed = theirs[doc["id"]][name], mine[doc["id"]][name]
            cells[(said is not True, bool(failed))] += 1
            if said is not True and not failed:
                why_theirs[said] += 1
            if failed and said is True:
                why_mine[failed[0]] += 1
        agree = (cells[(False, False)] + cells[(True, True)]) / max(1, len(docs))
        top = lambda c: ", ".join(f"{k} {n}" for k, n in c.most_common(3))  # noqa: E731
        rows.append(f"| {name} | {cells[(False, False)]} | {cells[(True, True)]} | {cells[(True, False)]} ({top(why_theirs)}) "
                    f"| {cells[(False, True)]} ({top(why_mine)}) | {agree:.1%} |")  # fmt: skip
    return rows


def main() -> None:
    docs = documents()
    theirs, timing = datatrove(docs)
    lines = ["# Quality rules beside datatrove's filters", "",
             f"`python -m eval.quality_agreement`; datatrove 0.10.1 with each filter's defaults. {timing['documents']} documents: "
             f"{sum(d['set'] == 'bench' for d in docs)} of the bench corpus (deduplicated, 10,000 made), the rest the labelled quality set. "
             f"datatrove's seconds per filter: {timing['seconds']}.", ""]  # fmt: skip
    for title, rules_file in (("datatrove's thresholds on our signals (eval/quality_rules_anchors.toml)", ANCHORS),
                              ("our rules (pipeline/text/quality_rules.toml)", RULES_FILE)):  # fmt: skip
        mine = ours(docs, load_rules(rules_file))
        for subset in ("bench", "quality set"):
            chosen = [d for d in docs if d["set"] == subset]
            lines += [f"## {title}: {subset} ({len(chosen)} documents)", "", *agreement(chosen, theirs, mine), ""]
        if rules_file == RULES_FILE:  # where we differ on purpose: the labelled documents
            labelled = [d for d in docs if d["set"] == "quality set"]
            lines += ["## The labelled documents each side rejects (any filter)", "",
                      "| label | documents | datatrove rejects | we reject |", "|---|---|---|---|"]  # fmt: skip
            for label in sorted({d["label"] for d in labelled}):
                group = [d for d in labelled if d["label"] == label]
                dt = sum(any(theirs[d["id"]][f] is not True for f in FILTERS) for d in group)
                we = sum(any(mine[d["id"]][f] for f in FILTERS) for d in group)
                lines.append(f"| {label} | {len(group)} | {dt} | {we} |")
            reasons = Counter(theirs[d["id"]][f] for d in labelled if d["label"] != "junk" for f in FILTERS if theirs[d["id"]][f] is not True)
            lines += ["", "datatrove's reasons on the prose: " + ", ".join(f"{r} {n}" for r, n in reasons.most_common()), ""]
            kept_prose = [d for d in labelled if d["label"] != "junk" and any(theirs[d["id"]][f] is not True for f in FILTERS) and not any(mine[d["id"]][f] for f in FILTERS)]
            lines += ["Examples of prose datatrove rejects and we keep:", ""]
            lines += [f"- `{d['source']}` ({d['language']}): " + ", ".join(str(theirs[d["id"]][f]) for f in FILTERS if theirs[d["id"]][f] is not True) for d in kept_prose[:12]]
            lines.append("")
    OUT.write_text("\n".join(lines), "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
