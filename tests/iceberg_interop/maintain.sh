#!/usr/bin/env bash
# Runs the maintenance verbs on every table nilus_iceberg_interop_writer wrote, the way an
# operator would: `nilus table expire` (keep only the current snapshot), `nilus table compact`
# (rewrite every small file, applying the row-level deletes), then `expire` again so that the
# pre-compaction files are deleted, and `orphans`, which must find nothing. check_tables.mjs
# --current then checks that icebird and DuckDB still read exactly the expected rows.
#
# Usage: maintain.sh NILUS OUTDIR
set -euo pipefail
nilus="$1"
out="$2"
catalog=(--catalog "sqlite:///${out}/catalog.db" --catalog-name interop --warehouse "${out}/warehouse")

tables=$("${nilus}" table list "${catalog[@]}" --json |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);
    for (const ns of j.namespaces ?? j) for (const t of ns.tables ?? []) console.log(`${ns.namespace ?? ns.name}.${t}`);})')
[[ -n "${tables}" ]] || { echo "FAIL: no tables listed" >&2; exit 1; }

for t in ${tables}; do
  echo "== ${t}"
  "${nilus}" table expire "${catalog[@]}" "${t}" --older-than 0 --retain-last 1
  "${nilus}" table compact "${catalog[@]}" "${t}" --min-input-files 2
  "${nilus}" table expire "${catalog[@]}" "${t}" --older-than 0 --retain-last 1
  orphans=$("${nilus}" table orphans "${catalog[@]}" "${t}" --older-than 0 --dry-run --json)
  if [[ $(node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).removed.length))' <<<"${orphans}") != 0 ]]; then
    echo "FAIL: ${t}: files left unreachable after maintenance: ${orphans}" >&2
    exit 1
  fi
done
