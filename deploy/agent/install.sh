#!/bin/sh
# Installs (or updates) the hashfleet agent on a container's box, from a checkout or release
# tarball of this repository. Only the agent workspace and what it imports are installed: none of
# the controller's dependencies (docs/architecture.md §2). Safe to run again: what is already in place is
# left alone and reported "unchanged".
#
#   sudo deploy/agent/install.sh --config ./sc-c01.yaml \
#     --secret mqtt-token=./sc-c01.mqtt-token --secret web-password=./web-password \
#     --file controller-ed25519.pub.pem=./command-key.pem --file known_hosts=./known_hosts
#
# Options:
#   --config FILE       the agent config, installed as /etc/hashfleet/agent.yaml (needed the first time)
#   --secret NAME=FILE  a secret, installed as /etc/hashfleet/secrets/NAME (0640 root:hashfleet); the
#                       config names it { file: secrets/NAME }. Repeatable.
#   --file NAME=FILE    another file for /etc/hashfleet (CA, known_hosts, controller key). Repeatable.
#   --root DIR          install into DIR instead of / (an image being built, or a test): the user is
#                       added to DIR/etc/passwd, the unit enabled with systemctl --root, nothing started
#   --source DIR        the repository to install from (default: the one holding this script)
#   --no-start          install and enable, but do not (re)start the service
#   --dry-run           print what would be done, change nothing
# Environment: HASHFLEET_NPM_FLAGS, extra flags for npm ci (e.g. --offline from a warm cache).
set -eu

USER_NAME=hashfleet
APP=/opt/hashfleet
ETC=/etc/hashfleet
STATE=/var/lib/hashfleet-agent
UNIT=hashfleet-agent.service

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "install.sh: $*" >&2; exit 2; }

root=/
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
config=
dry=0
start=1
secrets=
files=
while [ $# -gt 0 ]; do
  case $1 in
    --config) [ $# -ge 2 ] || die "--config needs a file"; config=$2; shift 2 ;;
    --secret) [ $# -ge 2 ] || die "--secret needs NAME=FILE"; secrets="$secrets $2"; shift 2 ;;
    --file) [ $# -ge 2 ] || die "--file needs NAME=FILE"; files="$files $2"; shift 2 ;;
    --root) [ $# -ge 2 ] || die "--root needs a directory"; root=$2; shift 2 ;;
    --source) [ $# -ge 2 ] || die "--source needs a directory"; source_dir=$2; shift 2 ;;
    --no-start) start=0; shift ;;
    --dry-run) dry=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
root=$(cd "$root" 2>/dev/null && pwd) || die "--root: no such directory"
# The staged root's prefix for every path ("" for the live system).
R=${root%/}

[ -f "$source_dir/agent/src/cli.ts" ] || die "$source_dir: not a hashfleet checkout (no agent/src/cli.ts)"
[ -z "$config" ] || [ -f "$config" ] || die "--config $config: no such file"
for pair in $secrets $files; do
  name=${pair%%=*}
  file=${pair#*=}
  case $name in '' | *[!A-Za-z0-9._-]* | .*) die "$pair: NAME must be letters, digits, '.', '_' or '-'" ;; esac
  if [ "$name" = "$pair" ] || [ ! -f "$file" ]; then die "$pair: expected NAME=FILE with an existing file"; fi
done
[ -n "$config" ] || [ -f "$R$ETC/agent.yaml" ] || die "--config is needed: $R$ETC/agent.yaml does not exist yet"

say() { printf '%s\n' "$*"; }
# Every change goes through run: printed with --dry-run, executed otherwise.
run() {
  if [ "$dry" = 1 ]; then
    printf '+ %s\n' "$*"
  else
    "$@"
  fi
}

# Ownership by number, read from the target's own passwd (a staged root's users are not the host's).
# Without root privileges (a test as a normal user), files keep the invoker's ownership.
can_chown=1
[ "$(id -u)" = 0 ] || { can_chown=0; say "not root: ownership is left to the invoking user"; }
uid_of() { awk -F: -v u="$1" '$1 == u { print $3 }' "$R/etc/passwd"; }
gid_of() { awk -F: -v g="$1" '$1 == g { print $3 }' "$R/etc/group"; }
owner() { # user:group as numbers, or names in a dry run before the user exists
  u=$(uid_of "$1"); g=$(gid_of "$2")
  printf '%s:%s' "${u:-$1}" "${g:-$2}"
}

# install_file SRC DEST MODE USER GROUP: copies when the content or mode differs.
install_file() {
  if [ -f "$2" ] && cmp -s "$1" "$2" && [ "$(stat -c %a "$2")" = "$3" ]; then
    say "unchanged: ${2#"$R"}"
    return
  fi
  say "install: ${2#"$R"} (mode $3)"
  run install -D -m "$3" "$1" "$2"
  [ "$can_chown" = 0 ] || run chown "$(owner "$4" "$5")" "$2"
}

# install_dir DIR MODE USER GROUP
install_dir() {
  if [ -d "$1" ] && [ "$(stat -c %a "$1")" = "$2" ] &&
    { [ "$can_chown" = 0 ] || [ "$(stat -c %u:%g "$1")" = "$(owner "$3" "$4")" ]; }; then
    say "unchanged: ${1#"$R"}/"
    return
  fi
  say "directory: ${1#"$R"}/ (mode $2, $3:$4)"
  run mkdir -p "$1"
  run chmod "$2" "$1"
  [ "$can_chown" = 0 ] || run chown "$(owner "$3" "$4")" "$1"
}

