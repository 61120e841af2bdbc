# Every target installs what it needs into .venv first (python3 -m venv + pip).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
KIS_ENV ?= mock

.PHONY: install generate check test demo bench golden lint typecheck fresh coverage record clean openapi openapi-check docs snippets

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	command -v redis-server >/dev/null || [ "$$(id -u)" != 0 ] || (apt-get install -y -q redis-server >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q redis-server >/dev/null)) || echo "redis-server not installed: the Redis tests will be skipped"
	touch $(STAMP)

generate: install  ## regenerate codegen/spec_model.py and generated/ from spec/
	$(PY) -m codegen generate

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install
	$(PY) -m mypy runtime/kisapi_runtime runtime/kisapi_gateway codegen generated/kisapi sandbox/kisapi_sandbox cli/kisapi_cli cli/kisapi_mcp

fresh: install  ## fail when generated/ does not match spec/ + codegen/
	$(PY) -m codegen check

coverage: install  ## spec/ against the upstream snapshot spec/_upstream: undeclared differences fail
	$(PY) -m codegen coverage

openapi: install  ## spec/ -> openapi/ (OpenAPI 3.1 + AsyncAPI 3.0), validated
	$(PY) -m codegen openapi

openapi-check: install  ## fail when openapi/ is stale or invalid
	$(PY) -m codegen openapi --check

docs: install  ## build/site: the reference site (mkdocs-material, strict: no broken link; every API and TR has a page)
	$(PY) -m codegen docs

snippets: install  ## mypy --strict on the README's (and docs/guide's) Python blocks and examples/*.py
	$(PY) -m codegen snippets

check: lint typecheck fresh coverage openapi-check docs snippets

test: install
	$(PY) -m pytest

demo: install  ## quote, chart, paper order, balance against the embedded sandbox
	$(PY) -m kisapi_sandbox.demo

bench: install  ## ratio table + import/memory/generate/client figures; rivals from the bench extra
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) benchmarks/run.py

APIS ?=
record: install  ## (re)record tests/cassettes through the SDK: KIS when KIS_APPKEY is set (KIS_ENV=mock|real), else the sandbox; APIS="id product glob" limits it
	$(PY) -m tests.vcr.record --env $(KIS_ENV) $(APIS)

golden: install  ## rewrite the generator's golden output after an intended change
	$(PY) -m codegen golden

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
