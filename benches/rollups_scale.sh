#!/usr/bin/env bash
# Scale benchmark of the daily rollups on PostgreSQL: a 1,000-site x 1-year fleet (about 73 M
# events at 200 events per site-day) and the report data query a PSUR runs on it.
#
# What it does, in a fresh schema of $BENCH_PG_URL (dropped at the end unless KEEP=1):
#   1. applies every migration in migrations/postgres (the schema Vigil runs on);
#   2. event path, on a sample: loads SAMPLE_EVENTS raw events (INSERT ... SELECT from
#      generate_series, the server-side equivalent of COPY) for SAMPLE_SITES sites, then runs
#      the rollup rebuild statement (src/storage/diesel/rollups_rebuild_postgres.sql, the
#      migration's backfill and `vigil rollups rebuild`) on them: both as rows per second;
#   3. rollup path, full size: writes the rollup rows that SITES x DAYS site-days of 200 events
#      and 60 reviews each produce (30 rows per site-day) directly, as the ingest transactions
#      would have left them (the events themselves are not loaded: 73 M rows of about 500 bytes
#      with their indexes do not fit this machine's time budget);
#   4. times the report data query: the three statements `RollupStore::rollups` sends for a
#      PSUR (totals by measure and value; events and studies per site; events and Dice per model
#      version and day), median of REPEATS runs each, for 250/500/1000 sites x 365 days and for
#      1000 sites x 91/182/365 days (sites are spread over 4 model versions of 250 sites each,
#      so a version filter selects 250, 500 or 1000 sites).
#
# Usage: benches/rollups_scale.sh
# Environment: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test), SITES (1000),
# DAYS (365), SAMPLE_EVENTS (1000000), SAMPLE_SITES (50), REPEATS (3), KEEP (0).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
PG="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
SITES="${SITES:-1000}"
DAYS="${DAYS:-365}"
SAMPLE_EVENTS="${SAMPLE_EVENTS:-1000000}"
SAMPLE_SITES="${SAMPLE_SITES:-50}"
REPEATS="${REPEATS:-3}"
SCHEMA="bench_rollups_$$"
START="2025-01-01"

psql_q() { PGOPTIONS="-c search_path=$SCHEMA" psql -X -q -v ON_ERROR_STOP=1 "$PG" "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then psql -X -q "$PG" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

psql -X -q -v ON_ERROR_STOP=1 "$PG" -c "CREATE SCHEMA $SCHEMA"
for m in "$here"/migrations/postgres/*/; do psql_q -f "$m/up.sql" >/dev/null; done
echo "schema $SCHEMA: $(ls -d "$here"/migrations/postgres/*/ | wc -l) migrations applied"

# Sites and the four model versions (events and reviews reference them).
psql_q <<SQL
INSERT INTO models (id, name, version, feature_schema, created_at)
SELECT 'liver-seg@' || v || '.0.0', 'liver-seg', v || '.0.0', '{"features":[]}', TIMESTAMP '2025-01-01'
FROM generate_series(1, 4) v;
INSERT INTO sites (id, name, country, key_hash, disabled, created_at, key_rotated_at)
SELECT 'site-' || lpad(s::text, 4, '0'), 'Site ' || s, (ARRAY['DE','FR','IT','ES','NL','TR','CH','US'])[1 + s % 8],
       md5(s::text), FALSE, TIMESTAMP '2025-01-01', TIMESTAMP '2025-01-01'
FROM generate_series(1, $SITES) s;
SQL

