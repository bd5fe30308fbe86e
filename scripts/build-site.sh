#!/usr/bin/env bash
# Builds the site to publish: one static folder (default dist/) with the page, both wasm builds,
# MNIST compressed, the icons and the service worker; copy it to any static host.
# Usage: scripts/build-site.sh [DIR]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/setup.sh"
step "building the site"
build_site "${1:-dist}"
