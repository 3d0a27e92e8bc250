#!/usr/bin/env bash
# TechDocs builder benchmarks, for `make bench`:
#  1. in-process build time of each corpus site and of generated 100/500/1000
#     page sites (ns/page flat = linear growth);
#  2. whole-process wall time of `mkdocs build` (MkDocs 1.4 from Debian,
#     default theme) against the Go builder as a binary on the same pages,
#     printed with the ratio; a second MkDocs figure adds codehilite, so that
#     MkDocs highlights code with Pygments as this builder (and techdocs-core)
#     does. A third figure, "floor", is techdocs-floor: a process that only
#     loads chroma and goldmark and compiles the site's lexers, which any
#     builder on those libraries pays; "max" (MkDocs over floor) is the best
#     ratio such a builder can reach on the machine. Installs mkdocs and
#     Pygments when apt-get can; without mkdocs the comparison is skipped
#     with a message.
set -euo pipefail
cd "$(dirname "$0")"
if ! { command -v mkdocs && /usr/bin/python3 -c 'import pygments'; } >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	(apt-get update -qq && apt-get install -y -qq mkdocs python3-pygments) >/dev/null 2>&1 || echo "note: could not install mkdocs; the comparison will be skipped"
fi
go test -run '^$' -bench 'BenchmarkBuild' -benchmem -timeout 20m .
go test -run '^$' -bench 'BenchmarkVsMkDocs' -benchtime 1x -timeout 30m .
