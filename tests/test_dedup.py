from pipeline.text import dedup, dedup_paragraphs, find_duplicates

from .conftest import ROOT

BASE = (
    "Open models reduce duplicative costs of training, help the entire ecosystem monitor best practices, "
    "and force business models that aren't reliant on simple race-to-the-bottom inference markets. Open model "
    "submarkets are emerging for every corner of the AI ecosystem, such as video generation or robotic action "
    "models, with a dramatic evolution from research ideas to mature, stable models in the last eighteen months."
)
OTHER = (
    "The training of state-of-the-art models requires substantial computational power, often beyond the reach "
    "of smaller entities. The cost of cloud services, custom hardware, and the energy bill for large-scale model "
    "training acts as a significant barrier to entry for startups and academia alike, year after year."
)


def test_repeated_paragraphs_kept_once(samples):
    raw = samples["forum-essay-no-moat.txt"].decode()
    text, removed = dedup_paragraphs(raw)
    assert len(removed) == 7
    for paragraph in set(raw.split("\n")) - {""}:
        assert text.count(paragraph) == 1


def test_a_paragraph_repeated_with_other_spacing_or_case_is_a_repeat():
    said = "The ferry leaves at six in the morning from the north quay"
    spaced = [said.replace("six in", "six  in"), f"  {said.lower()}  ", said.replace("ferry", "ferry\u00a0"), said.replace("in the", "in\u2028the")]
    text = "\n".join([said, *spaced, said + "!"])
    assert dedup_paragraphs(text) == (f"{said}\n{said}!", spaced)


def test_short_lines_and_table_rows_repeat_by_design_and_stay():
    # a line of code in two examples, an attribute under each of two entries, a heading, a step's number, a
    # calendar's row: not repeated paragraphs (a site's short lines across documents are the chrome stage's)
    example = ["from flask import request", "@app.route('/login', methods=['GET', 'POST'])", "}"]
    entry = ["Team size: 51 - 200 employees", "Pricing not publicly available", "Conclusion", "1"]
    week = "12\t13\t14\t15\t16\t17\t18 and the nine days of the festival week"
    text = "\n".join(["Logging in:", *example, "Logging out:", *example, "Agency one", *entry, "Agency two", *entry, week, week])
    assert dedup_paragraphs(text) == (text, [])
    # the quality rules read every line once, as they were set (a page's repeated buttons are no sign of junk writing)
    assert [dedup.distinct_lines(text).split("\n").count(line) for line in (*example, *entry, week)] == [1] * 8
    # but a page's title said again by its heading, right below it, is said once
    assert dedup_paragraphs("On open source AI\n\nOn open source AI\n\nHello everyone!\nOn open source AI") == (
        "On open source AI\n\nHello everyone!\nOn open source AI", ["On open source AI"])
    assert not dedup.is_paragraph(week) and dedup.is_paragraph(week.replace("\t", " "))
    assert dedup.is_paragraph("六月十二日の歴史的な米朝首脳会談を巡って戦っていた") and not dedup.is_paragraph("関連キーワード")


def test_normalize_is_nfkc_and_case_folding_of_the_whole_text():
    # folded a line at a time (ASCII lines at C speed): the same as the whole text folded at once
    import unicodedata

    texts = ["Plain ASCII\nLINE TWO", "ASCII first\nthen Straße and ﬁne\nDŽ ǅ ΣΑΣ\nlast ASCII line",
             "e\u0301\n\u0301x\nA\u030a", "İstanbul \u2028 x\x85y\n\n\u3000full\uff21width", "", "\n\n"]  # fmt: skip
    for text in texts:
        assert dedup.normalize(text) == " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def test_exact_copies_modulo_case_and_whitespace():
    dups = find_duplicates([BASE, "  " + BASE.upper().replace(" ", "\n  "), OTHER], ["a", "b", "c"])
    assert [(d.index, d.kept, d.kind) for d in dups] == [(1, 0, "exact")]


def test_near_copy_with_a_few_words_edited(samples):
    original = samples["lemmy-thread.txt"].decode()
    edited = original.replace("philosophy", "outlook").replace("secret sauce", "special sauce")
    dups = find_duplicates([edited, original, OTHER], ["x/edited", "y/original", "z/other"])
    assert len(dups) == 1 and dups[0].kind == "near" and dups[0].similarity >= 0.8
    assert (dups[0].index, dups[0].kept) == (0, 1)  # the longer original is kept, the shorter edit dropped


