# The two commands of the README. Everything else is plain CMake.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: run test build deps deps-test clean

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Builds and starts the server with the development config (anonymous clients,
# CORS open, a dev API key). Ctrl-C stops it.
run: build
	./$(BUILD)/switchboard --config config/switchboard.dev.toml

# Builds and runs every test: unit tests (GoogleTest) and end-to-end tests
# (the official npm clients against the built binary), all through CTest.
test: deps-test build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300

clean:
	rm -rf $(BUILD)
