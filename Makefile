# `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Dagster's instance is this folder: dagster.yaml here, its storage in .dagster/ (git-ignored). With DAGSTER_PG_URL
# set, it is deploy/postgres/: runs, event logs and schedules in that PostgreSQL database.
export DAGSTER_HOME := $(if $(DAGSTER_PG_URL),$(CURDIR)/deploy/postgres,$(CURDIR))
# dagster-postgres works with psycopg2, and SQLAlchemy 2.1 takes a bare postgresql:// URL for psycopg 3: name the driver.
ifneq ($(filter postgresql://% postgres://%,$(DAGSTER_PG_URL)),)
export DAGSTER_PG_URL := postgresql+psycopg2://$(word 2,$(subst ://, ,$(DAGSTER_PG_URL)))
endif

.PHONY: run test faults ui eval bench bench-scale screenshots mojibake-set chrome-set language-set dedup-set quality-set text-tables stop-words ftfy-cases extraction-sets compare-extractors clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# Materialize every asset (and its checks) from the raw folder into the curated folder, without the UI, in one run:
# the ingest stages for every batch of raw files (00...07, pipeline/tables.py BATCH_NAMES), then the rest. A line per
# stage (a bar on a terminal), then what was published. Dagster's event stream goes to its run storage (the UI) and
# .dagster/last-run.log; `make run VERBOSE=1` shows it here. One run whatever PIPELINE_BATCHES_PER_RUN says (that is
# for backfills the daemon launches).
run: $(STAMP)
	@mkdir -p .dagster
	@PIPELINE_PROGRESS=$$([ -t 1 ] && echo bar || echo lines) PIPELINE_BATCHES_PER_RUN= \
	  $(BIN)/dagster asset materialize -m pipeline.definitions --select '*' --partition-range 00...07 $(if $(VERBOSE),,2> .dagster/last-run.log) \
	  || { echo "the run failed (Dagster's whole log: .dagster/last-run.log):" >&2; \
	       grep -oE 'Execution of step "[a-z_]+" failed|^[A-Za-z_.]+(Error|Failure|Exception): .*' .dagster/last-run.log \
	       | awk '!seen[$$0]++' | sed 's/^/  /' >&2; exit 1; }
	@$(BIN)/python -m pipeline

# Real archives no one here wrote, for the tests: the sample WARC and ARC files of pywb's sdist (wget's, a crawl of
# iana.org), unpacked into the git-ignored .test-data/.
WARCS := .test-data/warcs
$(WARCS)/.stamp: $(STAMP)
	rm -rf $(WARCS) && mkdir -p $(WARCS)
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: -d $(WARCS) pywb==2.10.0
	tar -xzf $(WARCS)/pywb-2.10.0.tar.gz -C $(WARCS) --strip-components=3 pywb-2.10.0/sample_archive/warcs
	rm $(WARCS)/pywb-2.10.0.tar.gz
	touch $@

test: $(STAMP) $(WARCS)/.stamp
	$(BIN)/dg check defs
	$(BIN)/python -m pytest -q

# Runs killed with SIGKILL at many points, on this machine's folders and on an S3 server (tests/test_faults.py,
# about 15 minutes): CI runs it after `make test`.
faults: $(STAMP)
	$(BIN)/python -m pytest -q -m faults

ui: $(STAMP)
	$(BIN)/dagster dev -h 127.0.0.1

# Score the cleaning against the evaluation sets in eval/data/ (the figures the README quotes).
eval: $(STAMP)
	$(BIN)/python -m eval.score_mojibake --catalogues
	$(BIN)/python -m eval.score_chrome
	$(BIN)/python -m eval.score_language
	$(BIN)/python -m eval.score_dedup
	$(BIN)/python -m eval.score_quality
	$(BIN)/python -m eval.score_quality --heldout
	$(BIN)/python -m eval.score_extraction --json eval/results/extraction.json

# Throughput and memory of the whole pipeline through Dagster at 10,000 and 100,000 documents, beside the obvious
# script and datatrove (installed in .bench/datatrove-venv), of the mojibake repair beside ftfy, and of the shards on
# Ray beside the local pool, and of the curated location on S3 (moto's server) beside a local one (then again from the
# memo, with the pool and with Ray); figures in eval/results/. About 44 minutes on 2 cores (25 of them the pipeline's,
# on 2026-12-03's slow host, corpora and datatrove's environment built on the way); the corpora (1.2 GB at 100,000)
# stay in .bench/ for the next run.
bench: $(STAMP)
	$(BIN)/python -m eval.bench_pipeline
	$(BIN)/python -m eval.bench_warc
	$(BIN)/python -m eval.bench_mojibake
	$(BIN)/python -m eval.bench_ray
	$(BIN)/python -m eval.bench_s3

# The Dagster run process's memory at 10,000, 100,000 and 1,000,000 small documents (issue 40; about 40 minutes)
bench-scale: $(STAMP)
	$(BIN)/python -m eval.bench_scale

# The README's pictures of the UI (eval/results/*.png): a real run, the webserver, Debian's Chromium driven by
# Playwright (eval/screenshots.py). Installs Chromium with apt-get when it is missing (as root).
screenshots: $(STAMP)
	command -v chromium >/dev/null || apt-get install -y -q chromium
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,screenshots]'
	$(BIN)/python -m eval.screenshots

# Rebuild the quality set: real prose in 14 languages to keep, junk of seven kinds to reject (Debian packages).
quality-set: $(STAMP)
	$(BIN)/python -m eval.build_quality_set

# Rebuild the labelled chrome set (newspaper4k's test pages, the Rust docs, engine-shaped exports).
chrome-set: $(STAMP)
	$(BIN)/python eval/build_chrome_set.py

# Rebuild the labelled language set (28 languages) from Debian's gettext catalogues.
language-set: $(STAMP)
	$(BIN)/python eval/build_language_set.py

# Rebuild the documents the deduplication pairs are made from (Debian READMEs).
dedup-set: $(STAMP)
	$(BIN)/python eval/build_dedup_set.py

# Rebuild the multilingual mojibake set from Debian's gettext catalogues.
mojibake-set: $(STAMP)
	$(BIN)/python eval/build_mojibake_set.py

# Copy the two main-content extraction sets (trafilatura's evaluation corpus at e90b0ef, and a subset of the Web
# Content Extraction Benchmark at 977613a; eval/data/README.md) from where they were handed to the project: GitHub
# is out of this machine's reach, so ../shared/ holds them as fetched. The held-out set comes from newspaper4k's sdist.
SHARED ?= ../shared
extraction-sets: $(STAMP)
	rm -rf eval/data/extraction eval/data/extraction-mixed && mkdir -p eval/data/extraction
	cp $(SHARED)/extraction-dev/{COMMIT,LICENSE,README.md,evaldata.json,pages.tar.xz} eval/data/extraction/
	cp -r $(SHARED)/extraction-dev-mixed eval/data/extraction-mixed && chmod -R u+w eval/data/extraction*
	$(BIN)/python -m eval.build_extraction_heldout

# Score trafilatura, resiliparse, readability-lxml, justext, goose3 and mixes on the extraction sets, quality and
# time a page on one core (installed in .bench/extractors-venv, never imported by the pipeline; about 8 minutes).
compare-extractors: $(STAMP)
	$(BIN)/python -m eval.compare_extractors

# Rebuild ftfy's real-world test cases from its sdist (Apache-2.0).
ftfy-cases: $(STAMP)
	d=$$(mktemp -d) && $(BIN)/python -m pip download --quiet --no-binary :all: --no-deps -d $$d ftfy==6.3.1 \
	  && tar -xzf $$d/ftfy-6.3.1.tar.gz -C $$d && cp $$d/ftfy-6.3.1/tests/test_cases.json eval/data/ftfy_test_cases.json

# Rebuild the character tables fix_mojibake and decode_bytes rank by (from Debian's gettext catalogues).
text-tables: $(STAMP)
	$(BIN)/python eval/build_text_tables.py

# Rebuild the quality stage's stop words (pipeline/text/data/stop_words.json) from wordfreq's lists.
stop-words: $(STAMP)
	$(BIN)/python -m eval.build_stop_words

clean:
	rm -rf $(VENV) .test-data .dagster logs .logs_queue history storage schedules curated/corpus curated/rejected curated/versions curated/manifest.json curated/.work curated/README.md .bench
