"""Rebuild eval/data/extraction-heldout/: real news pages no rule of the extractor was tuned on, each with its
article's text. Run: `make extraction-sets` (needs the network's package index: newspaper4k's sdist).

The pages are newspaper4k 0.9.6's test pages (MIT; the pages are their publishers') that come with the text its
tests expect of them: 23 articles in 9 languages and 7 scripts (English, Spanish, Latvian, Arabic, Chinese,
Japanese, Korean, Thai, Burmese). Five of them are also in the chrome set (eval/data/chrome/), scored there
line by line after strip_chrome; the other 18 the project had not read.
"""

import io
import pathlib
import tarfile

from eval.build_chrome_set import newspaper4k_test_data

OUT = pathlib.Path(__file__).resolve().parent / "data" / "extraction-heldout"


def main() -> None:
    data = newspaper4k_test_data()
    names = sorted(path[5:-5] for path in data if path.startswith("html/") and f"txt/{path[5:-5]}.txt" in data)
    OUT.mkdir(parents=True, exist_ok=True)
    with tarfile.open(OUT / "pages.tar.xz", "w:xz") as tar:  # the same bytes from the same sdist: no dates, sorted
        for path in (f"{kind}/{name}.{kind}" for name in names for kind in ("html", "txt")):
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data[path]), 0o644
            tar.addfile(info, io.BytesIO(data[path]))
    (OUT / "LICENSE").write_bytes(data["LICENSE"])
    print(f"{len(names)} pages in {OUT}")


if __name__ == "__main__":
    main()
