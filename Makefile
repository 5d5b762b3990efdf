# eapart: two commands on a fresh machine, `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= demo-output
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
# System packages the tests drive: a real Chromium for the review maps,
# a CJK font for the enumerator sheets, pdftoppm to render them.
SYSTEM_PACKAGES := chromium fonts-noto-cjk poppler-utils

.PHONY: demo test lint bench system-packages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/eapart run --out $(OUT) --force
	@echo
	@echo "Review map:  $(OUT)/map/index.html"
	@echo "GeoPackage:  $(OUT)/eapart.gpkg"
	@echo "Report:      $(OUT)/report.json  and  $(OUT)/summary.csv"

system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

test: $(VENV)/.installed-test system-packages
	$(BIN)/ruff check eapart tests bench
	$(BIN)/python -m pytest -q -n auto --dist loadfile

bench: $(VENV)/.installed-bench
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build *.egg-info
