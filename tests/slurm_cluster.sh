#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A throw-away single-node Slurm on this machine, for `make test-slurm`.
# Usage: sh tests/slurm_cluster.sh start|stop|status DIR
#   start   makes DIR (must not exist), writes a munge key and DIR/slurm.conf, starts munged,
#           slurmctld and slurmd in the background and waits until sinfo shows the node idle.
#           Then `. DIR/env.sh` sets SLURM_CONF so sbatch/squeue/sinfo talk to this cluster.
#           On any failure it stops what it started and removes DIR (exit 1).
#   stop    cancels the cluster's jobs, stops its daemons (by their pid files) and removes DIR.
#   status  prints sinfo and squeue (exit 1 when the cluster does not answer).
# Everything lives in DIR: key, sockets, state, spool, logs. No systemd: the daemons fork on
# their own, as root (as the fresh-machine CI runs); ports are picked free above 16800, so the
# machine's own Slurm (if any) and a second throw-away cluster do not clash.
# Needs slurmctld, slurmd, slurm-client and munge (Debian 12; `make test-slurm` installs them).
set -u
cmd=${1:-}; DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || { echo "usage: sh tests/slurm_cluster.sh start|stop|status DIR" >&2; exit 2; }
case $DIR in /*) ;; *) DIR=$(pwd)/$DIR ;; esac

say() { echo "slurm_cluster: $*" >&2; }

# A TCP port nobody listens on (and not $2, handed out just before), from /proc/net/tcp*
# (state 0A = LISTEN), so no iproute2 is needed on a minimal machine.
free_port() {
  busy=$(awk '$4 == "0A" { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
  p=$1
  while echo "$busy" | grep -qix "$(printf '%04x' "$p")" || [ "$p" = "${2:-}" ]; do p=$((p + 1)); done
  echo "$p"
}

# Waits up to $2 tenths of a second for pid $1 to exit.
wait_gone() {
  n=0
  while kill -0 "$1" 2>/dev/null && [ $n -lt "$2" ]; do sleep 0.1; n=$((n + 1)); done
  ! kill -0 "$1" 2>/dev/null
}

# Stops the daemon whose pid file is $1: TERM, then KILL after 10 s.
stop_pidfile() {
  [ -s "$1" ] || return 0
  pid=$(cat "$1")
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  wait_gone "$pid" 100 || { say "pid $pid ($1) ignored TERM: KILL"; kill -KILL "$pid" 2>/dev/null; wait_gone "$pid" 20; }
}

# Step daemons (slurmstepd) left by killed jobs: those whose environment names this cluster's
# slurm.conf (slurmd passes its environment on), and only those.
stop_stepds() {
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    case $(cat "$d/comm" 2>/dev/null) in slurmstepd) ;; *) continue ;; esac
    tr '\0' '\n' < "$d/environ" 2>/dev/null | grep -qx "SLURM_CONF=$DIR/slurm.conf" || continue
    say "stopping left-over slurmstepd $pid"
    kill -KILL "$pid" 2>/dev/null
  done
}

do_stop() {
  [ -d "$DIR" ] || return 0
  if [ -f "$DIR/slurm.conf" ] && [ -s "$DIR/slurmctld.pid" ]; then
    # Cancel this cluster's jobs first, so their tasks end with the cluster.
    SLURM_CONF=$DIR/slurm.conf timeout 10 scancel --quiet --user="$(id -un)" 2>/dev/null
    n=0
    while [ $n -lt 50 ] && [ -n "$(SLURM_CONF=$DIR/slurm.conf timeout 5 squeue -h -o %i 2>/dev/null)" ]; do
      sleep 0.2; n=$((n + 1))
    done
  fi
  stop_pidfile "$DIR/slurmd.pid"
  stop_pidfile "$DIR/slurmctld.pid"
  stop_stepds
  stop_pidfile "$DIR/munged.pid"
  rm -rf "$DIR"
}

do_status() {
  [ -f "$DIR/slurm.conf" ] || { say "no cluster in $DIR"; return 1; }
  SLURM_CONF=$DIR/slurm.conf timeout 10 sinfo -N -l && SLURM_CONF=$DIR/slurm.conf timeout 10 squeue
}

# Writes DIR/slurm.conf for this host: CPUs from nproc, 90 % of the memory slurmd sees.
write_conf() {
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
  [ -n "$mem" ] || mem=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
  mem=$((mem * 9 / 10))
  ctld_port=$(free_port 16817)
  slurmd_port=$(free_port $((ctld_port + 1)) "$ctld_port")
  cat > "$DIR/slurm.conf" <<EOF
# Throw-away single-node cluster written by tests/slurm_cluster.sh; removed by its stop.
ClusterName=platsa-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$((mem / cpus))
ReturnToService=2
MaxArraySize=10001
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

# Starts munged with its own key and socket inside DIR.
start_munge() {
  mkdir -p "$DIR/munge" && chmod 0755 "$DIR/munge"
  dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 2>/dev/null && chmod 0400 "$DIR/munge/munge.key"
  munged --force --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" \
    --pid-file="$DIR/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed" \
    || { say "munged did not start (log: $(tail -n 3 "$DIR/log/munged.log" 2>/dev/null))"; return 1; }
  n=0
  while [ ! -S "$DIR/munge/munge.socket" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
  echo ok | munge --socket="$DIR/munge/munge.socket" | unmunge --socket="$DIR/munge/munge.socket" >/dev/null \
    || { say "munge round trip failed"; return 1; }
}

# Waits up to 60 s until sinfo shows the node idle.
wait_idle() {
  n=0
  while [ $n -lt 120 ]; do
    state=$(timeout 5 sinfo -h -N -o %T 2>/dev/null | head -n 1)
    [ "$state" = idle ] && return 0
    for d in slurmctld slurmd; do   # a daemon that died after forking (port taken, bad config)
      [ -s "$DIR/$d.pid" ] && kill -0 "$(cat "$DIR/$d.pid")" 2>/dev/null && continue
      [ $n -lt 4 ] && continue       # its pid file may not be written yet
      say "$d is not running; $d.log:"; tail -n 15 "$DIR/log/$d.log" >&2 2>/dev/null; return 1
    done
    sleep 0.5; n=$((n + 1))
  done
  say "node not idle after 60 s (state '${state:-no answer}'); slurmctld.log:"
  tail -n 15 "$DIR/log/slurmctld.log" >&2 2>/dev/null
  say "slurmd.log:"; tail -n 15 "$DIR/log/slurmd.log" >&2 2>/dev/null
  return 1
}

do_start() {
  for b in munged slurmctld slurmd sinfo sbatch; do
    command -v $b >/dev/null 2>&1 || { say "needs $b (apt-get install slurmctld slurmd slurm-client munge)"; return 1; }
  done
  [ ! -e "$DIR" ] || { say "$DIR exists; give a new directory"; return 1; }
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" && chmod 0755 "$DIR" || return 1
  # From here on a failure stops what started and removes DIR.
  trap 'do_stop; exit 1' INT TERM
  write_conf && start_munge || { do_stop; return 1; }
  export SLURM_CONF=$DIR/slurm.conf
  printf 'export SLURM_CONF=%s\n' "$SLURM_CONF" > "$DIR/env.sh"
  # -c: a clean start (no state from an earlier cluster); both fork into the background.
  slurmctld -c || { say "slurmctld did not start: $(tail -n 5 "$DIR/log/slurmctld.log" 2>/dev/null)"; do_stop; return 1; }
  slurmd || { say "slurmd did not start: $(tail -n 5 "$DIR/log/slurmd.log" 2>/dev/null)"; do_stop; return 1; }
  wait_idle || { do_stop; return 1; }
  trap - INT TERM
  say "up in $DIR ($(sinfo -h -N -o '%N %c CPUs %m MB %T'), ports $(sed -n 's/^Slurm\(ctld\|d\)Port=//p' "$SLURM_CONF" | tr '\n' ' '))"
}

case $cmd in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  *) echo "usage: sh tests/slurm_cluster.sh start|stop|status DIR" >&2; exit 2 ;;
esac
