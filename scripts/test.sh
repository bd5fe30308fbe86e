#!/usr/bin/env bash
# Every test: formatting and lints, native unit and reference tests (the GPU path's among them),
# the same numeric tests in headless Chromium, Firefox and WebKitGTK (wasm-bindgen-test),
# end-to-end tests of the page in Chromium (playwright-core), and a walk of every panel in
# Firefox, WebKitGTK and WPE WebKit (tests/engines/).
# Sets up whatever is missing first. Prints the time each stage took.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
declare -a timings=()
stage() {
    local name=$1; shift
    step "$name"
    local t0; t0=$(date +%s)
    "$@" || die "$name failed"
    timings+=("$(printf '%-28s %4ss' "$name" $(( $(date +%s) - t0 )))")
}

# The tests compiled for wasm32 and run in the browser: those marked to run in both places. The
# numeric ones run on every build; the page's glue (the same code in each) on the SIMD build.
NUMERIC_TESTS=(--test conv_reference --test network_reference --test layer_reference --test gradcheck --test training)
GLUE_TESTS=(--test replica --test session --test hostile_wasm --test datasets)

# Runs wasm tests in a headless browser, $1: chrome, firefox or webkit (WebKitGTK, whose
# WebKitWebDriver speaks safaridriver's protocol); webdriver.json names each browser's binary.
# The rest goes to cargo. Without debug info: each test's wasm is a tenth the size, and linking
# it and running wasm-bindgen on it take minutes less.
wasm_tests_in() {
    local browser
    case $1 in
        webkit) browser=(--safari --safaridriver /usr/bin/WebKitWebDriver) ;;
        *) browser=("--$1") ;;
    esac
    shift
    use_wasm_toolchain
    CARGO_PROFILE_TEST_DEBUG=false wasm-pack --log-level warn test --headless "${browser[@]}" -- "$@"
}
# With the GPU path, whose tests run on WebGPU (SwiftShader's adapter: webdriver.json turns WebGPU
# on in headless Chromium), some taking longer than the runner's 20 s.
wasm_tests_gpu() { WASM_BINDGEN_TEST_TIMEOUT=180 wasm_tests_in chrome "${NUMERIC_TESTS[@]}" "${GLUE_TESTS[@]}" --features gpu --test gpu; }
# The numeric tests on the portable build (no SIMD instructions): both must meet the references.
wasm_tests_portable() { portable wasm_tests_in chrome "${NUMERIC_TESTS[@]}"; }
# And on the relaxed-SIMD build (fused multiply-add, Winograd's 3×3 convolutions): the references
# within their tolerances, a seeded run reproducible, but its bits its own (tests/training.rs).
wasm_tests_relaxed() { relaxed wasm_tests_in chrome "${NUMERIC_TESTS[@]}"; }
# Firefox runs the relaxed build: its numeric tests there, and the glue; both are the binaries
# the stages above built (no GPU test: Firefox on Linux has no WebGPU).
wasm_tests_firefox() {
    WASM_BINDGEN_TEST_TIMEOUT=180 wasm_tests_in firefox "${GLUE_TESTS[@]}" --features gpu \
        && relaxed wasm_tests_in firefox "${NUMERIC_TESTS[@]}"
}
# WebKitGTK runs the SIMD build: the numeric tests and the glue, on a display of their own, with
# SharedArrayBuffer on as Safari has it on an isolated page (tests/engines/webdriver.mjs says why).
wasm_tests_webkit() {
    JSC_useSharedArrayBuffer=1 WASM_BINDGEN_TEST_TIMEOUT=180 with_display wasm_tests_in webkit \
        "${NUMERIC_TESTS[@]}" "${GLUE_TESTS[@]}" --features gpu
}
# Runs a command on an X display of its own (Xvfb).
with_display() {
    local display=":$(( RANDOM % 500 + 100 ))" rc=0
    Xvfb "$display" -screen 0 1280x1024x24 -nolisten tcp 2>/dev/null &
    local x=$!
    sleep 1
    DISPLAY=$display "$@" || rc=$?
    kill "$x"
    return "$rc"
}
wasm_clippy() {
    # Debian's rustc-web ships no clippy; the native lint run covers the shared code there.
    [ "$(cat "$TOOLS/wasm-toolchain")" = rustup ] || { echo "skipped (no clippy for the wasm toolchain)"; return 0; }
    cargo clippy -q --target wasm32-unknown-unknown --lib --features gpu -- -D warnings
}
page_build() { build_site; }
# A test that hangs (a browser left open) fails after 5 minutes instead of holding CI.
e2e() { node --test --test-concurrency=1 --test-timeout=300000 tests/e2e/; }
# Every engine named, so that one missing fails rather than being left out.
engines() { ENGINES=firefox,webkit,wpe node --test --test-timeout=600000 tests/engines/; }

stage "set-up" "$ROOT/scripts/setup.sh"
stage "cargo fmt --check" cargo fmt --check
# With the GPU path (feature gpu): its code is linted and its tests run, on lavapipe where this
# machine has no GPU (Mesa's Vulkan looks for a display session there and complains without one).
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
stage "cargo clippy" cargo clippy -q --all-targets --features gpu -- -D warnings
stage "cargo clippy (wasm32)" wasm_clippy
# The page's contract (protocol.js's types) and its lints, as clippy checks the core's (package.json).
stage "tsc (the page)" npm run -s typecheck
stage "eslint (the page)" npm run -s lint
stage "cargo test (native)" cargo test -q --features gpu
stage "wasm-pack test (Chromium)" wasm_tests_gpu
stage "wasm-pack test (portable)" wasm_tests_portable
stage "wasm-pack test (relaxed)" wasm_tests_relaxed
stage "wasm-pack test (Firefox)" wasm_tests_firefox
stage "wasm-pack test (WebKitGTK)" wasm_tests_webkit
stage "build the page" page_build
stage "build the native binary" build_native
stage "e2e (playwright, Chromium)" e2e
stage "every panel (Firefox, WebKit)" engines

printf '\n==> timings\n'
printf '  %s\n' "${timings[@]}"
