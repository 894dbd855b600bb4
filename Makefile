# softops: `make demo` and `make test` are all a fresh machine needs (python3 >= 3.11 and make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp

.PHONY: demo test lint typecheck bench bench-quick docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,docs,dev]"
	touch $(STAMP)

# Other soft-sorting libraries, timed beside softops when installed.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	touch $(BENCH_STAMP)

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py

test: $(STAMP)
	$(BIN)/ruff check softops tests bench examples scripts
	$(BIN)/python scripts/check_api_docs.py --check
	$(BIN)/python -m pytest -n 2 --doctest-modules softops tests

typecheck: $(STAMP)
	$(BIN)/mypy softops

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py

bench-quick: $(BENCH_STAMP)
	$(BIN)/python bench/run.py --quick

docs: $(STAMP)
	$(BIN)/python scripts/gallery.py
	$(BIN)/python scripts/check_api_docs.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) site .pytest_cache .ruff_cache .mypy_cache docs/gallery/*.png
