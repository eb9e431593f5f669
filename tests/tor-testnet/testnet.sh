#!/usr/bin/env bash
# testnet.sh: a private Tor network on 127.0.0.1 for Centinela's tests.
#
# Built from Debian's `tor` (tor, tor-gencert). Everything listens on 127.0.0.1 and the
# network has its own directory authorities, so no traffic ever leaves the machine.
# See README.md beside this file.
#
#   testnet.sh start --dir DIR (--site-port PORT | --site-dir FOLDER) [--client]
#                    [--base-port N] [--relays N] [--timeout SECS]
#   testnet.sh status --dir DIR
#   testnet.sh stop-relay --dir DIR [--kill] NICK
#   testnet.sh stop --dir DIR
set -euo pipefail

PROG=${0##*/}
MARKER=.centinela-tor-testnet  # only a DIR holding this file is ever deleted
N_AUTH=3
VOTING_INTERVAL=20             # seconds; arti needs hsdir_interval >= 5 minutes
HSDIR_INTERVAL=$((24 * VOTING_INTERVAL / 60))  # C tor's test-network time period, minutes
STOP_GRACE=${TESTNET_STOP_GRACE:-5}           # seconds between TERM and KILL

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
fail() { log "$*"; exit 1; }
usage_error() { log "$*"; log "usage: see the comment at the top of $0"; exit 2; }

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# Absolute DIR path. Restricted characters: it goes into torrc and TOML unquoted.
resolve_dir() {
    local d
    d=$(realpath -m -- "$1")
    [[ $d =~ ^/[A-Za-z0-9._/+-]+$ ]] || usage_error "--dir must be a path of [A-Za-z0-9._/+-] only: $d"
    [[ $d != / ]] || usage_error "--dir / is not allowed"
    printf '%s\n' "$d"
}

# ---------------------------------------------------------------- processes

# True if PID exists and is not a zombie.
alive() {
    local line state
    [[ -r /proc/$1/stat ]] || return 1
    read -r line 2>/dev/null <"/proc/$1/stat" || return 1
    state=${line##*) }
    state=${state%% *}
    [[ $state != Z && $state != X ]]
}

cmdline_of() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# PID from a pid file, only if that process is still the one we started
# (its command line contains PATTERN). Prints nothing otherwise.
owned_pid() {
    local pidfile=$1 pattern=$2 pid
    [[ -s $pidfile ]] || return 0
    read -r pid <"$pidfile" || true
    is_uint "${pid:-}" || return 0
    alive "$pid" || return 0
    [[ $(cmdline_of "$pid") == *"$pattern"* ]] || return 0
    printf '%s\n' "$pid"
}

# TERM, wait up to STOP_GRACE seconds, then KILL and wait until gone.
terminate() {
    local sig=TERM pid left i
    if [[ ${1:-} == --kill ]]; then sig=KILL; shift; fi
    (($# > 0)) || return 0
    kill -"$sig" "$@" 2>/dev/null || true
    for ((i = 0; i < STOP_GRACE * 10; i++)); do
        left=()
        for pid in "$@"; do alive "$pid" && left+=("$pid"); done
        ((${#left[@]} == 0)) && return 0
        sleep 0.1
    done
    log "still running after ${STOP_GRACE}s, sending KILL: ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        left=()
        for pid in "$@"; do alive "$pid" && left+=("$pid"); done
        ((${#left[@]} == 0)) && return 0
        sleep 0.1
    done
    log "could not kill: ${left[*]}"
    return 1
}

# Every process this network started: the pid files, plus any tor whose command line
# names one of DIR's torrc files (a tor killed while daemonizing leaves no pid file).
network_pids() {
    local dir=$1 pf p comm
    {
        for pf in "$dir"/nodes/*/pid; do
            [[ -e $pf ]] && owned_pid "$pf" "$dir/nodes/"
        done
        [[ -e $dir/site/pid ]] && owned_pid "$dir/site/pid" "http.server"
        for p in /proc/[0-9]*; do
            p=${p#/proc/}
            comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
            [[ $comm == tor ]] || continue
            [[ $(cmdline_of "$p") == *"$dir/nodes/"*"/torrc"* ]] && alive "$p" && echo "$p"
        done
        true
    } | sort -un
}

# Kill everything DIR's network started; delete DIR unless $2 == keep.
stop_network() {
    local dir=$1 keep=${2:-} pids
    mapfile -t pids < <(network_pids "$dir")
    if ((${#pids[@]} > 0)); then
        log "stopping ${#pids[@]} processes: ${pids[*]}"
        terminate "${pids[@]}" || return 1
    fi
    if [[ $keep == keep ]]; then
        log "kept $dir (TESTNET_KEEP_FAILED=1)"
    else
        rm -rf -- "$dir"
    fi
}

# ---------------------------------------------------------------- ports

# Print a base port B such that B .. B+N-1 are all free on 127.0.0.1.
pick_base_port() {
    python3 - "$@" <<'PY'
import random, socket, sys
n, want = int(sys.argv[1]), sys.argv[2]
def free(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tor and http.server do
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
if want:
    b = int(want)
    if b < 1024 or b + n > 65536:
        sys.exit(f"--base-port {b}: need {n} ports between 1024 and 65535")
    busy = [p for p in range(b, b + n) if not free(p)]
    if busy:
        sys.exit(f"--base-port {b}: ports in use: {busy}")
    print(b)
    sys.exit()
for _ in range(500):  # below the Linux ephemeral range (32768-60999)
    b = random.randrange(20000, 32000 - n)
    if all(free(p) for p in range(b, b + n)):
        print(b)
        sys.exit()
sys.exit(f"no {n} consecutive free ports found in 20000-32000")
PY
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------- torrc

# nodes.tsv: role nick orport dirport (ports "-" when none); the data dir is DIR/nodes/NICK.
node_dir() { printf '%s/nodes/%s\n' "$DIR" "$1"; }

torrc_common() {
    local nick=$1 d
    d=$(node_dir "$nick")
    cat <<EOF
TestingTorNetwork 1
DataDirectory $d
Nickname $nick
PidFile $d/pid
RunAsDaemon 1
Log notice file $d/notice.log
Sandbox 0
ConnLimit 60
PathsNeededToBuildCircuits 0.67
TestingDirAuthVoteExit *
TestingDirAuthVoteHSDir *
TestingDirAuthVoteGuard *
TestingMinExitFlagThreshold 0
V3AuthNIntervalsValid 2
EOF
    cat "$DIR/dirauthorities"
}

torrc_relay_common() {
    cat <<EOF
SocksPort 0
ORPort 127.0.0.1:$1
DirPort 127.0.0.1:$2
Address 127.0.0.1
AssumeReachable 1
ContactInfo x@test.invalid
ServerDNSDetectHijacking 0
ServerDNSTestAddresses
ServerDNSResolvConfFile /dev/null
EOF
}

torrc_authority() {
    torrc_common "$1"
    torrc_relay_common "$2" "$3"
    cat <<EOF
ExitRelay 0
AuthoritativeDirectory 1
V3AuthoritativeDirectory 1
TestingV3AuthInitialVotingInterval $VOTING_INTERVAL
TestingV3AuthInitialVoteDelay 4
TestingV3AuthInitialDistDelay 4
V3AuthVotingInterval $VOTING_INTERVAL
V3AuthVoteDelay 4
V3AuthDistDelay 4
EOF
}

torrc_exit() {
    torrc_common "$1"
    torrc_relay_common "$2" "$3"
    cat <<EOF
ExitRelay 1
ExitPolicyRejectPrivate 0
ExitPolicy accept 127.0.0.0/8:*
ExitPolicy accept private:*
ExitPolicy accept *:*
EOF
}

torrc_onion() {
    local d
    d=$(node_dir "$1")
    torrc_common "$1"
    cat <<EOF
Log [rend]info file $d/rend.log
SocksPort 0
HiddenServiceDir $d/hidden_service
HiddenServiceVersion 3
HiddenServicePort 80 127.0.0.1:$SITE_PORT
EOF
}

torrc_client() {
    torrc_common "$1"
    echo "Log [rend]info file $(node_dir "$1")/rend.log"
    echo "SocksPort 127.0.0.1:$SOCKS_PORT"
    echo "ControlPort 127.0.0.1:$CONTROL_PORT"
    echo "CookieAuthentication 1"
}

# Start one tor (it daemonizes) and wait for its pid file.
launch_tor() {
    local nick=$1 d i
    d=$(node_dir "$nick")
    if ! tor -f "$d/torrc" </dev/null >"$d/stdout.log" 2>&1; then
        tail -n 20 "$d/stdout.log" >&2
        fail "tor $nick did not start (see $d/stdout.log)"
    fi
    for ((i = 0; i < 300; i++)); do
        [[ -s $d/pid ]] && return 0
        sleep 0.1
    done
    fail "tor $nick wrote no pid file"
}

# Nicknames among the network's relays (authorities + exits) missing from the first
# authority's consensus; prints them, one per line.
consensus_missing() {
    local cons nick
    cons="$DIR/nodes/auth0/cached-microdesc-consensus"
    local -A listed=()
    if [[ -s $cons ]]; then
        while read -r nick; do listed[$nick]=1; done < <(awk '$1 == "r" { print $2 }' "$cons")
    fi
    while read -r _ nick _; do
        [[ -n ${listed[$nick]:-} ]] || echo "$nick"
    done < <(awk '$1 == "auth" || $1 == "relay"' "$DIR/nodes.tsv")
}

# One fetch of the onion through the client's SocksPort. If the site port is not listening
# (--site-port with no server yet), a descriptor reaching the client counts as success.
onion_probe() {
    if curl -sS -o /dev/null --max-time 30 --socks5-hostname "127.0.0.1:$SOCKS_PORT" \
        "http://$1/" 2>>"$DIR/nodes/client/probe.log"; then
        return 0
    fi
    ! port_open "$SITE_PORT" && grep -q "Descriptor has arrived" "$DIR/nodes/client/rend.log" 2>/dev/null
}

# SIGNAL NEWNYM to the client over its ControlPort (cookie authentication).
client_newnym() {
    local cookie fd reply
    cookie=$(od -An -v -tx1 "$(node_dir client)/control_auth_cookie" | tr -d ' \n')
    exec {fd}<>"/dev/tcp/127.0.0.1/$CONTROL_PORT" || return 1
    printf 'AUTHENTICATE %s\r\nSIGNAL NEWNYM\r\nQUIT\r\n' "$cookie" >&"$fd"
    reply=$(timeout 5 cat <&"$fd") || true
    exec {fd}>&-
    [[ $(grep -c '^250' <<<"$reply") -ge 2 ]]
}

print_logs() {
    local f
    for f in "$DIR"/nodes/*/notice.log "$DIR"/site/http.log; do
        [[ -e $f ]] || continue
        echo "==> $f <==" >&2
        tail -n "${1:-15}" "$f" >&2
    done
}

first_word_rest() { # "Nick AAAA BBBB" -> "AAAABBBB"
    local line
    read -r line <"$1"
    line=${line#* }
    printf '%s\n' "${line// /}"
}

# ---------------------------------------------------------------- outputs

write_arti_toml() {
    local nick orport fp ed v3 sep="" v3list=""
    install -d -m 0700 "$DIR/arti-cache" "$DIR/arti-state"
    {
        cat <<EOF
# arti-client configuration for the PRIVATE Tor test network in $DIR.
# Test networks only: custom authorities, local addresses, /33 subnet families and
# hsdir_interval must never be used against the public Tor network.
[storage]
cache_dir = "$DIR/arti-cache"
state_dir = "$DIR/arti-state"

[tor_network]
fallback_caches = [
EOF
        while read -r _ nick orport _; do
            fp=$(first_word_rest "$(node_dir "$nick")/fingerprint")
            ed=$(first_word_rest "$(node_dir "$nick")/fingerprint-ed25519")
            echo "  { rsa_identity = \"$fp\", ed_identity = \"$ed\", orports = [\"127.0.0.1:$orport\"] },"
        done < <(awk '$1 == "auth"' "$DIR/nodes.tsv")
        while read -r _ nick _; do
            v3=$(awk '$1 == "fingerprint" { print $2 }' "$(node_dir "$nick")/keys/authority_certificate")
            v3list+="$sep\"$v3\""
            sep=", "
        done < <(awk '$1 == "auth"' "$DIR/nodes.tsv")
        cat <<EOF
]

[tor_network.authorities]
v3idents = [$v3list]

[path_rules]
ipv4_subnet_family_prefix = 33
ipv6_subnet_family_prefix = 129

[address_filter]
allow_local_addrs = true

[override_net_params]
hsdir_interval = $HSDIR_INTERVAL
EOF
    } >"$DIR/arti.toml"
}

# network.env and network.json, from nodes.tsv and the nodes' key files.
write_network_files() {
    python3 - "$DIR" "$BASE_PORT" "$SITE_PORT" "$SITE_DIR" "$SOCKS_PORT" "$CONTROL_PORT" \
        "$VOTING_INTERVAL" "$HSDIR_INTERVAL" <<'PY'
import json, os, shlex, sys
d, base, site_port, site_dir, socks, control, vi, hi = sys.argv[1:]

def rest(path):  # "Nick AAAA BBBB" -> "AAAABBBB"
    with open(path) as f:
        return "".join(f.read().split()[1:])

nodes = {"auth": [], "relay": [], "onion": [], "client": []}
with open(os.path.join(d, "nodes.tsv")) as f:
    for line in f:
        role, nick, orport, dirport = line.split()
        nd = os.path.join(d, "nodes", nick)
        n = {"nickname": nick, "data_dir": nd,
             "pid_file": os.path.join(nd, "pid"),
             "notice_log": os.path.join(nd, "notice.log")}
        if role in ("auth", "relay"):
            n["orport"], n["dirport"] = int(orport), int(dirport)
            n["rsa_fingerprint"] = rest(os.path.join(nd, "fingerprint"))
            n["ed25519_identity"] = rest(os.path.join(nd, "fingerprint-ed25519"))
        if role == "auth":
            with open(os.path.join(nd, "keys", "authority_certificate")) as c:
                n["v3ident"] = next(l.split()[1] for l in c if l.startswith("fingerprint "))
        nodes[role].append(n)

svc = nodes["onion"][0]
svc["hostname_file"] = os.path.join(svc["data_dir"], "hidden_service", "hostname")
with open(svc["hostname_file"]) as f:
    onion = f.read().strip()
client = nodes["client"][0] if nodes["client"] else None
if client:
    client["socks_port"] = int(socks)
    client["control_port"] = int(control)
    client["control_cookie"] = os.path.join(client["data_dir"], "control_auth_cookie")
site_server = None
if site_dir:
    site_server = {"port": int(site_port), "dir": site_dir,
                   "pid_file": os.path.join(d, "site", "pid"),
                   "log": os.path.join(d, "site", "http.log")}

net = {
    "dir": d,
    "onion": onion,
    "site_port": int(site_port),
    "socks_port": int(socks) if socks else None,
    "control_port": int(control) if control else None,
    "arti_config": os.path.join(d, "arti.toml"),
    "env_file": os.path.join(d, "network.env"),
    "base_port": int(base),
    "voting_interval_secs": int(vi),
    "hsdir_interval": int(hi),
    "authorities": nodes["auth"],
    "relays": nodes["relay"],
    "onion_service": svc,
    "client": client,
    "site_server": site_server,
}
with open(os.path.join(d, "network.json"), "w") as f:
    json.dump(net, f, indent=2)
    f.write("\n")

env = [("TESTNET_DIR", d), ("TESTNET_ONION", onion), ("TESTNET_SITE_PORT", site_port)]
if socks:
    env.append(("TESTNET_SOCKS_PORT", socks))
    env.append(("TESTNET_CONTROL_PORT", control))
    env.append(("TESTNET_CONTROL_COOKIE", client["control_cookie"]))
if site_dir:
    env.append(("TESTNET_SITE_DIR", site_dir))
    env.append(("TESTNET_SITE_PID_FILE", site_server["pid_file"]))
env += [("TESTNET_ARTI_CONFIG", net["arti_config"]),
        ("TESTNET_JSON", os.path.join(d, "network.json")),
        ("TESTNET_BASE_PORT", base),
        ("TESTNET_HSDIR_INTERVAL", hi),
        ("TESTNET_AUTHORITIES", " ".join(n["nickname"] for n in nodes["auth"])),
        ("TESTNET_RELAYS", " ".join(n["nickname"] for n in nodes["relay"]))]
keys = [("orport", "ORPORT"), ("dirport", "DIRPORT"), ("rsa_fingerprint", "RSA_FINGERPRINT"),
        ("ed25519_identity", "ED25519_IDENTITY"), ("v3ident", "V3IDENT"),
        ("pid_file", "PID_FILE"), ("data_dir", "DATA_DIR")]
for n in nodes["auth"] + nodes["relay"] + nodes["onion"] + nodes["client"]:
    for k, name in keys:
        if k in n:
            env.append((f"TESTNET_{n['nickname'].upper()}_{name}", str(n[k])))
with open(os.path.join(d, "network.env"), "w") as f:
    for k, v in env:
        f.write(f"{k}={shlex.quote(str(v))}\n")
PY
}

# ---------------------------------------------------------------- commands

START_DIR=""
START_OK=0

on_start_exit() {
    local rc=$?
    trap '' INT TERM HUP
    if ((START_OK == 0)) && [[ -n $START_DIR ]]; then
        ((rc != 0)) || rc=1
        log "start failed: stopping what was started"
        if [[ ${TESTNET_KEEP_FAILED:-0} == 1 ]]; then
            stop_network "$START_DIR" keep || true
        else
            stop_network "$START_DIR" || true
        fi
    fi
    exit "$rc"
}

cmd_start() {
    local dir="" site_dir="" site_port="" client=0 base="" relays=5 timeout=240
    while (($#)); do
        case $1 in
            --dir) dir=${2:?--dir needs a value}; shift 2 ;;
            --site-port) site_port=${2:?--site-port needs a value}; shift 2 ;;
            --site-dir) site_dir=${2:?--site-dir needs a value}; shift 2 ;;
            --client) client=1; shift ;;
            --base-port) base=${2:?--base-port needs a value}; shift 2 ;;
            --relays) relays=${2:?--relays needs a value}; shift 2 ;;
            --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
            -h | --help) usage ;;
            *) usage_error "start: unknown argument: $1" ;;
        esac
    done
    [[ -n $dir ]] || usage_error "start: --dir is required"
    [[ -n $site_port || -n $site_dir ]] || usage_error "start: --site-port or --site-dir is required"
    [[ -z $site_port || -z $site_dir ]] || usage_error "start: --site-port and --site-dir exclude each other"
    if [[ -n $site_port ]] && { ! is_uint "$site_port" || ((site_port == 0 || site_port > 65535)); }; then
        usage_error "start: bad --site-port: $site_port"
    fi
    [[ -z $base ]] || is_uint "$base" || usage_error "start: bad --base-port: $base"
    if ! is_uint "$relays" || ((relays < 2 || relays > 40)); then
        usage_error "start: --relays must be 2..40"
    fi
    if ! is_uint "$timeout" || ((timeout == 0)); then usage_error "start: bad --timeout: $timeout"; fi
    local t
    for t in tor tor-gencert python3 $( ((client)) && echo curl); do
        command -v "$t" >/dev/null || fail "$t not found (apt-get install -y tor python3)"
    done

    DIR=$(resolve_dir "$dir")
    if [[ -n $site_dir ]]; then
        [[ -d $site_dir ]] || usage_error "start: --site-dir is not a directory: $site_dir"
        site_dir=$(realpath -e -- "$site_dir")
        [[ $site_dir/ != "$DIR"/* ]] || usage_error "start: --site-dir must not be inside --dir"
    fi

    # Idempotency: a network already in DIR is stopped and replaced by a fresh one.
    if [[ -e $DIR ]]; then
        if [[ -f $DIR/$MARKER ]]; then
            log "replacing the network in $DIR"
            stop_network "$DIR" || fail "could not stop the network in $DIR"
        elif [[ -n $(ls -A -- "$DIR") ]]; then
            usage_error "start: $DIR exists, is not empty and is not a test network dir"
        fi
    fi

    local t0=$SECONDS
    START_DIR=$DIR
    trap on_start_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP

    mkdir -p "$DIR"
    chmod 0700 "$DIR"
    : >"$DIR/$MARKER"
    mkdir -m 0700 "$DIR/nodes"

    local nnodes=$((N_AUTH + relays)) i nick
    # Ports: node i has ORPort base+2i and DirPort base+2i+1, then the client's SocksPort,
    # the site server, the client's ControlPort.
    BASE_PORT=$(pick_base_port $((2 * nnodes + 3)) "$base") || fail "no usable ports"
    SOCKS_PORT="" CONTROL_PORT=""
    if ((client)); then
        SOCKS_PORT=$((BASE_PORT + 2 * nnodes))
        CONTROL_PORT=$((BASE_PORT + 2 * nnodes + 2))
    fi
    SITE_DIR=$site_dir
    SITE_PORT=${site_port:-$((BASE_PORT + 2 * nnodes + 1))}
    log "dir $DIR, ports $BASE_PORT-$((BASE_PORT + 2 * nnodes + 2)), $relays exit relays"

    # nodes.tsv: role nick orport dirport
    {
        for ((i = 0; i < nnodes; i++)); do
            if ((i < N_AUTH)); then
                printf 'auth auth%d %d %d\n' "$i" $((BASE_PORT + 2 * i)) $((BASE_PORT + 2 * i + 1))
            else
                printf 'relay relay%d %d %d\n' $((i - N_AUTH)) $((BASE_PORT + 2 * i)) $((BASE_PORT + 2 * i + 1))
            fi
        done
        echo "onion onionsvc - -"
        ((client == 0)) || echo "client client - -"
    } >"$DIR/nodes.tsv"

    # The site server, when we serve a folder ourselves.
    if [[ -n $site_dir ]]; then
        mkdir -m 0700 "$DIR/site"
        setsid python3 -m http.server --bind 127.0.0.1 --directory "$site_dir" "$SITE_PORT" \
            </dev/null >"$DIR/site/http.log" 2>&1 &
        echo $! >"$DIR/site/pid"
        for ((i = 0; i < 300; i++)); do
            port_open "$SITE_PORT" && break
            alive "$(cat "$DIR/site/pid")" || { cat "$DIR/site/http.log" >&2; fail "site server died"; }
            sleep 0.1
        done
        port_open "$SITE_PORT" || fail "site server not listening on 127.0.0.1:$SITE_PORT"
    fi

    # Authority keys and the DirAuthority lines every torrc carries.
    local role orport dirport d v3 fp
    : >"$DIR/dirauthorities"
    while read -r role nick orport dirport; do
        d=$(node_dir "$nick")
        mkdir -m 0700 "$d"
        [[ $role == auth ]] || continue
        mkdir -m 0700 "$d/keys"
        echo "" | tor-gencert --create-identity-key --passphrase-fd 0 -m 12 -a "127.0.0.1:$dirport" \
            -i "$d/keys/authority_identity_key" -s "$d/keys/authority_signing_key" \
            -c "$d/keys/authority_certificate" >"$d/gencert.log" 2>&1 ||
            { cat "$d/gencert.log" >&2; fail "tor-gencert failed for $nick"; }
        tor --ignore-missing-torrc -f /dev/null --orport 1 --datadirectory "$d" \
            --list-fingerprint --quiet </dev/null >/dev/null
        v3=$(awk '$1 == "fingerprint" { print $2 }' "$d/keys/authority_certificate")
        fp=$(first_word_rest "$d/fingerprint")
        echo "DirAuthority $nick orport=$orport no-v2 v3ident=$v3 127.0.0.1:$dirport $fp" >>"$DIR/dirauthorities"
    done <"$DIR/nodes.tsv"

    # torrc files, then start: authorities, exits, onion service, client.
    while read -r role nick orport dirport; do
        case $role in
            auth) torrc_authority "$nick" "$orport" "$dirport" ;;
            relay) torrc_exit "$nick" "$orport" "$dirport" ;;
            onion) torrc_onion "$nick" ;;
            client) torrc_client "$nick" ;;
        esac >"$(node_dir "$nick")/torrc"
    done <"$DIR/nodes.tsv"
    while read -r _ nick _; do
        launch_tor "$nick"
    done <"$DIR/nodes.tsv"
    log "all tor processes started after $((SECONDS - t0))s; waiting for the consensus (timeout ${timeout}s)"

    # Ready: auth0's consensus lists every relay, the onion hostname exists, and (with
    # --client) the client has bootstrapped.
    local deadline=$((t0 + timeout)) missing pid hostfile
    hostfile="$(node_dir onionsvc)/hidden_service/hostname"
    while :; do
        while read -r _ nick _; do
            pid=$(owned_pid "$(node_dir "$nick")/pid" "$DIR/nodes/")
            if [[ -z $pid ]]; then
                tail -n 30 "$(node_dir "$nick")/notice.log" >&2 || true
                fail "tor $nick died during start"
            fi
        done <"$DIR/nodes.tsv"
        missing=$(consensus_missing | tr '\n' ' ')
        if [[ -z $missing && -s $hostfile ]] &&
            { ((client == 0)) || grep -q 'Bootstrapped 100%' "$(node_dir client)/notice.log" 2>/dev/null; }; then
            break
        fi
        if ((SECONDS >= deadline)); then
            print_logs 15
            fail "not ready after ${timeout}s (missing from consensus: ${missing:-none}; hostname: $([[ -s $hostfile ]] && echo yes || echo no))"
        fi
        sleep 1
    done

    # With --client: fetch the onion through the client until that works. C tor does not ask
    # an HSDir again for 15 minutes after a 404, so a client that asks before the descriptor
    # is everywhere can be stuck for 15 minutes; NEWNYM clears that memory, so each failed
    # attempt is followed by one.
    if ((client)); then
        local onion attempts=1 restarted=0 since=$SECONDS
        onion=$(cat "$hostfile")
        log "consensus ready after $((SECONDS - t0))s; fetching http://$onion/ through the client"
        until onion_probe "$onion"; do
            if ((SECONDS >= deadline)); then
                print_logs 15
                fail "$onion not reachable through the client after ${timeout}s"
            fi
            # An onion service that started with an early consensus can sit for minutes
            # failing to build circuits ("Failed to find node for hop #2") and never
            # publish its descriptor; started again, it takes the current consensus and
            # publishes within seconds (same keys, same onion name).
            if ((!restarted && SECONDS - since >= 30)); then
                log "onion service not reachable after 30s: restarting it on the current consensus"
                # shellcheck disable=SC2046
                terminate $(owned_pid "$(node_dir onionsvc)/pid" "$DIR/nodes/")
                launch_tor onionsvc
                restarted=1
            fi
            client_newnym || log "NEWNYM failed"
            sleep 2
            attempts=$((attempts + 1))
        done
        log "onion service reachable through the client (attempt $attempts)"
    fi

    write_arti_toml
    write_network_files
    START_OK=1
    trap - EXIT INT TERM HUP
    log "ready after $((SECONDS - t0))s"
    echo "dir=$DIR"
    echo "site_port=$SITE_PORT"
    [[ -z $SOCKS_PORT ]] || echo "socks_port=$SOCKS_PORT"
    [[ -z $CONTROL_PORT ]] || echo "control_port=$CONTROL_PORT"
    echo "env=$DIR/network.env"
    echo "json=$DIR/network.json"
    echo "onion=$(cat "$hostfile")"
    echo "arti_config=$DIR/arti.toml"
}

# Parse "--dir DIR" (+ extra args into REST) for the other commands.
parse_dir_args() {
    local cmd=$1
    shift
    DIR="" REST=()
    while (($#)); do
        case $1 in
            --dir) DIR=${2:?--dir needs a value}; shift 2 ;;
            -h | --help) usage ;;
            *) REST+=("$1"); shift ;;
        esac
    done
    [[ -n $DIR ]] || usage_error "$cmd: --dir is required"
    DIR=$(resolve_dir "$DIR")
}

require_network_dir() {
    [[ -f $DIR/$MARKER ]] || fail "$DIR is not a test network directory"
}

cmd_stop() {
    parse_dir_args stop "$@"
    ((${#REST[@]} == 0)) || usage_error "stop: unexpected arguments: ${REST[*]}"
    if [[ ! -e $DIR ]]; then
        log "nothing to stop: $DIR does not exist"
        return 0
    fi
    [[ -f $DIR/$MARKER ]] || usage_error "stop: $DIR is not a test network directory; not deleting it"
    stop_network "$DIR"
    log "stopped; $DIR deleted"
}

cmd_status() {
    parse_dir_args status "$@"
    ((${#REST[@]} == 0)) || usage_error "status: unexpected arguments: ${REST[*]}"
    require_network_dir
    local ok=0 role nick orport pid state missing total cons host
    while read -r role nick orport _; do
        pid=$(owned_pid "$(node_dir "$nick")/pid" "$DIR/nodes/")
        if [[ -n $pid ]]; then state="alive pid $pid"; else state=dead; ok=1; fi
        [[ $orport == - ]] && orport="" || orport="orport $orport"
        printf '%-8s %-6s %-14s %s\n' "$nick" "$role" "$orport" "$state"
    done <"$DIR/nodes.tsv"
    if [[ -e $DIR/site/pid ]]; then
        pid=$(owned_pid "$DIR/site/pid" http.server)
        if [[ -n $pid ]]; then state="alive pid $pid"; else state=dead; ok=1; fi
        printf '%-8s %-6s %-14s %s\n' site http "" "$state"
    fi
    cons="$DIR/nodes/auth0/cached-microdesc-consensus"
    total=$(awk '$1 == "auth" || $1 == "relay"' "$DIR/nodes.tsv" | wc -l)
    missing=$(consensus_missing | tr '\n' ' ')
    if [[ -s $cons ]]; then
        echo "consensus: $(grep -c '^r ' "$cons") relays listed, $total expected," \
            "$(awk '$1 == "valid-after" { print $2 "T" $3 }' "$cons");" \
            "missing: ${missing:-none}"
    else
        echo "consensus: none yet"
    fi
    [[ -z $missing ]] || ok=1
    host="$(node_dir onionsvc)/hidden_service/hostname"
    if [[ -s $host ]]; then echo "onion: $(cat "$host")"; else echo "onion: no hostname yet"; ok=1; fi
    return "$ok"
}

cmd_stop_relay() {
    parse_dir_args stop-relay "$@"
    local sig=() nick="" a
    for a in "${REST[@]}"; do
        case $a in
            --kill) sig=(--kill) ;;
            -*) usage_error "stop-relay: unknown option: $a" ;;
            *) [[ -z $nick ]] || usage_error "stop-relay: one NICK only"; nick=$a ;;
        esac
    done
    [[ -n $nick ]] || usage_error "stop-relay: NICK is required"
    require_network_dir
    awk -v n="$nick" '$1 == "relay" && $2 == n { f = 1 } END { exit !f }' "$DIR/nodes.tsv" ||
        usage_error "stop-relay: no exit relay named $nick (relays: $(awk '$1 == "relay" { printf "%s ", $2 }' "$DIR/nodes.tsv"))"
    local pid
    pid=$(owned_pid "$(node_dir "$nick")/pid" "$DIR/nodes/")
    if [[ -z $pid ]]; then
        log "relay $nick is not running"
        return 0
    fi
    terminate "${sig[@]}" "$pid"
    log "stopped relay $nick (pid $pid)"
}

main() {
    (($#)) || usage
    local cmd=$1
    shift
    case $cmd in
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status "$@" ;;
        stop-relay) cmd_stop_relay "$@" ;;
        -h | --help | help) usage ;;
        *) usage_error "unknown command: $cmd" ;;
    esac
}

main "$@"
