#!/usr/bin/env bash
# The Action's logic without a runner: .github/scalelab-action.sh run with a fake loadtest on
# PATH that records its arguments, for each combination of inputs; its artifact names and its
# step summary. make lint runs it (no build, under a second).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
action=$here/scalelab-action.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
cat >"$tmp/bin/loadtest" <<'EOF'
#!/usr/bin/env bash
printf '%s\n' "$@" >"$FAKE_ARGS"
EOF
chmod +x "$tmp/bin/loadtest"
failed=0

# expect NAME WANT: the arguments the fake loadtest got, one a line, against WANT (a line each,
# | between them); the inputs are the INPUT_* variables of the command's environment.
expect() {
	local name=$1 want got
	want=$(tr '|' '\n' <<<"$2")
	got=$(cat "$tmp/args")
	if [[ $got != "$want" ]]; then
		echo "FAIL $name: loadtest got"
		echo "    ${got//$'\n'/$'\n    '}"
		echo "  want"
		echo "    ${want//$'\n'/$'\n    '}"
		failed=1
	fi
	rm -f "$tmp/args"
}
run() { env -i PATH="$tmp/bin:$PATH" FAKE_ARGS="$tmp/args" "$@" "$action" run; }

run INPUT_WORKLOAD=deployment/hello INPUT_TARGETS=http://127.0.0.1:30080/
expect "the required inputs alone" \
	"matrix|--platform|kube|--workload|deployment/hello|--scenarios|rollout-restart|--rate|100|--out|scalelab-runs|--junit|scalelab-runs/junit.xml|--target|http://127.0.0.1:30080/"

run INPUT_WORKLOAD=statefulset/db INPUT_SCENARIOS=scale-down,evict INPUT_RATE=50 INPUT_OUT=/tmp/o \
	INPUT_TARGETS=$'  service=http://127.0.0.1:30080/\r\n\n  ingress=http://127.0.0.1:30081/  \n'
expect "targets a line each, trimmed, blank lines skipped" \
	"matrix|--platform|kube|--workload|statefulset/db|--scenarios|scale-down,evict|--rate|50|--out|/tmp/o|--junit|/tmp/o/junit.xml|--target|service=http://127.0.0.1:30080/|--target|ingress=http://127.0.0.1:30081/"

run INPUT_WORKLOAD=deployment/hello INPUT_TARGETS=http://x/ INPUT_TRIALS=5 INPUT_NAMESPACE=shop \
	INPUT_HEADER='Host: shop.example' INPUT_BUDGET=502=0,timeout=0 INPUT_TIMEOUT=3s INPUT_MAX_FAILED=2 \
	INPUT_MIN_SUCCESS=0.999 INPUT_MAX_P99=1500ms INPUT_MIN_RATE=0.9 INPUT_KUBECONFIG=/k/config INPUT_CONTEXT=kind-x
expect "every optional input, each its flag" \
	"matrix|--platform|kube|--workload|deployment/hello|--scenarios|rollout-restart|--rate|100|--out|scalelab-runs|--junit|scalelab-runs/junit.xml|--target|http://x/|--trials|5|--namespace|shop|--header|Host: shop.example|--budget|502=0,timeout=0|--timeout|3s|--max-failed|2|--min-success|0.999|--max-p99|1500ms|--min-rate|0.9|--kubeconfig|/k/config|--context|kind-x"

run INPUT_WORKLOAD=deployment/hello INPUT_TARGETS=http://x/ INPUT_MAX_FAILED=-1 INPUT_TRIALS=
expect "an empty input is left to loadtest's default; -1 passes" \
	"matrix|--platform|kube|--workload|deployment/hello|--scenarios|rollout-restart|--rate|100|--out|scalelab-runs|--junit|scalelab-runs/junit.xml|--target|http://x/|--max-failed|-1"

for bad in "INPUT_TARGETS=http://x/" "INPUT_WORKLOAD=deployment/hello INPUT_TARGETS=$'\n  \n'"; do
	# shellcheck disable=SC2086 # the words are the assignments
	if eval run $bad 2>/dev/null; then
		echo "FAIL a missing required input ($bad) ran loadtest"
		failed=1
	fi
	if [[ -e $tmp/args ]]; then
		echo "FAIL a missing required input ($bad) reached loadtest"
		failed=1
	fi
done

# The artifact's name: unique for each scalelab step in a job, and across a matrix's jobs.
names() { env -i RUNNER_TEMP="$tmp/runner" GITHUB_JOB=gate "$@" "$action" artifact; }
mkdir "$tmp/runner"
got="$(names) $(names) $(names INPUT_ARTIFACT=mine) $(names INPUT_ARTIFACT=mine)"
if [[ $got != "scalelab-gate scalelab-gate-2 mine mine-2" ]]; then
	echo "FAIL artifact names in one job: $got"
	failed=1
fi
rm -rf "$tmp/runner" && mkdir "$tmp/runner"
got="$(names JOB_INDEX=1 JOB_TOTAL=3) $(names JOB_INDEX=0 JOB_TOTAL=1 GITHUB_RUN_ATTEMPT=2)"
if [[ $got != "scalelab-gate-m1 scalelab-gate-attempt2" ]]; then
	echo "FAIL artifact names in a matrix job and a re-run: $got"
	failed=1
fi

# The step summary and the outcome: a matrix.md's, or INVALID when there is none.
summary() { env -i GITHUB_STEP_SUMMARY="$tmp/summary" INPUT_OUT="$tmp/out" "$action" summary; }
mkdir "$tmp/out"
for o in PASS FAIL INVALID; do
	printf '# scalelab matrix: kube\n\n**%s: …**\n' "$o" >"$tmp/out/matrix.md"
	: >"$tmp/summary"
	got=$(summary)
	if [[ $got != "outcome=$o" ]] || ! grep -q "^\*\*$o" "$tmp/summary"; then
		echo "FAIL summary of a $o matrix: $got"
		failed=1
	fi
done
rm "$tmp/out/matrix.md"
: >"$tmp/summary"
got=$(summary)
if [[ $got != outcome=INVALID ]] || ! grep -q '^# scalelab: INVALID' "$tmp/summary"; then
	echo "FAIL summary without matrix.md (a cancelled job): $got, $(cat "$tmp/summary")"
	failed=1
fi

if [[ $failed == 0 ]]; then echo "ok   .github/scalelab-action.sh: arguments, artifact names, summaries"; fi
exit $failed