def test_kept_copy_is_longest_then_smallest_key():
    longer = BASE + " One more sentence."
    dups = find_duplicates([BASE, longer], ["a", "b"])
    assert [(d.index, d.kept) for d in dups] == [(0, 1)]
    dups = find_duplicates([BASE, BASE], ["b", "a"])
    assert [(d.index, d.kept) for d in dups] == [(0, 1)]


def test_documents_sharing_one_paragraph_are_not_duplicates():
    a = BASE + "\n" + OTHER
    b = BASE + "\n" + "A completely different second half about gardening, tomatoes, soil acidity and watering schedules in dry summers."
    assert find_duplicates([a, b], ["a", "b"]) == []


def test_boilerplate_paragraphs_found_across_documents_not_a_shared_quote():
    from pipeline.text import repeated_paragraphs

    disclaimer = "The views expressed here are the author's own and not those of the publisher."
    quote = "We have no moat, and neither does OpenAI."
    docs = [f"Post {i} says its own thing at some length.\n{disclaimer}" for i in range(6)]
    docs[0] += "\n" + quote
    docs[1] += "\n" + quote
    assert repeated_paragraphs(docs, min_docs=5) == {disclaimer}


def test_labelled_pairs_meet_their_targets():
    from eval.score_dedup import score

    table = score()
    positives = [row for kind, row in table.items() if not kind.startswith("distinct")]
    negatives = [row for kind, row in table.items() if kind.startswith("distinct")]
    assert all(right == n for n, right in negatives)  # precision 100 %: distinct documents are never merged
    assert sum(right for _, right in positives) >= 0.98 * sum(n for n, _ in positives)


def test_minhash_is_datasketchs():
    # The compiled MinHash must give datasketch's values: its LSH bands and anyone's stored signatures rely on them.
    import numpy as np
    from datasketch import MinHash

    from pipeline.text.dedup import NUM_PERM, _minhash, _shingles, normalize

    for text in ["one two three four five six seven eight nine ten", "Ein Satz, auf Deutsch geschrieben.", "word"]:
        shingles = _shingles(normalize(text), distinct=False)
        reference = MinHash(num_perm=NUM_PERM, hashfunc=int)
        reference.update_batch(shingles.tolist())
        assert np.array_equal(_minhash(shingles), reference.hashvalues)


def test_lsh_bands_are_datasketchs_choice():
    # written down (choosing them imports scipy); a change of threshold, permutations or weights must change them
    from datasketch import MinHashLSH

    from pipeline.text.dedup import BAND_ROWS, BANDS, NEAR_THRESHOLD, NUM_PERM

    lsh = MinHashLSH(threshold=NEAR_THRESHOLD, num_perm=NUM_PERM, weights=(0.1, 0.9))
    assert (lsh.b, lsh.r) == (BANDS, BAND_ROWS)


def test_fingerprint_made_with_the_paragraphs_is_the_texts_own(samples):
    # the deduplicating stage fingerprints a text from its lines' normalised forms, not from the text again
    texts = [samples["forum-essay-no-moat.txt"].decode(), "ﬁne\nﬁne\nFINE\n\n\n\nǅ x\nǆ x\n", "Straße\nSTRASSE\n",
             "e\u0301\n\u0301x\nx\u0301", "  a  b \n\n c\u3000d\x1ce\n\n\n", "\n\nX\u2028Y\x85Z\n" + BASE]  # fmt: skip
    for text in texts:
        kept, removed, made = dedup.dedup_and_fingerprint(text)
        own = dedup.fingerprint(kept)
        assert (kept, removed) == dedup_paragraphs(text)
        assert (made.digest, made.length, made.minhash.tolist()) == (own.digest, own.length, own.minhash.tolist())


def test_line_keys_are_the_same_in_every_batch_and_process():
    # the workers count keys of their shards' lines and the counts are added up: a key may not depend on either
    import subprocess
    import sys

    from pipeline.text.dedup import line_keys

    lines = ["Share this:", "Ünïcode — line", "x" * 70000, "Share this:", "Share this!"]
    keys = line_keys(lines).tolist()
    assert keys[0] == keys[3] and len(set(keys)) == 4
    assert [key & 0xFFFF for key in keys] == [11, 14, 0xFFFF, 11, 11]  # the length, for passes that look for some
    assert [line_keys([line]).tolist()[0] for line in lines] == keys
    code = "from pipeline.text.dedup import line_keys; print(line_keys(['Share this:']).tolist())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(ROOT))
    assert other.stdout.strip() == str(keys[:1])