# 1. The service user: a system account with no login and no home of its own.
if [ -n "$(uid_of "$USER_NAME")" ]; then
  say "unchanged: user $USER_NAME"
else
  say "user: $USER_NAME (system, no login)"
  if [ "$R" = "" ]; then
    run useradd --system --user-group --home-dir "$STATE" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
  else
    run useradd --root "$root" --system --user-group --home-dir "$STATE" --no-create-home \
      --shell /usr/sbin/nologin "$USER_NAME"
  fi
fi

# 2. Directories. Config and secrets are readable by the agent's group only; the state directory
# (spool, identity table, safety rules) is the agent's own.
install_dir "$R$APP" 755 root root
install_dir "$R$ETC" 750 root "$USER_NAME"
install_dir "$R$ETC/secrets" 750 root "$USER_NAME"
install_dir "$R$STATE" 750 "$USER_NAME" "$USER_NAME"

# 3. The code: the workspaces the agent imports, and every workspace's package.json (npm ci checks
# the lockfile against all of them). Nothing of the controller but its package.json.
manifests="package.json package-lock.json tsconfig.base.json"
for ws in contracts firmware-profiles simulator agent controller dashboards demo; do
  manifests="$manifests $ws/package.json"
done
code="contracts/src firmware-profiles/src agent/src deploy/agent tools/build.mjs"
for path in $manifests $code; do
  if diff -rq "$source_dir/$path" "$R$APP/$path" >/dev/null 2>&1; then continue; fi
  say "code: $APP/$path"
  run mkdir -p "$(dirname "$R$APP/$path")"
  run rm -rf "$R$APP/$path"
  run cp -R "$source_dir/$path" "$R$APP/$path"
done

# 4. Dependencies: the agent workspace's production closure only. Re-run only when the lockfile or
# the manifests changed (the stamp records them).
# shellcheck disable=SC2086 # a list of paths without spaces
stamp=$(cd "$source_dir" && cat $manifests | sha256sum | cut -c1-64)
stamp_file="$R$APP/node_modules/.hashfleet-agent-install"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
  say "unchanged: $APP/node_modules"
else
  say "npm ci: agent workspace, production dependencies only"
  run sh -c "cd '$R$APP' && npm ci --omit=dev --workspace agent --no-audit --no-fund ${HASHFLEET_NPM_FLAGS:-}"
  if [ "$dry" = 1 ]; then say "+ record $stamp in ${stamp_file#"$R"}"; else printf '%s\n' "$stamp" >"$stamp_file"; fi
fi

# 5. The agent as JavaScript (tools/build.mjs agent writes agent/dist/cli.mjs, what the unit runs:
# no TypeScript loader at run time), from the code just copied; the file is rewritten only when its
# bytes change.
if [ "$dry" = 1 ]; then
  say "+ node tools/build.mjs agent"
else
  built=$(cd "$R$APP" && node tools/build.mjs agent) || die "tools/build.mjs agent failed"
  say "$built"
fi

# 6. Secrets and files, then the config: a new config is checked by the agent just installed,
# with nothing but its own dependencies, before it replaces the old one. A bad file stops here,
# listing every error, and the running agent keeps its config.
for pair in $secrets; do install_file "${pair#*=}" "$R$ETC/secrets/${pair%%=*}" 640 root "$USER_NAME"; done
for pair in $files; do install_file "${pair#*=}" "$R$ETC/${pair%%=*}" 640 root "$USER_NAME"; done
check() {
  # With the environment the unit gives the agent (EnvironmentFile), for { env: NAME } secrets.
  (
    # shellcheck disable=SC1090 # the box's own file, not known here
    if [ -f "$R$ETC/agent.env" ]; then set -a && . "$R$ETC/agent.env" && set +a; fi
    cd "$R$APP" && node agent/dist/cli.mjs check-config "$1"
  )
}
if [ -n "$config" ] && ! { [ -f "$R$ETC/agent.yaml" ] && cmp -s "$config" "$R$ETC/agent.yaml"; }; then
  # Beside the old one, so that relative secret paths resolve the same.
  candidate="$R$ETC/.agent.yaml.new"
  if [ "$dry" = 1 ]; then
    say "+ check-config $config, then install it as $ETC/agent.yaml (mode 640)"
  else
    install -m 640 "$config" "$candidate"
    if ! check "$candidate"; then
      rm -f "$candidate"
      echo "install.sh: $config: refused by check-config; $ETC/agent.yaml is unchanged" >&2
      exit 1
    fi
    [ "$can_chown" = 0 ] || chown "$(owner root "$USER_NAME")" "$candidate"
    mv "$candidate" "$R$ETC/agent.yaml"
    say "install: $ETC/agent.yaml (mode 640)"
  fi
else
  say "unchanged: $ETC/agent.yaml"
  # Secrets it names may have changed: check it again.
  [ "$dry" = 1 ] || check "$R$ETC/agent.yaml"
fi

# 7. The systemd unit, enabled; (re)started on a live system so new code and config take effect.
install_file "$source_dir/deploy/agent/$UNIT" "$R/etc/systemd/system/$UNIT" 644 root root
if [ "$R" = "" ]; then
  run systemctl daemon-reload
  if systemctl is-enabled --quiet "$UNIT" 2>/dev/null; then say "unchanged: $UNIT enabled"; else run systemctl enable "$UNIT"; fi
  if [ "$start" = 1 ]; then run systemctl restart "$UNIT"; fi
else
  if [ -L "$R/etc/systemd/system/multi-user.target.wants/$UNIT" ]; then
    say "unchanged: $UNIT enabled"
  else
    run systemctl --root="$root" enable "$UNIT"
  fi
fi
say "done"
