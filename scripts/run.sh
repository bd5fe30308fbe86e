#!/usr/bin/env bash
# Sets up what is missing, builds the site (dist/, what scripts/build-site.sh publishes) and
# serves it on 127.0.0.1. Usage: scripts/run.sh [--port 8080]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
port=8080
while [ $# -gt 0 ]; do
    case "$1" in
        --port) port=${2:?--port needs a number}; shift 2 ;;
        --port=*) port=${1#--port=}; shift ;;
        *) die "unknown argument '$1' (usage: scripts/run.sh [--port 8080])" ;;
    esac
done
"$ROOT/scripts/setup.sh"
step "building the site (dist/)"
build_site
step "building the server"
build_native
exec "$ROOT/target/release/cnn-playground" serve --root "$ROOT/dist" --host 127.0.0.1 --port "$port"
