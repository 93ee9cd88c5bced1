"""Score fix_mojibake against ftfy.fix_encoding on ftfy's own real-world test cases. Run: `make eval`.

A case counts as repaired when the output equals its `fixed-encoding` expectation (else `fixed`): what
an encoding-only repair should give. ftfy marks some cases as ones it fails; both tools are scored on all.
"""

import json
import pathlib
import sys

import ftfy

from pipeline.text import fix_mojibake

HERE = pathlib.Path(__file__).resolve().parent
CASES = HERE / "data" / "ftfy_test_cases.json"


def expected(case: dict) -> str:
    return case.get("fixed-encoding", case["fixed"])


def score() -> dict:
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    rows = {"pass": [0, 0, 0], "fail": [0, 0, 0]}  # cases, ftfy right, ours right
    regressions = []
    for case in cases:
        want = expected(case)
        ftfy_ok = ftfy.fix_encoding(case["original"]) == want
        ours_ok = fix_mojibake(case["original"]) == want
        row = rows[case["expect"]]
        row[0] += 1
        row[1] += ftfy_ok
        row[2] += ours_ok
        if ftfy_ok and not ours_ok:
            regressions.append(case["label"])
    return {"rows": rows, "regressions": regressions}


def main() -> int:
    result = score()
    print("| ftfy test cases | cases | ftfy.fix_encoding | pipeline fix_mojibake |")
    print("|---|---|---|---|")
    for kind, (n, f, o) in result["rows"].items():
        print(f"| marked `{kind}` by ftfy | {n} | {f} ({f / n:.0%}) | {o} ({o / n:.0%}) |")
    if result["regressions"]:
        print("\ncases ftfy repairs and we do not:", *result["regressions"], sep="\n- ")
    return 1 if result["regressions"] else 0


if __name__ == "__main__":
    sys.exit(main())
