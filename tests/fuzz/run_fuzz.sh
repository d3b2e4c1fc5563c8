#!/usr/bin/env bash
# Builds tests/fuzz/pgoutput_fuzz.cc with libFuzzer, ASan and UBSan, and runs it.
#
#   tests/fuzz/run_fuzz.sh BUILD_DIR
#
# BUILD_DIR holds the binary (rebuilt only when a source is newer), the seed corpus made from
# tests/data/pgoutput (one file per message there, plus each golden file's messages as one
# sequence), the corpus the fuzzer grows (kept between runs, so longer runs build on shorter
# ones) and any crash-* / leak-* / timeout-* artifact. Runs for NILUS_FUZZ_SECONDS (default 20)
# seconds. Exits non-zero when the build fails or the fuzzer finds a crash, leak or timeout;
# the artifact path and its reproduction command are printed.
#
# NILUS_FUZZ_CXX picks the compiler (default clang++; it needs the libFuzzer runtime, Debian's
# libclang-rt-14-dev, which scripts/setup installs).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:?usage: run_fuzz.sh BUILD_DIR}"
if [[ "${NILUS_SLOW_TESTS:-0}" == 1 ]]; then default_seconds=600; else default_seconds=20; fi
seconds="${NILUS_FUZZ_SECONDS:-${default_seconds}}"
cxx="${NILUS_FUZZ_CXX:-clang++}"
mkdir -p "${build}"
build="$(cd "${build}" && pwd)"

# The decoder and the little of core it uses (Status; fmt for messages).
sources=(
  "${repo}/tests/fuzz/pgoutput_fuzz.cc"
  "${repo}/src/extract/postgres/pgoutput.cc"
  "${repo}/src/core/status.cc"
)
headers=("${repo}"/src/extract/postgres/pgoutput.h "${repo}"/src/core/*.h)
binary="${build}/pgoutput_fuzz"

stale=0
[[ -x "${binary}" ]] || stale=1
for f in "${sources[@]}" "${headers[@]}" "${BASH_SOURCE[0]}"; do
  [[ "${f}" -nt "${binary}" ]] && stale=1
done
if ((stale)); then
  echo "run_fuzz: building ${binary}" >&2
  "${cxx}" -std=c++20 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"${repo}/src" "${sources[@]}" -lfmt -o "${binary}.tmp"
  mv "${binary}.tmp" "${binary}"
fi

# Seeds: every "pgoutput"/"copydata" hex line of the golden files as one file, and each file's
# pgoutput messages joined by the delimiter of pgoutput_fuzz.cc (fe fe fe fe) as one sequence.
seeds="${build}/seeds"
rm -rf "${seeds}"
mkdir -p "${seeds}"
for golden in "${repo}"/tests/data/pgoutput/*.txt; do
  name="$(basename "${golden}" .txt)"
  perl -e '
    my ($golden, $dir, $name) = @ARGV;
    open(my $in, "<", $golden) or die "$golden: $!";
    my ($n, @seq) = (0);
    while (<$in>) {
      next unless /^(pgoutput|copydata) ([0-9a-fA-F ]*)$/;
      (my $hex = $2) =~ s/ //g;
      my $bytes = pack("H*", $hex);
      push @seq, $bytes if $1 eq "pgoutput" && length($bytes) <= 512;
      open(my $out, ">:raw", sprintf("%s/%s-%04d", $dir, $name, $n++)) or die $!;
      print $out $bytes;
    }
    open(my $out, ">:raw", "$dir/$name-sequence") or die $!;
    print $out join("\xfe\xfe\xfe\xfe", @seq);
  ' "${golden}" "${seeds}" "${name}"
done

corpus="${build}/corpus"
mkdir -p "${corpus}"
echo "run_fuzz: fuzzing for ${seconds}s ($(ls "${seeds}" | wc -l) seeds, corpus ${corpus})" >&2
cd "${build}"
# -timeout: one input taking a second is a hang for a decoder of at most a few kB.
"${binary}" -max_total_time="${seconds}" -timeout=5 -rss_limit_mb=2048 -max_len=8192 \
  -dict="${repo}/tests/fuzz/pgoutput.dict" -artifact_prefix="${build}/" -print_final_stats=1 \
  "${corpus}" "${seeds}"
