# Front door: `make run` shows the server working, `make test` runs every test.
# Both install what is missing first (Debian packages, then the npm lockfile).

BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
NODE_DEPS := tests/integration/node_modules/.installed

.PHONY: all deps run test unit clean format

all: $(BUILD)/codex-mcp

$(BUILD)/build.ninja $(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

$(BUILD)/codex-mcp: $(BUILD)/Makefile FORCE
	cmake --build $(BUILD) -j$$(nproc)

FORCE:

deps:
	scripts/setup.sh

$(NODE_DEPS): tests/integration/package-lock.json
	cd tests/integration && npm ci --no-audit --no-fund
	touch $@

run: deps $(NODE_DEPS)
	$(MAKE) all
	node tests/integration/demo.mjs $(BUILD)/codex-mcp

test: deps $(NODE_DEPS)
	$(MAKE) all
	ctest --test-dir $(BUILD) --output-on-failure -j2

unit: all
	ctest --test-dir $(BUILD) --output-on-failure -R '^unit/'

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
