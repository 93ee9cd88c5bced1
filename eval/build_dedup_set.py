"""Rebuild eval/data/dedup_docs.jsonl: real documents the dedup pairs are made from. Run: `make dedup-set`.

The documents are Debian packages' README files of 250 to 800 words (people wrote them). score_dedup.py
builds the labelled pairs from them by rule, the same every time: exact copies, copies with a few words
edited, copies with different page chrome, a copy as an HTML page against the text, and distinct documents
that share one quoted paragraph, a signature or the same chrome.
"""

import gzip
import json
import pathlib
import random
import re

OUT = pathlib.Path(__file__).resolve().parent / "data" / "dedup_docs.jsonl"
COUNT = 40
SEED = 20261123


def readmes() -> list[tuple[str, str]]:
    found = {}
    for path in sorted(pathlib.Path("/usr/share/doc").glob("*/README*")):
        try:
            raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError, EOFError):
            continue
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if len(p.split()) >= 12]
        body = "\n".join(paragraphs)
        words = len(body.split())
        if 250 <= words <= 800 and len(paragraphs) >= 3 and body not in found.values():
            found[f"{path.parent.name}/{path.name}"] = body
    return sorted(found.items())


def main() -> None:
    docs = random.Random(SEED).sample(readmes(), COUNT)
    with OUT.open("w", encoding="utf-8") as f:
        for source, text in docs:
            f.write(json.dumps({"source": f"/usr/share/doc/{source}", "text": text}, ensure_ascii=False) + "\n")
    print(f"{OUT}: {len(docs)} documents")


if __name__ == "__main__":
    main()
