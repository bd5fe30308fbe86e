#!/usr/bin/env bash
# Time to accuracy in the page: builds the site and the native server, then drives the page in
# headless Chromium (bench/time-to-accuracy.mjs) through three runs of each recipe to its target.
# A benchmark, not a test: it prints the runs and their median to stdout and asserts nothing.
# Usage: scripts/time-to-accuracy.sh [--runs 3] [--threads 2] [RECIPE:TARGET% …]
#        (default: fast:99.0 tutorial:98.8)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{
    "$ROOT/scripts/setup.sh"
    step "building the site"
    build_site
    step "building the native server"
    build_native
    step "timing (a busy machine makes every run slower: run it on a quiet one)"
} >&2
export CHROMIUM=$(chromium_path)
cd "$ROOT"
exec node bench/time-to-accuracy.mjs "$@"
