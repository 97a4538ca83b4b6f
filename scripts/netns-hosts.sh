#!/usr/bin/env bash
# Two hosts on one machine: two network namespaces (ipcm-a, ipcm-b) joined by a veth pair,
# each with its own host name, and an mpirun across them whose remote launch agent enters the
# other namespace instead of ssh. Runs the transports that cross hosts (tcp, zmq-tcp, mpi)
# with the leader on ipcm-a and its peer on ipcm-b, writes the results, and removes
# everything it made (namespaces, veth, /etc/netns entries, the agent), also on failure.
#
#   bash scripts/netns-hosts.sh                  # build (release), measure, write the figure
#   bash scripts/netns-hosts.sh --check BUILD    # the tests' short run with BUILD's binary
#
# Needs root and `ip netns`; exits 77 (skipped) with one line otherwise. Traffic stays on the
# veth pair and each namespace's loopback: nothing is routed out. The kernel here has no
# netem, so no delay is added: the "network" is a veth, a few microseconds.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
skip() { echo "netns-hosts: skipped: $*"; exit 77; }
die() { echo "netns-hosts: $*" >&2; exit 1; }

check=0
build=""
if [[ ${1:-} == --check ]]; then
  check=1
  build=${2:?usage: netns-hosts.sh --check BUILD_DIR}
  shift 2
fi

