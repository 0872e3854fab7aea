#!/usr/bin/env bash
# gfjax — submit the whole chain on a SLURM cluster:
#   (0) slurm/offsets_array.sbatch with SCENE_ONLY=1: the scene stage once (the array tasks then
#       find it done; N tasks writing the scene's files at once into one run directory collide)
#   (1) slurm/offsets_array.sbatch   array job, N_CHUNKS tasks (one GPU each): offsets of a chunk,
#       after (0) succeeded
#   (2) slurm/msbas_products.sbatch  NODES x GPUS_PER_NODE MPI ranks: geocode, MSBAS, products,
#       started only if every array task succeeded (--dependency=afterok:<array job id>).
#
#   EXPERIMENT=muldrow_full N_CHUNKS=16 NODES=2 GPUS_PER_NODE=4 slurm/submit.sh [extra sbatch args for both]
#   GFJAX_OVERRIDES="output.root=/scratch/$USER/gfjax" slurm/submit.sh
#
# Environment: EXPERIMENT, N_CHUNKS (16), MAX_PARALLEL (array tasks running at once, N_CHUNKS),
# NODES (2), GPUS_PER_NODE (4), GFJAX_OVERRIDES, VENV, GFJAX_ROOT (exported to both jobs),
# SBATCH (the sbatch command, default sbatch). Prints the three job ids.
# If an array task fails, job (2) stays pending with DependencyNeverSatisfied: re-run the failed
# task (sbatch --array=<i> slurm/offsets_array.sbatch), then `scancel` (2) and submit it again
# (or run it anyway: its offsets stage tracks the pairs that are still missing).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export GFJAX_ROOT=${GFJAX_ROOT:-$(cd "$here/.." && pwd)}
export EXPERIMENT=${EXPERIMENT:-muldrow_full}
export N_CHUNKS=${N_CHUNKS:-16}
export GFJAX_OVERRIDES=${GFJAX_OVERRIDES:-}
export VENV=${VENV:-$GFJAX_ROOT/.venv}
MAX_PARALLEL=${MAX_PARALLEL:-$N_CHUNKS}
NODES=${NODES:-2}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
SBATCH=${SBATCH:-sbatch}

if ! [[ "$N_CHUNKS" =~ ^[1-9][0-9]*$ ]]; then
  echo "submit.sh: N_CHUNKS must be a positive integer, got '$N_CHUNKS'" >&2; exit 2
fi

# --parsable prints "<job id>" or "<job id>;<cluster>"
job_id() {
  local id=${1%%;*}
  if ! [[ "$id" =~ ^[0-9]+$ ]]; then
    echo "submit.sh: could not parse the $2 job id from sbatch output '$1'" >&2; exit 1
  fi
  echo "$id"
}

scene_out=$($SBATCH --parsable --export=ALL,SCENE_ONLY=1 --chdir="$GFJAX_ROOT" --array=0 \
  --job-name=gfjax-scene "$@" "$here/offsets_array.sbatch")
scene_id=$(job_id "$scene_out" scene)

array_out=$($SBATCH --parsable --export=ALL --chdir="$GFJAX_ROOT" --dependency="afterok:$scene_id" \
  --array="0-$((N_CHUNKS - 1))%$MAX_PARALLEL" "$@" "$here/offsets_array.sbatch")
array_id=$(job_id "$array_out" array)

msbas_out=$($SBATCH --parsable --export=ALL --chdir="$GFJAX_ROOT" --dependency="afterok:$array_id" \
  --nodes="$NODES" --ntasks-per-node="$GPUS_PER_NODE" --gpus-per-node="$GPUS_PER_NODE" \
  "$@" "$here/msbas_products.sbatch")
msbas_id=$(job_id "$msbas_out" msbas)

echo "scene job: $scene_id"
echo "offsets array job: $array_id (tasks 0-$((N_CHUNKS - 1)), experiment $EXPERIMENT)"
echo "msbas/products job: $msbas_id (afterok:$array_id, $NODES nodes x $GPUS_PER_NODE GPUs)"
