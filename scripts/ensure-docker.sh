#!/usr/bin/env bash
# Makes sure a Docker engine answers. Where none does, on a Debian or Ubuntu host and as root,
# installs Debian's docker.io (and debootstrap, for offline base images) and starts dockerd.
# Users whose Docker already runs (Docker Desktop, a system service) are left alone.
set -euo pipefail

log() { echo "ensure-docker: $*" >&2; }

if docker info >/dev/null 2>&1; then
  log "a Docker engine answers: $(docker info --format '{{.ServerVersion}}')"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  log "no Docker engine answers, and starting one needs root: start Docker, or rerun as root"
  exit 1
fi
if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "no Docker engine answers and this is not a Debian/Ubuntu host: install Docker 20.10+"
    exit 1
  fi
  log "installing docker.io and debootstrap from the distribution's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io debootstrap iptables >/dev/null
fi
log "starting dockerd (log: /var/log/dockerd.log)"
setsid dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "Docker engine $(docker info --format '{{.ServerVersion}}') is up"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; last lines of /var/log/dockerd.log:"
tail -n 20 /var/log/dockerd.log >&2
exit 1
