#!/usr/bin/env bash
# Re-run every study in experiments/ and remake its table and figure (from the repository root).
#   bash experiments/run_all.sh [study ...]      # default: all studies
# Each study: `netsim run -m +experiment=<config>` writes multirun/<config>/, then
# `netsim validate --study <study> multirun/<config>` writes experiments/<study>/.
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
for study in "${studies[@]}"; do
  config=${CONFIG[$study]}
  netsim run -m +experiment="$config"
  netsim validate --study "$study" "multirun/$config"
done
