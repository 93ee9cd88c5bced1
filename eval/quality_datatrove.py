"""datatrove's four quality filters on documents, for eval/quality_agreement.py (run with the interpreter of
.bench/datatrove-venv, where datatrove 0.10 is installed: it is not the pipeline's dependency).

`python eval/quality_datatrove.py IN OUT`: IN is JSON Lines of {"id", "text"}; OUT gets, per document, each
filter's verdict: true (kept) or its reason (datatrove's own words, e.g. "gopher_short_doc"). Every filter with its
defaults, as FineWeb's and datatrove's examples use them; C4QualityFilter also edits the text it keeps, which is
not carried to the next filter (each judges the document as given). Prints the seconds each filter took.
"""

import json
import sys
import time

from datatrove.data import Document
from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter

FILTERS = {"gopher_quality": GopherQualityFilter, "gopher_repetition": GopherRepetitionFilter,
           "c4_quality": C4QualityFilter, "fineweb_quality": FineWebQualityFilter}  # fmt: skip


def main(source: str, target: str) -> None:
    docs = [json.loads(line) for line in open(source, encoding="utf-8")]
    verdicts = [{"id": d["id"]} for d in docs]
    seconds = {}
    for name, make in FILTERS.items():
        judge, start = make(), time.perf_counter()
        for doc, verdict in zip(docs, verdicts):
            found = judge.filter(Document(text=doc["text"], id=doc["id"]))
            verdict[name] = True if found is True else found[1] if isinstance(found, tuple) else bool(found)
        seconds[name] = round(time.perf_counter() - start, 2)
    with open(target, "w", encoding="utf-8") as f:
        for verdict in verdicts:
            f.write(json.dumps(verdict) + "\n")
    print(json.dumps({"documents": len(docs), "seconds": seconds}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
