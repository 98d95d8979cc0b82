#!/usr/bin/env bash
# Runs a crunch scenario on a one-node Slurm cluster started here, as a job array of N
# shards plus the dependent merge job (deploy/slurm/submit.sh), and compares the merged
# files with a single-machine run, byte for byte.
#
#   deploy/slurm/local-test.sh CRUNCH_BINARY [SCENARIO] [N] [PATHS]
#
# Needs root and the Debian packages slurmctld, slurmd, slurm-client and munge; without
# them it says so and exits 0 (skipped). Everything (munge key and socket, Slurm
# configuration, state, logs, results) lives in a temporary directory; the daemons it
# starts are stopped on exit.
set -euo pipefail

crunch="$(realpath "${1:?usage: $0 CRUNCH_BINARY [SCENARIO] [N] [PATHS]}")"
scenario="$(realpath "${2:-scenarios/quickstart.toml}")"
shards="${3:-3}"
paths="${4:-12}"
here="$(cd "$(dirname "$0")" && pwd)"

for tool in munged slurmctld slurmd sbatch squeue scontrol; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "skipped: $tool not found (apt-get install slurmctld slurmd slurm-client munge)"
    exit 0
  fi
done
if [[ "$(id -u)" != 0 ]]; then
  echo "skipped: starting munged and the Slurm daemons here needs root"
  exit 0
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# munge, with its own key and socket.
mkdir -p "$work/munge"
chmod 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/key" bs=128 count=1 status=none
chmod 400 "$work/munge/key"
socket="$work/munge/socket"
munged --force --key-file="$work/munge/key" --socket="$socket" \
  --pid-file="$work/munge/pid" --log-file="$work/munge/log" --seed-file="$work/munge/seed"
pids+=("$(cat "$work/munge/pid")")

# A one-node cluster on this host.
node="$(hostname -s)"
cpus="$(nproc)"
mkdir -p "$work/state" "$work/spool" "$work/log"
export SLURM_CONF="$work/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=crunch-local
SlurmctldHost=$node
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
NodeName=$node CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -i -f "$SLURM_CONF" >"$work/log/slurmctld.out" 2>&1 &
pids+=("$!")
slurmd -D -f "$SLURM_CONF" >"$work/log/slurmd.out" 2>&1 &
pids+=("$!")
for _ in $(seq 60); do
  if sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
    break
  fi
  sleep 1
done
if ! sinfo -h -o %t | grep -qE '^(idle|mix|alloc)'; then
  echo "error: the local Slurm node did not come up" >&2
  sinfo >&2 || true
  tail -n 20 "$work/log/"* >&2 || true
  exit 1
fi

# The single-machine run, then the array and the merge.
"$crunch" run "$scenario" --paths "$paths" --out "$work/single" --quiet >/dev/null
results="$work/results"
mkdir -p "$results"
cd "$work"
submitted=$(CRUNCH="$crunch" SBATCH_ARGS="--cpus-per-task=1" \
  "$here/submit.sh" "$scenario" "$shards" "$results" --paths "$paths")
echo "$submitted"
merge_job="${submitted##* merge job }"
merge_job="${merge_job%% *}"
for _ in $(seq 600); do
  if [[ -z "$(squeue -h -o %i)" ]]; then
    break
  fi
  sleep 1
done
if [[ -n "$(squeue -h -o %i)" ]]; then
  echo "error: jobs still queued after 10 minutes" >&2
  squeue >&2
  exit 1
fi
state="$(sacct -n -X -j "$merge_job" -o State 2>/dev/null | tr -d ' ' || true)"
if [[ ! -d "$results/merged" ]]; then
  echo "error: no merged result (merge job $merge_job ${state:-state unknown})" >&2
  cat "$results"/slurm-*.out >&2 || true
  exit 1
fi
status=0
for f in "$work/single"/*.parquet; do
  name="$(basename "$f")"
  if cmp -s "$f" "$results/merged/$name"; then
    echo "identical: $name"
  else
    echo "DIFFERENT: $name" >&2
    status=1
  fi
done
if [[ "$(ls "$work/single")" != "$(ls "$results/merged")" ]]; then
  echo "DIFFERENT: the file lists differ" >&2
  status=1
fi
if ((status == 0)); then
  echo "ok: $shards Slurm array tasks merged equal the single run byte for byte"
fi
exit "$status"