[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "no ip command (iproute2)"
command -v unshare >/dev/null || skip "no unshare (util-linux)"
command -v mpirun >/dev/null || skip "no mpirun (openmpi-bin)"

if [[ $check -eq 0 ]]; then
  bash "$root/scripts/install-deps.sh"
  cmake --preset release -S "$root" >/dev/null
  cmake --build --preset release >/dev/null
  build=$root/build/release
fi
bench=$build/bench/ipcmeter-bench
[[ -x $bench ]] || die "no $bench"
"$bench" --list | grep -q '^  rank ' || skip "$bench was built without MPI"

a=ipcm-a b=ipcm-b
address_a=10.231.0.1 address_b=10.231.0.2
work=$(mktemp -d /tmp/ipcmeter-netns-XXXXXX)
# One run at a time: the namespaces' names are fixed (they are the hosts' names).
exec 9>/run/ipcmeter-netns.lock
flock -w 600 9 || die "another netns-hosts run holds /run/ipcmeter-netns.lock"

made_netns=()
cleanup() {
  local ns
  for ns in "${made_netns[@]}"; do
    # Whatever still runs in a namespace goes with it.
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

for ns in $a $b; do
  ip netns list | grep -qw "^$ns" && die "namespace $ns exists already (a run that was killed?): ip netns delete $ns"
done
ip netns add $a 2>/dev/null || skip "cannot create a network namespace here"
made_netns+=($a)
ip netns add $b
made_netns+=($b)
ip link add ipcm-va netns $a type veth peer name ipcm-vb netns $b
ip -n $a addr add $address_a/24 dev ipcm-va
ip -n $b addr add $address_b/24 dev ipcm-vb
for ns in $a $b; do
  ip -n $ns link set lo up
  ip -n $ns link set "ipcm-v${ns#ipcm-}" up
  # `ip netns exec` mounts these over /etc/hosts inside the namespace: the names resolve
  # there, and the machine's own /etc/hosts is left alone.
  mkdir -p "/etc/netns/$ns"
  printf '127.0.0.1 localhost\n%s %s\n%s %s\n' $address_a $a $address_b $b >"/etc/netns/$ns/hosts"
done

# mpirun's remote launch agent, called as ssh would be: HOST COMMAND... It enters the host's
# namespace with a host name of its own (a UTS namespace), as a real host has.
cat >"$work/agent" <<'EOF'
#!/bin/sh
host=$1
shift
exec ip netns exec "$host" unshare --uts sh -c "hostname $host && $*"
EOF
chmod +x "$work/agent"

# What every mpirun here is given: no binding (the suite pins), no help banners (a failure is
# the suite's own one line).
mpi_args=(--allow-run-as-root -q --bind-to none)
if [[ $check -eq 1 ]]; then
  # The tests' run: each transport in both workloads, short.
  args=(--transports=tcp,zmq-tcp,mpi --workloads=pingpong,stream --waits=block --sizes=64,1M
        --benchmark_min_time=0.01 --benchmark_repetitions=1 --benchmark_filter='placement:rank')
  out=$work
else
  # Round trip and throughput against size, every wait each transport has, three samples.
  args=(--transports=tcp,zmq-tcp,mpi --workloads=pingpong,stream --waits=block,spin
        --sizes=8,64,512,4K,32K,256K,1M --benchmark_min_time=0.05 --benchmark_repetitions=3
        --benchmark_filter='placement:rank')
  out=$root/results/runs/netns-$(date -u +%Y%m%dT%H%M%SZ)
  mkdir -p "$out"
  # First on one host, outside the namespaces: mpi (two ranks, Open MPI's shared memory)
  # beside shm-spsc to a forked process, tcp beside zmq-tcp, and the crossing transports
  # between two ranks on one host, for the ratios across namespaces.
  echo "netns-hosts: one host: mpi, shm-spsc, tcp, zmq-tcp (about 2 minutes)" >&2
  mpirun "${mpi_args[@]}" -np 2 "$bench" --transports=mpi,shm-spsc,tcp,zmq-tcp --placements=fork,rank \
    --workloads=pingpong,stream --waits=block,spin --sizes=8,64,512,4K,32K,256K,1M \
    --benchmark_min_time=0.05 --benchmark_repetitions=3 --benchmark_filter='^(pingpong|stream)/' "$@" \
    --benchmark_out="$out/same-host.json" --benchmark_out_format=json >"$out/same-host.txt" 2>"$out/same-host.err" ||
    { tail -n 5 "$out/same-host.err"; die "mpirun on one host failed"; }
  echo "netns-hosts: across $a and $b: tcp, zmq-tcp, mpi (about 1 minute)" >&2
fi

# mpirun itself runs on ipcm-a (whose name makes it local there), so rank 0 leads from ipcm-a
# and rank 1 is started on ipcm-b through the agent. Open MPI's own channels and its messages
# stay on the veth subnet, over TCP as between real hosts (btl self,tcp: the namespaces share
# /dev/shm, which two hosts would not).
set +e
ip netns exec $a unshare --uts sh -c "hostname $a && exec \"\$@\"" mpirun \
  mpirun "${mpi_args[@]}" --host $a,$b -np 2 --mca plm_rsh_agent "$work/agent" \
  --mca oob_tcp_if_include 10.231.0.0/24 --mca btl self,tcp --mca btl_tcp_if_include 10.231.0.0/24 \
  "$bench" "${args[@]}" "$@" --benchmark_out="$out/netns.json" --benchmark_out_format=json \
  >"$out/netns.txt" 2>"$out/netns.err"
status=$?
set -e
[[ $status -eq 0 ]] || { tail -n 5 "$out/netns.txt" "$out/netns.err"; die "mpirun across $a and $b exited $status"; }

if [[ $check -eq 1 ]]; then
  # Every transport crossed: the names record both hosts, and nothing failed.
  for transport in tcp zmq-tcp mpi; do
    for workload in pingpong stream; do
      grep -q "\"name\": \"$workload/transport:$transport/placement:rank/hosts:$a,$b/" "$out/netns.json" ||
        die "no $workload over $transport between $a and $b in the results"
    done
  done
  grep -q '"error_occurred": true' "$out/netns.json" && die "a benchmark failed: $(grep -m1 error_message "$out/netns.json")"
  grep -q "\"mpi\": \"Open MPI.*2 ranks on $a,$b; the leader at $address_a\"" "$out/netns.json" ||
    die "the context does not record the ranks' hosts"
  echo "netns-hosts: tcp, zmq-tcp and mpi crossed from $a to $b (pingpong and stream, 64 B and 1 MiB)"
  exit 0
fi
/usr/bin/python3 "$root/plots/hosts.py" "$out"
echo "netns-hosts: results in $out"
