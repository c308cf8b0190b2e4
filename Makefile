# Folio: `make book` builds the sample book into dist/, `make test` runs the test suite.
# Both first install what is missing: Debian packages (fonts, poppler, qpdf, Java, HarfBuzz's subsetter)
# and a virtual environment in .venv with Folio and its Python dependencies.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.folio-installed

# Fonts come from fonts/fonts.toml's packages; libgs-common has the CMYK output profile of PDF/X editions;
# the rest are tools Folio and its tests call.
DEB_PACKAGES := fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji fontconfig \
                libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
                poppler-utils qpdf libgs-common

.PHONY: book test sysdeps venv bench clean

book: venv
	$(BIN)/folio build book --out dist

test: venv
	$(BIN)/python -m pytest

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

clean:
	rm -rf dist book/.folio-cache
