# The two commands of the README: `make run` starts a single-node broker on 127.0.0.1:9092
# with data in ./data; `make test` runs the whole test suite. Both install and build first.
BUILD ?= build
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps configure build run test test-fast bench format clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/bin/tern-broker --config config/single-node.yaml

# Everything: unit, integration (real clients against real brokers) and fuzz tests.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j 2 $(CTEST_ARGS)

# The quick set: unit tests only.
test-fast: build
	ctest --test-dir $(BUILD) --output-on-failure -L unit $(CTEST_ARGS)

bench: build
	bench/run.sh

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-fuzz
