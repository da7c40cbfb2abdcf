#!/bin/sh
# Adds or replaces a broker user and prints its new password once (store it in the agent's or
# controller's secret file; it is never written anywhere else in clear).
#   deploy/mosquitto/add-user.sh /etc/mosquitto/hashfleet/passwd ctr-kz-p-017
# The username is the agent id (or "controller" for every controller replica). Reload the
# broker afterwards: systemctl reload mosquitto (SIGHUP re-reads the password and ACL files).
# The broker only confines an agent to its own topics; which container and site it may speak for
# is the controller's agent registry: bind it there with
#   hashfleet-controller token create --role agent --name <agent id> --site <site> --container <id>
# or use `hashfleet-controller broker add-agent <agent id> ... --site <site> --container <id>`,
# which also writes this file. An agent bound nowhere may speak only for containers nobody owns.
set -eu
file=${1:?usage: add-user.sh <password file> <agent id | controller>}
user=${2:?usage: add-user.sh <password file> <agent id | controller>}
case $user in
  */* | *+* | *'#'* | '') echo "add-user: $user: must not contain /, + or #" >&2; exit 2 ;;
esac
[ -f "$file" ] || (umask 077 && : >"$file")
password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 32)
mosquitto_passwd -b "$file" "$user" "$password"
printf '%s\n' "$password"
