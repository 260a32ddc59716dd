#!/usr/bin/env bash
# Model Lab's test cluster: a real one-node Slurm cluster (Debian's slurm-wlm 22.05 + munge) on this machine, as root,
# without systemd. Verified: `sinfo` shows the node idle within seconds, and a 2-task
# `sbatch --array` job running `model-lab run ... --json` completed both tasks.
# Usage: scripts/slurm/single-node.sh start|stop   (state, spool and logs under $SLURM_DIR)
set -euo pipefail
SLURM_DIR=${SLURM_DIR:-/tmp/model-lab-slurm}
cmd=${1:-start}
if [ "$cmd" = stop ]; then
  for f in "$SLURM_DIR/slurmd.pid" "$SLURM_DIR/slurmctld.pid" /run/munge/munged.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f"); kill "$p" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
  done
  exit 0
fi
# Already up (started earlier, or a real cluster): nothing to do.
if command -v sinfo >/dev/null && sinfo -h -o %t 2>/dev/null | grep -qE 'idle|mix|alloc'; then sinfo; exit 0; fi
command -v slurmctld >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null; }
mkdir -p "$SLURM_DIR"/{state,spool,log} /run/munge /etc/munge
chown munge:munge /run/munge /etc/munge
if [ ! -f /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
fi
[ -S /run/munge/munge.socket.2 ] && munge -n >/dev/null 2>&1 || su -s /bin/sh munge -c /usr/sbin/munged
for _ in $(seq 1 10); do munge -n >/dev/null 2>&1 && break; sleep 0.5; done
H=$(hostname); CPUS=$(nproc); MEM=$(( $(free -m | awk '/Mem/{print $2}') - 2048 ))
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$H
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$H CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=main Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF
/usr/sbin/slurmctld
/usr/sbin/slurmd
for _ in $(seq 1 30); do sinfo -h -o %t 2>/dev/null | grep -q idle && { sinfo; exit 0; }; sleep 1; done
echo "slurm did not come up; see $SLURM_DIR/log" >&2; exit 1
