# The two commands the README leads with. Everything else is CMake.
#   make demo   pack the example application, flash it into the virtual board, run it
#   make test   build everything (host tree under ASan+UBSan) and run every test
#   make lint   format check, cppcheck, clang-tidy, clang build, function-size gate
#               (scripts/lint.sh; docs/lint.md)
#   make fuzz   long libFuzzer runs of every target in tests/fuzz (docs/fuzzing.md)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
RELEASE := build/release
TEST := build/test

.PHONY: all deps demo test build clean lint fuzz

all: build

deps:
	@./scripts/deps.sh

build: deps
	cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(RELEASE) -j $(JOBS)

demo: build
	./scripts/demo.sh $(RELEASE)

test: deps
	cmake -S . -B $(TEST) -DCMAKE_BUILD_TYPE=Debug -DF0B_SANITIZE=ON >/dev/null
	cmake --build $(TEST) -j $(JOBS)
	cd $(TEST) && ctest --output-on-failure -j $(JOBS)

lint: deps
	./scripts/lint.sh

# Long fuzzing runs (docs/fuzzing.md): FUZZ_SECONDS per target (default 300), FUZZ_TARGETS to
# pick some; the fuzz tree is the one `make test` builds (build/test/fuzz).
FUZZ_TARGETS ?= hex elf container boot
fuzz: deps
	cmake -S . -B $(TEST) -DCMAKE_BUILD_TYPE=Debug -DF0B_SANITIZE=ON >/dev/null
	cmake --build $(TEST) --target fuzz_tree
	for t in $(FUZZ_TARGETS); do tests/fuzz/run.sh long $(TEST)/fuzz/tests/fuzz $$t || exit 1; done

clean:
	rm -rf build
