#!/usr/bin/env bash
# Re-run every study in experiments/ and remake its table, figure and README result (from the
# repository root):
#   bash experiments/run_all.sh [study ...]      # default: all studies
#   REPLICATES=10 bash experiments/run_all.sh    # fewer replicates than the configs' 20
# Each study: `netsim run -m +experiment=<config>` writes multirun/<config>/, then
# `netsim validate --study <study> multirun/<config>` writes experiments/<study>/ and the
# index table in experiments/README.md. Results of a different model version in an old
# multirun/<config>/ are refused, so a changed model needs a fresh folder (the run re-uses only
# jobs whose scenario, overrides, netsim version and git commit match).
set -euo pipefail
declare -A CONFIG=(
  [fact_1_leader]=fact_1_leader [fact_2_backing]=fact_2_backing [fact_3_trust]=fact_3_trust
  [fact_4_formality]=fact_4_formality [fact_5_cocreation]=fact_5_cocreation
  [fact_6_stories]=fact_6_stories [fact_7_diversity]=fact_7_diversity
  [fact_8_incremental]=fact_8_incremental
  [leader_participation]=condition_leader_participation [trust]=condition_trust
  [formality]=condition_formality [meeting_interval_weeks]=condition_meeting_interval_weeks
)
studies=("$@")
if [ ${#studies[@]} -eq 0 ]; then studies=("${!CONFIG[@]}"); fi
extra=()
if [ -n "${REPLICATES:-}" ]; then extra=("replicates=${REPLICATES}"); fi
for study in "${studies[@]}"; do
  config=${CONFIG[$study]}
  start=$SECONDS
  netsim run -m +experiment="$config" "${extra[@]}"
  netsim validate --study "$study" "multirun/$config"
  echo "run_all: $study done in $((SECONDS - start)) s"
done