# 2. Event path on a sample: raw load, then the rebuild statement.
t0=$(now)
psql_q <<SQL
INSERT INTO events
SELECT md5('e' || i), 'site-' || lpad((1 + i % $SAMPLE_SITES)::text, 4, '0'), 'liver-seg@1.0.0',
       TIMESTAMP '$START' + (i / ($SAMPLE_SITES * 200)) * INTERVAL '1 day' + (i % 86400) * INTERVAL '1 second',
       to_char(DATE '$START' + (i / ($SAMPLE_SITES * 200))::int, 'YYYY-MM-DD'), TIMESTAMP '2026-01-01',
       md5('c' || i) || md5('d' || i), 'CT', 'SIEMENS', 'SOMATOM Force', 1.0, 0.7, 120.0, NULL, TRUE,
       (ARRAY['0-9','10-19','20-29','30-39','40-49','50-59','60-69','70-79','80-89','90+'])[1 + i % 10],
       (ARRAY['F','M','O'])[1 + i % 3], '{"hu_mean":40.0}', CASE WHEN i % 100 = 0 THEN 'failed' ELSE 'ok' END,
       800.0 + i % 400, '{"vol_ml":1500.0}', md5('h' || i)
FROM generate_series(0, $SAMPLE_EVENTS - 1) i;
INSERT INTO reviews
SELECT md5('r' || i), md5('e' || i), 'site-' || lpad((1 + i % $SAMPLE_SITES)::text, 4, '0'), 'liver-seg@1.0.0',
       TIMESTAMP '$START' + (i / ($SAMPLE_SITES * 200)) * INTERVAL '1 day' + INTERVAL '23 hours',
       to_char(DATE '$START' + (i / ($SAMPLE_SITES * 200))::int, 'YYYY-MM-DD'), TIMESTAMP '2026-01-01',
       (ARRAY['accepted','accepted','edited','rejected'])[1 + i % 4], 'minor',
       '{"liver":{"dice":0.9' || (i % 10) || ',"hd95_mm":3.5},"tumor":{"dice":0.8}}', md5('rh' || i), NULL
FROM generate_series(0, $SAMPLE_EVENTS - 1, 10) i;
SQL
t1=$(now)
psql_q -c "DELETE FROM daily_rollups" -f "$here/src/storage/diesel/rollups_rebuild_postgres.sql"
t2=$(now)
load_s=$(secs "$t0" "$t1"); rebuild_s=$(secs "$t1" "$t2")
reviews=$((SAMPLE_EVENTS / 10))
echo "sample: $SAMPLE_EVENTS events + $reviews reviews loaded in ${load_s} s ($(awk -v n="$SAMPLE_EVENTS" -v s="$load_s" 'BEGIN{printf "%.0f", n/s}') events/s);" \
     "rollups rebuilt from them in ${rebuild_s} s ($(awk -v n="$SAMPLE_EVENTS" -v s="$rebuild_s" 'BEGIN{printf "%.0f", n/s}') events/s)"
psql_q -c "TRUNCATE reviews, events CASCADE; DELETE FROM daily_rollups" >/dev/null

# 3. The full-size rollups: 30 rows per site-day, as 200 events and 60 reviews leave them.
t0=$(now)
psql_q <<SQL
INSERT INTO daily_rollups (model_id, day, site_id, measure, value, n, total, total_sq)
SELECT 'liver-seg@' || (1 + (s - 1) * 4 / $SITES) || '.0.0', to_char(DATE '$START' + d, 'YYYY-MM-DD'),
       'site-' || lpad(s::text, 4, '0'), m.measure, m.value, m.n, m.total, m.total_sq
