# Front door: `make run` shows the server working, `make test` runs every test.
# Both install what is missing first (Debian packages, then the npm lockfile).

BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
SAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
NODE_DEPS := tests/integration/node_modules/.installed
BENCH_DEPS := bench/node_modules/.installed bench/peers/codex-0.153.4/node_modules/.installed
BENCH_RUNS ?= 7
BENCH_HTTP_ARGS ?=

.PHONY: all deps bench bench-http run test test-suite test-sanitizers test-valgrind fuzz unit clean format

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

bench/node_modules/.installed: bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund
	touch $@

bench/peers/codex-0.153.4/node_modules/.installed: bench/peers/codex-0.153.4/package-lock.json
	cd bench/peers/codex-0.153.4 && npm ci --no-audit --no-fund
	touch $@

# Side by side with the peers, in one run; writes bench/results/.
bench: $(NODE_DEPS) $(BENCH_DEPS)
	scripts/setup.sh --bench
	$(MAKE) all
	node bench/run.mjs $(BUILD) $(BENCH_RUNS)

# The HTTP load benchmark alone, e.g. BENCH_HTTP_ARGS='--only ts --runs 1'; writes bench/results/http-load.*.
bench-http: bench/node_modules/.installed
	scripts/setup.sh --bench
	$(MAKE) all
	node bench/http-load.mjs --build $(BUILD) $(BENCH_HTTP_ARGS)

# doctor first, with the Codex and configuration the demo then uses: it says what is wrong.
run: deps $(NODE_DEPS)
	$(MAKE) all
	node tests/integration/demo.mjs --doctor $(BUILD)/codex-mcp
	node tests/integration/demo.mjs $(BUILD)/codex-mcp

# Every test: the suite, the suite again under ASan and UBSan, the unit tests under
# valgrind, and each fuzz target for FUZZ_SECONDS.
test: deps $(NODE_DEPS)
	$(MAKE) test-suite
	$(MAKE) test-sanitizers
	$(MAKE) test-valgrind
	$(MAKE) fuzz

test-suite: all
	ctest --test-dir $(BUILD) --output-on-failure -j2

test-sanitizers:
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCODEX_MCP_SANITIZE=ON
	cmake --build $(SAN_BUILD) -j$$(nproc)
	scripts/run-sanitized.sh $(SAN_BUILD)

test-valgrind: all
	scripts/valgrind-unit.sh $(BUILD)

fuzz:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCODEX_MCP_FUZZ=ON -DCODEX_MCP_SANITIZE=ON -DBUILD_TESTING=OFF
	cmake --build $(FUZZ_BUILD) -j$$(nproc)
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

unit: $(NODE_DEPS)
	$(MAKE) all
	ctest --test-dir $(BUILD) --output-on-failure -R '^unit/'

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
