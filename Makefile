# Folio: `make book` builds the sample book into dist/, `make test` runs the test suite.
# Both first install what is missing: Debian packages (fonts, poppler, qpdf, Java, HarfBuzz's subsetter)
# and a virtual environment in .venv with Folio and its Python dependencies.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.folio-installed

# Fonts come from fonts/fonts.toml's packages; libgs-common has the CMYK output profile of PDF/X editions;
# the rest are tools Folio and its tests call.
DEB_PACKAGES := fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji fonts-dejavu-core fontconfig \
                libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
                poppler-utils qpdf libgs-common

# Ace by DAISY, the EPUB accessibility checker the tests run (pinned); installed from npm into .ace/. It drives
# Debian's Chromium, which the font-fallback tests also render with: Puppeteer's own browser download is skipped.
ACE_VERSION := 1.4.6
ACE_DIR     := .ace
ACE_STAMP   := $(ACE_DIR)/.ace-cli-$(ACE_VERSION)

.PHONY: book test sysdeps venv ace ace-sysdeps bench clean

book: venv
	$(BIN)/folio build book --out dist

# FOLIO_REQUIRE_TOOLS: a test whose tool (Ace, Chromium) is missing fails here instead of skipping.
test: venv ace
	FOLIO_REQUIRE_TOOLS=1 $(BIN)/python -m pytest

venv: sysdeps $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# Install the Debian packages that are missing (and Java for EPUBCheck); quick when all are there.
sysdeps:
	@missing=""; \
	for pkg in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$pkg 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$pkg"; \
	done; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root, or install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  fc-cache -f >/dev/null; \
	fi

ace: ace-sysdeps $(ACE_STAMP)

$(ACE_STAMP):
	rm -rf $(ACE_DIR) && mkdir -p $(ACE_DIR)
	cd $(ACE_DIR) && ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 \
	  npm install --prefix . --no-audit --no-fund --loglevel=error @daisy/ace-cli@$(ACE_VERSION)
	test -x $(ACE_DIR)/node_modules/.bin/ace-cli
	touch $@

# Chromium, Node.js and npm from Debian when missing (a Node.js already on the PATH is kept).
ace-sysdeps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root, or install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

clean:
	rm -rf dist book/.folio-cache

# Folio against Pandoc on the sample book, 西遊記, Moby-Dick and a generated 1,000-page book (issue 6); not part of
# `make test`. Takes 15 minutes or more; writes tests/bench/results.md. BENCH_ARGS="--quick" for a smoke check.
bench: venv
	$(BIN)/python tests/bench/run.py $(BENCH_ARGS)