FROM generate_series(1, $SITES) s, generate_series(0, $DAYS - 1) d,
     (VALUES ('events', '', 200, 0.0, 0.0), ('studies', '', 199, 0.0, 0.0),
             ('age_band', '0-9', 2, 0.0, 0.0), ('age_band', '10-19', 4, 0.0, 0.0),
             ('age_band', '20-29', 10, 0.0, 0.0), ('age_band', '30-39', 16, 0.0, 0.0),
             ('age_band', '40-49', 24, 0.0, 0.0), ('age_band', '50-59', 34, 0.0, 0.0),
             ('age_band', '60-69', 44, 0.0, 0.0), ('age_band', '70-79', 40, 0.0, 0.0),
             ('age_band', '80-89', 20, 0.0, 0.0), ('age_band', '90+', 6, 0.0, 0.0),
             ('sex', 'F', 98, 0.0, 0.0), ('sex', 'M', 100, 0.0, 0.0), ('sex', 'unknown', 2, 0.0, 0.0),
             ('output_status', 'ok', 198, 0.0, 0.0), ('output_status', 'failed', 2, 0.0, 0.0),
             ('latency_ms', '', 200, 160000.0, 131000000.0), ('reviews', '', 60, 0.0, 0.0),
             ('review_outcome', 'accepted', 45, 0.0, 0.0), ('review_outcome', 'edited', 13, 0.0, 0.0),
             ('review_outcome', 'rejected', 2, 0.0, 0.0), ('review_severity', 'none', 45, 0.0, 0.0),
             ('review_severity', 'minor', 10, 0.0, 0.0), ('review_severity', 'major', 4, 0.0, 0.0),
             ('review_severity', 'clinically_relevant', 1, 0.0, 0.0),
             ('metric:dice', 'liver', 60, 55.8, 51.9), ('metric:dice', 'tumor', 60, 48.0, 38.9),
             ('metric:hd95_mm', 'liver', 60, 210.0, 800.0), ('metric:hd95_mm', 'tumor', 60, 330.0, 2000.0))
       AS m(measure, value, n, total, total_sq);
ANALYZE daily_rollups;
SQL
t1=$(now)
rows=$(psql_q -At -c "SELECT count(*) FROM daily_rollups")
size=$(psql_q -At -c "SELECT pg_size_pretty(pg_total_relation_size('daily_rollups'))")
echo "rollups: $rows rows ($size with the primary key) for $SITES sites x $DAYS days = $((SITES * DAYS * 200)) events, written in $(secs "$t0" "$t1") s"

versions() { local k=$1 out="" v; for v in $(seq 1 "$k"); do out="$out${out:+, }'liver-seg@$v.0.0'"; done; echo "$out"; }
report_query() {
  local ids; ids=$(versions "$1"); local to; to=$(psql_q -At -c "SELECT to_char(DATE '$START' + $2 - 1, 'YYYY-MM-DD')")
  local w="model_id IN ($ids) AND day >= '$START' AND day <= '$to'"
  psql_q -At >/dev/null <<SQL
SELECT CAST(NULL AS TEXT) AS model_id, CAST(NULL AS TEXT) AS day, CAST(NULL AS TEXT) AS site_id, measure, value, CAST(SUM(n) AS BIGINT) AS n, SUM(total) AS total, SUM(total_sq) AS total_sq FROM daily_rollups WHERE $w GROUP BY measure, value ORDER BY measure, value;
SELECT CAST(NULL AS TEXT) AS model_id, CAST(NULL AS TEXT) AS day, site_id, measure, value, CAST(SUM(n) AS BIGINT) AS n, SUM(total) AS total, SUM(total_sq) AS total_sq FROM daily_rollups WHERE $w AND measure IN ('events', 'studies') GROUP BY site_id, measure, value ORDER BY site_id, measure, value;
SELECT model_id, day, CAST(NULL AS TEXT) AS site_id, measure, value, CAST(SUM(n) AS BIGINT) AS n, SUM(total) AS total, SUM(total_sq) AS total_sq FROM daily_rollups WHERE $w AND measure IN ('events', 'metric:dice') GROUP BY model_id, day, measure, value ORDER BY model_id, day, measure, value;
SQL
}
median_of() {
  local times=() i t0 t1
  for i in $(seq 1 "$REPEATS"); do t0=$(now); report_query "$1" "$2"; t1=$(now); times+=("$(secs "$t0" "$t1")"); done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

echo "report data query (median of $REPEATS), seconds:"
for k in 1 2 4; do echo "  $((k * SITES / 4)) sites x $DAYS days: $(median_of "$k" "$DAYS") s"; done
for d in $((DAYS / 4)) $((DAYS / 2)); do echo "  $SITES sites x $d days: $(median_of 4 "$d") s"; done
