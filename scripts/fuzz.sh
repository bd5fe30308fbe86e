#!/usr/bin/env bash
# Fuzzes every parser a user's input reaches (fuzz/fuzz_targets/), each for MINUTES minutes
# (default 10), two at a time on two cores: coverage-guided libFuzzer through cargo fuzz, on the
# nightly toolchain. Not part of CI (it runs long). Each input has 2 s, the process 1 GB (the
# address sanitizer's own share included; the hostile corpus's 256 MB bound is tested in the
# normal suite, tests/hostile_files.rs) and no allocation over 256 MB: a slow or large walk is a
# finding, as a crash is. Each target's corpus — the inputs that reach
# new code — is kept as fuzz/corpus/TARGET.tar.gz (unpacked before a run, minimised and packed
# again after); a crash is saved in fuzz/artifacts/TARGET/ and the script fails: turn it into a
# regression test in the normal suite, then fix it.
#   scripts/fuzz.sh [MINUTES] [TARGET…]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
minutes=${1:-10}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx checkpoint pickle architecture kernel png history dataset)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q nightly || die "cargo fuzz needs the nightly toolchain: rustup toolchain install nightly"
cd "$ROOT/fuzz"
step "building the fuzz targets"
cargo +nightly fuzz build -O || die "building the fuzz targets failed"
for target in "${targets[@]}"; do
    mkdir -p corpus/"$target"
    [ -f corpus/"$target".tar.gz ] && tar -xzf corpus/"$target".tar.gz -C corpus/"$target"
done
run() {
    local target=$1 log="$ROOT/fuzz/logs/$1.log"
    mkdir -p logs
    cargo +nightly fuzz run -O "$target" corpus/"$target" -- \
        -max_total_time=$((minutes * 60)) -timeout=2 -rss_limit_mb=1024 -malloc_limit_mb=256 -max_len=65536 -print_final_stats=1 > "$log" 2>&1
    local rc=$?
    printf '%-13s %s\n' "$target" "$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') executions, $(ls corpus/"$target" | wc -l) corpus files, $( [ $rc -eq 0 ] && echo 'no crash' || echo "CRASH (see $log)")"
    return $rc
}
step "fuzzing ${targets[*]} for $minutes minutes each"
failed=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    run "${targets[i]}" & first=$!
    if [ $((i + 1)) -lt ${#targets[@]} ]; then run "${targets[i + 1]}" || failed=1; fi
    wait $first || failed=1
done
step "minimising the corpora"
for target in "${targets[@]}"; do
    cargo +nightly fuzz cmin -O "$target" corpus/"$target" > /dev/null 2>&1 || true
    tar -czf corpus/"$target".tar.gz -C corpus/"$target" . && rm -rf corpus/"${target:?}"
    echo "  corpus/$target.tar.gz: $(tar -tzf corpus/"$target".tar.gz | grep -c -v '/$') inputs"
done
[ $failed -eq 0 ] || die "a fuzz target crashed: see fuzz/artifacts/"
