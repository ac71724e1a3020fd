# The two commands of the README. Everything else is plain CMake.
# The normal build: RelWithDebInfo with -g1 instead of -g (line tables and
# functions, no local variables or types): backtraces keep file:line, and a clean
# build takes about 20% less CPU (a third less on the Asio/Beast-heavy files).
# For full debug info in gdb: cmake -S . -B build-debug -DCMAKE_BUILD_TYPE=Debug
# (or RelWithDebInfo without this flag).
# Both builds are unity builds (-DSB_UNITY=ON, see CMakeLists.txt): a clean gcc
# build takes half the CPU time, the sanitizer build about 30% less.
BUILD ?= build
# The sanitizer build (clang, ASan+UBSan, libFuzzer): unit tests, fuzzers, and
# the e2e tests labelled asan against the sanitized binaries. -O1 with line tables
# only, as fuzzing builds usually are: it compiles faster and still gives file:line.
ASAN_BUILD ?= build-asan
FUZZ_SECONDS ?= 10
JOBS ?= $(shell nproc)

.PHONY: run test build build-asan deps deps-test clean

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DSB_UNITY=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Builds and starts the server with the development config (anonymous clients,
# CORS open, a dev API key). Ctrl-C stops it.
run: build
	./$(BUILD)/switchboard --config config/switchboard.dev.toml

build-asan: deps-test
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
	  -DSB_FUZZ=ON -DSB_BENCH=OFF -DSB_FUZZ_SECONDS=$(FUZZ_SECONDS) -DSB_UNITY=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS) --target unit_tests integration_tests fuzzers switchboard \
	  sb-kafka-mock sb-public-api-server examples

# Builds and runs every test: unit tests (GoogleTest) and end-to-end tests
# (the official npm clients against the built binary), all through CTest;
# then, in the sanitizer build, the unit and broker integration tests, each
# fuzzer for FUZZ_SECONDS, and the e2e tests against the sanitized binaries (tests/CMakeLists.txt names
# the two left out, and why).
test: deps-test build build-asan
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300 -L 'unit|integration|fuzz|asan'

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
