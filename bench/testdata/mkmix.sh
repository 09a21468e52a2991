#!/bin/sh
# mkmix.sh regenerates the syscall mixes bench/testdata/mix-*.txt.
# Each mix is the per-syscall call count of one real workload, taken with
# `strace -f -c` (every thread and child), x86_64 ABI only. Run it from
# bench/testdata as root on an x86_64 Linux machine with strace, go, python3,
# tar and git (python3 is /usr/bin/python3, not a shim that execs more processes):  sh mkmix.sh
set -eu
out=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mix() { # name description command...
	name=$1 desc=$2
	shift 2
	strace -f -c -U name,calls -o "$work/$name.raw" "$@" >/dev/null 2>&1
	{
		echo "# syscall mix: $desc"
		echo "# made by bench/testdata/mkmix.sh: strace -f -c -U name,calls $*" | sed "s|$work|\$TMP|g"
		echo "# kernel $(uname -r), $(strace -V | head -1)"
		echo "# columns: syscall name, number of calls (x86_64 ABI)"
		awk '/^-/ {next} $1=="syscall" || $1=="total" || NF!=2 {next} {print $1, $2}' "$work/$name.raw" | sort -k2,2nr -k1,1
	} >"$out/mix-$name.txt"
}

# go build of a small program, with an empty build cache so the compiler and
# linker really run.
mkdir -p "$work/hello"
cat >"$work/hello/main.go" <<'GO'
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

func main() {
	b, _ := json.Marshal(map[string]int{"a": 1})
	fmt.Fprintln(os.Stdout, string(b))
}
GO
printf 'module hello\n\ngo 1.22\n' >"$work/hello/go.mod"
(cd "$work/hello" && mix go-build "go build of a 10-line program with an empty GOCACHE" \
	env GOCACHE="$work/gocache" GOFLAGS=-mod=mod GOPROXY=off go build -o "$work/hello/hello" .)

# A python script: walk a tree, hash and parse files, write JSON.
cat >"$work/script.py" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
out = {}
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        try:
            with open(p, 'rb') as fh:
                out[p] = hashlib.sha256(fh.read()).hexdigest()
        except OSError:
            pass
with open(sys.argv[2], 'w') as fh:
    json.dump(out, fh)
PY
mix python "python3 script hashing every file under /usr/local/go/src/net into a JSON file" \
	/usr/bin/python3 "$work/script.py" /usr/local/go/src/net "$work/hashes.json"

mix tar "tar czf of /usr/local/go/src/net" tar czf "$work/net.tgz" -C /usr/local/go/src net

# git status in a clone of this repository.
git clone -q "$out/../.." "$work/repo"
(cd "$work/repo" && mix git-status "git status in a fresh clone of the seccompile repository" git status)
