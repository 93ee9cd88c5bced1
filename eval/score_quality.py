"""Score the quality rules on eval/data/quality_set.jsonl (eval/build_quality_set.py): prose must be kept, junk
rejected. Each document is judged as the pipeline judges it: its language as langdetect finds it, the rules of
pipeline/text/quality_rules.toml (or --rules FILE). Prints a table per kind, each rule's precision and recall, a
table per language and every miss with its reason; with
--heldout, the held-out junk (templates never looked at while the thresholds were set) instead of the dev junk.

Run: `python -m eval.score_quality [--heldout] [--rules FILE]`.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from pipeline.text import detect_language
from pipeline.text.quality import failed_rules, load_rules, reason, signals

SET = Path(__file__).resolve().parent / "data" / "quality_set.jsonl"


def judged(docs: list[dict], rules) -> list[tuple[dict, list]]:
    out = []
    for doc in docs:
        language = doc["detected"] = detect_language(doc["text"]).language
        out.append((doc, failed_rules(signals(doc["text"], language).as_dict(), language, rules)))
    return out


def per_rule(results: list[tuple[dict, list]], rules) -> None:
    """Each rule alone: the junk and the prose it rejects (any rule failed, not only the first), its precision
    (junk among what it rejects) and recall (of all junk), and the junk no other rule rejects."""
    scored = [(doc, {name for name, _ in failed}) for doc, failed in results if doc["kind"] != "catalogue"]
    junk = sum(doc["group"] == "junk" for doc, _ in scored)
    print("\n| rule | junk rejected | prose rejected | precision | recall | junk only it rejects |\n|---|---|---|---|---|---|")
    for rule in rules:
        hit = [(doc, names) for doc, names in scored if rule.name in names]
        bad = sum(doc["group"] == "junk" for doc, _ in hit)
        alone = sum(doc["group"] == "junk" and names == {rule.name} for doc, names in hit)
        precision = f"{bad / len(hit):.2f}" if hit else "-"
        print(f"| {rule.name} | {bad} | {len(hit) - bad} | {precision} | {bad / junk:.2f} | {alone} |")


def per_language(results: list[tuple[dict, list]]) -> None:
    """Prose kept and junk rejected, by the language langdetect gives each document."""
    kept, prose, caught, junk = Counter(), Counter(), Counter(), Counter()
    for doc, failed in results:
        if doc["kind"] == "catalogue":
            continue
        lang = doc["detected"]
        if doc["group"] == "prose":
            prose[lang], kept[lang] = prose[lang] + 1, kept[lang] + (not failed)
        else:
            junk[lang], caught[lang] = junk[lang] + 1, caught[lang] + bool(failed)
    print("\n| language | prose kept | junk rejected |\n|---|---|---|")
    for lang in sorted(set(prose) | set(junk), key=lambda k: -(prose[k] + junk[k])):
        print(f"| {lang} | {kept[lang]}/{prose[lang]} | {caught[lang]}/{junk[lang]} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--heldout", action="store_true", help="score the held-out junk instead of the dev junk")
    parser.add_argument("--rules", help="a rules file instead of the package's")
    args = parser.parse_args()
    family = "heldout" if args.heldout else "dev"
    docs = [d for line in SET.read_text("utf-8").splitlines() if (d := json.loads(line))["group"] == "prose" or d["family"] == family]
    rules = load_rules(args.rules)
    results = judged(docs, rules)
    right, total, misses = Counter(), Counter(), []
    for doc, failed in results:
        key = (doc["group"], doc["kind"])
        total[key] += 1
        if bool(failed) == (doc["group"] == "junk"):
            right[key] += 1
        else:
            misses.append(f"- {doc['group']} `{doc['source']}`: " + (reason(failed) if failed else "kept"))
    print(f"| group | kind | right | of |\n|---|---|---|---|")
    for key in sorted(total):
        print(f"| {key[0]} | {key[1]} | {right[key]} | {total[key]} |")
    for group in ("prose", "junk"):  # the catalogues' UI strings are shown, not counted as prose
        scored = [k for k in total if k[0] == group and k[1] != "catalogue"]
        r, t = sum(right[k] for k in scored), sum(total[k] for k in scored)
        print(f"| **{group}** | all ({family} junk)" if group == "junk" else f"| **{group}** | all", f"| **{r}** | **{t}** |")
    first = Counter(failed[0][0] for _, failed in results if failed)
    print("\nFirst rule failed:", ", ".join(f"{name} {n}" for name, n in first.most_common()))
    per_rule(results, rules)
    per_language(results)
    print("\nMisses:" if misses else "\nNo misses.")
    print("\n".join(misses))


if __name__ == "__main__":
    main()
