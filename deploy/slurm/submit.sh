#!/usr/bin/env bash
# Submits a crunch run as a Slurm job array of N shards and a merge job that starts when
# every shard succeeded (afterok). Prints the two job ids.
#
#   deploy/slurm/submit.sh SCENARIO N RESULTS [crunch run arguments...]
#
# Shards go to RESULTS/shard-I, the merged result to RESULTS/merged (OUT overrides it).
# CRUNCH names the crunch binary [default: crunch on PATH]; it must be reachable at the
# same path on every node, and RESULTS must be on a file system every node sees. Extra
# sbatch options (partition, account, time limit) can be given in SBATCH_ARGS.
set -euo pipefail

if (($# < 3)); then
  echo "usage: $0 SCENARIO N RESULTS [crunch run arguments...]" >&2
  exit 2
fi
scenario="$1" shards="$2" results="$3"
shift 3
if ! [[ "$shards" =~ ^[1-9][0-9]*$ ]]; then
  echo "error: N must be a positive integer, not \`$shards\`" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$results"
crunch="${CRUNCH:-crunch}"
out="${OUT:-$results/merged}"

# shellcheck disable=SC2086
array=$(sbatch --parsable ${SBATCH_ARGS:-} --array="0-$((shards - 1))" \
  --chdir="$PWD" --output="$results/slurm-shard-%a.out" \
  --export="ALL,SCENARIO=$scenario,RESULTS=$results,CRUNCH=$crunch,CRUNCH_ARGS=$*" \
  "$here/crunch-array.sbatch")
array="${array%%;*}"
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_ARGS:-} --dependency="afterok:$array" \
  --chdir="$PWD" --output="$results/slurm-merge.out" \
  --export="ALL,RESULTS=$results,SHARDS=$shards,OUT=$out,CRUNCH=$crunch" \
  "$here/crunch-merge.sbatch")
merge="${merge%%;*}"
echo "array job $array ($shards shards), merge job $merge -> $out"
