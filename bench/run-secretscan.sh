#!/usr/bin/env bash
# Secret scanning side by side with gitleaks (its rules are the ones cairn uses): the first
# 10,000 files of Go's own source tree (about 100 MB), copied to a directory, scanned by
# gitleaks (the version of forge/secretscan/gen/go.mod, installed with go install when it
# is missing; base64 decoding off, as cairn does not decode) and by cairn's scanner, with
# time, CPU and a comparison of the findings. Then the agent itself on the same files in a
# packed repository (BenchmarkSecretScan10kFiles100MB).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
corpus=${CORPUS:-$(mktemp -d)}
trap 'rm -rf "$corpus"' EXIT
src="$(go env GOROOT)/src"
(cd "$src" && find . -type f | LC_ALL=C sort | head -10000) | while read -r f; do
	mkdir -p "$corpus/$(dirname "$f")"
	cp "$src/$f" "$corpus/$f"
done
version=$(awk '/zricethezav\/gitleaks/ {print $2}' forge/secretscan/gen/go.mod)
gitleaks=$(command -v gitleaks || echo "$(go env GOPATH)/bin/gitleaks")
[ -x "$gitleaks" ] || GOFLAGS= go install "github.com/zricethezav/gitleaks/v8@$version"
machine
echo "corpus: $(find "$corpus" -type f | wc -l) files, $(du -sb "$corpus" | cut -f1) bytes"
/usr/bin/time -f "gitleaks $version: %e s wall, %U s user + %S s sys" \
	"$gitleaks" dir --no-banner --log-level warn --max-decode-depth 0 --max-target-megabytes 10 \
	--report-format json --report-path "$corpus.gitleaks.json" --exit-code 0 "$corpus"
go run ./bench/secretscan -dir "$corpus" -gitleaks-report "$corpus.gitleaks.json"
rm -f "$corpus.gitleaks.json"
go test ./forge -run '^$' -bench SecretScan10k -benchtime "${RUNS:-3}x" -count 1
