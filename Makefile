# SPDX-License-Identifier: AGPL-3.0-or-later
# Thin wrapper over meson. `make run` and `make check` are the two commands
# the README promises work on a fresh Debian 12 machine.

BUILD      ?= build
BUILD_SAN  ?= build-san
MESON      ?= meson
# CPU seconds per fuzz target (tests/fuzz/run measures CPU, not wall time)
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?=

.PHONY: all deps deps-lint build build-san run check check-normal check-san \
        check-valgrind bench fuzz clean

all: build

deps:
	@./scripts/install-deps

deps-lint:
	@./scripts/install-deps --lint

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --buildtype=debugoptimized

$(BUILD_SAN)/build.ninja:
	$(MESON) setup $(BUILD_SAN) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

build: deps $(BUILD)/build.ninja
	$(MESON) compile -C $(BUILD)

build-san: deps $(BUILD_SAN)/build.ninja
	$(MESON) compile -C $(BUILD_SAN)

run: build
	./scripts/demo-run $(BUILD)/server/corridor demo-data

# A skipped test fails check (scripts/check-skips; the API harness fails a
# test file that skipped anything) unless CORRIDOR_ALLOW_SKIP=1 is set.
check: check-normal check-san

check-normal: build deps-lint
	$(MESON) test -C $(BUILD) --print-errorlogs --num-processes 2
	./scripts/check-skips $(BUILD)

check-san: build-san deps-lint
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MESON) test -C $(BUILD_SAN) --print-errorlogs --num-processes 2 --timeout-multiplier 3
	./scripts/check-skips $(BUILD_SAN)

# The unit suites and the fuzz corpora under valgrind, which runs them 20
# to 50 times slower (Argon2id over 64 MiB dominates test_crypto): hence
# the timeout multiplier.
check-valgrind: build
	$(MESON) test -C $(BUILD) --suite unit --suite fuzz-replay --print-errorlogs \
	  --num-processes 2 --timeout-multiplier 10 \
	  --wrapper 'valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite'
	./scripts/check-skips $(BUILD)

bench: build
	./bench/run $(BUILD)

fuzz: deps
	CC=clang $(MESON) setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debugoptimized 2>/dev/null || true
	$(MESON) compile -C build-fuzz
	./tests/fuzz/run build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) build-fuzz
