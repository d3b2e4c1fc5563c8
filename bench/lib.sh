# shellcheck shell=bash
# Shared by bench/batch_pg and bench/batch_jsonl (sourced, not run): building nilus, timing a
# command with /usr/bin/time, medians. Expects $root (the repository).
: "${root:?bench/lib.sh needs \$root}"

# Builds the nilus CLI (unless $1 is 0) and prints its path. Release preset, or an optimized build
# in $NILUS_BENCH_BUILD_DIR with the same flags. The build log goes to $2.
bench_build_nilus() {
  local build="$1" log="$2" build_dir
  if [[ -n "${NILUS_BENCH_BUILD_DIR:-}" ]]; then
    build_dir="$(mkdir -p "$NILUS_BENCH_BUILD_DIR" && cd "$NILUS_BENCH_BUILD_DIR" && pwd)"
  else
    build_dir="$root/build/release"
  fi
  if [[ $build -eq 1 ]]; then
    echo "building nilus in ${build_dir#"$root"/} ..." >&2
    if ! (
      cd "$root"
      if [[ -n "${NILUS_BENCH_BUILD_DIR:-}" ]]; then
        cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
          -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG"
        cmake --build "$build_dir" --target nilus
      else
        cmake --preset release
        cmake --build --preset release --target nilus
      fi
    ) >"$log" 2>&1; then
      cat "$log" >&2
      echo "build failed" >&2
      return 1
    fi
  fi
  local bin="$build_dir/src/cli/nilus"
  [[ -x "$bin" ]] || { echo "$bin is missing (drop --no-build)" >&2; return 1; }
  echo "$bin"
}

# bench_time OUT CMD...: runs CMD under /usr/bin/time; OUT gets one line
# "wall_s user_s sys_s max_rss_kb cpu_s". CMD's own stdout/stderr pass through.
bench_time() {
  local out="$1"
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$out.raw" "$@" || return
  awk '{ printf "%s %s %s %s %.2f\n", $1, $2, $3, $4, $2 + $3 }' "$out.raw" >"$out"
  rm -f "$out.raw"
}

# bench_fields FILE: "wall_s cpu_s rss_mb" of one timing.
bench_fields() {
  awk '{ printf "%.2f %.2f %.0f\n", $1, $5, $4 / 1024 }' "$1"
}

# bench_row_header / bench_row RUN WHAT FILE: the per-run table.
bench_row_header() { printf '%-4s %-6s %9s %9s %9s\n' run what wall_s cpu_s rss_mb; }
bench_row() {
  local fields
  read -r -a fields < <(bench_fields "$3")
  printf '%-4s %-6s %9s %9s %9s\n' "$1" "$2" "${fields[@]}"
}

# bench_median FILE... COLUMN: the median of that column over the files (1 wall, 5 CPU).
bench_median() {
  local col="${!#}"
  local files=("${@:1:$#-1}")
  cat "${files[@]}" | awk -v c="$col" '{ print $c }' | sort -g |
    awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_max FILE... COLUMN: the largest value of the column, in MB when the column is RSS (4).
bench_max() {
  local col="${!#}"
  local files=("${@:1:$#-1}")
  cat "${files[@]}" | awk -v c="$col" 'BEGIN { m = 0 } { if ($c > m) m = $c }
    END { if (c == 4) printf "%.0f\n", m / 1024; else print m }'
}

bench_div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", (b > 0 ? a / b : 0) }'; }

# bench_table_records NILUS WAREHOUSE NS.TABLE: live data records of the table's current snapshot.
bench_table_records() {
  "$1" table show "$3" --catalog "sqlite:///$2/catalog.db" --json |
    node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const j = JSON.parse(s); console.log(j.live ? j.live["data-records"] : 0); })'
}
