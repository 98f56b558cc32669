#!/usr/bin/env bash
# The shell logic of action.yml, the scalelab GitHub Action, in one place it can be run and
# tested outside a runner (.github/scalelab-action-test.sh runs it with a fake loadtest).
# Every input comes in an environment variable, INPUT_NAME in capitals with - as _ (as
# action.yml's env: blocks set them):
#
#   scalelab-action.sh args       print the loadtest command line, one argument a line
#   scalelab-action.sh run        run it: exec "$LOADTEST" (default: loadtest on PATH)
#   scalelab-action.sh artifact   print the artifact's name, unique in the job and across a matrix's jobs
#   scalelab-action.sh summary    append matrix.md to $GITHUB_STEP_SUMMARY (or say why there is none)
#                                 and print outcome=PASS|FAIL|INVALID for $GITHUB_OUTPUT
set -euo pipefail

args() {
	local a=(matrix --platform kube --workload "${INPUT_WORKLOAD:?the input workload is required}")
	if [[ -z ${INPUT_TARGETS//[[:space:]]/} ]]; then
		echo "scalelab-action: the input targets is required: one [NAME=]URL a line" >&2
		return 2
	fi
	a+=(--scenarios "${INPUT_SCENARIOS:-rollout-restart}" --rate "${INPUT_RATE:-100}")
	a+=(--out "${INPUT_OUT:-scalelab-runs}" --junit "${INPUT_OUT:-scalelab-runs}/junit.xml")
	local t
	while IFS= read -r t; do
		t=${t#"${t%%[![:space:]]*}"} # trim, as a YAML block leaves indents and \r alone
		t=${t%"${t##*[![:space:]]}"}
		if [[ -n $t ]]; then a+=(--target "$t"); fi
	done <<<"$INPUT_TARGETS"
	# Each optional input becomes its flag only when set: loadtest's own default otherwise
	# (trials: 3 on a cluster; timeout: the request delay + 10 s; max-failed: 0, ...).
	local flag var
	for flag in trials namespace header budget timeout max-failed min-success max-p99 min-rate kubeconfig context; do
		var=INPUT_${flag//-/_}
		var=${var^^}
		if [[ -n ${!var:-} ]]; then a+=("--$flag" "${!var}"); fi
	done
	printf '%s\n' "${a[@]}"
}

run() {
	local a lines
	lines=$(args) || exit
	mapfile -t a <<<"$lines"
	# exec: a cancel's SIGINT reaches loadtest itself, which writes matrix.md as INVALID.
	exec "${LOADTEST:-loadtest}" "${a[@]}"
}

# artifact: INPUT_ARTIFACT if set, else scalelab-JOB, with -N for the N-th scalelab step of
# the job (counted in $RUNNER_TEMP, which the runner empties at each job's start), -mINDEX in
# a matrix job (JOB_INDEX and JOB_TOTAL: strategy.job-index and strategy.job-total) and
# -attemptN on a re-run: upload-artifact v4 refuses a name twice in a run.
artifact() {
	local name=${INPUT_ARTIFACT:-}
	if [[ -z $name ]]; then
		name=scalelab-${GITHUB_JOB:-job}
		if [[ ${JOB_TOTAL:-1} -gt 1 ]]; then name+=-m${JOB_INDEX:-0}; fi
		if [[ ${GITHUB_RUN_ATTEMPT:-1} -gt 1 ]]; then name+=-attempt$GITHUB_RUN_ATTEMPT; fi
	fi
	local seen=${RUNNER_TEMP:-/tmp}/scalelab-artifacts base=$name n=1
	touch "$seen"
	while grep -qxF -- "$name" "$seen"; do
		n=$((n + 1))
		name=$base-$n
	done
	echo "$name" >>"$seen"
	echo "$name"
}

# summary: matrix.md's first bold line names the outcome; no matrix.md means loadtest never
# got to write one (bad input, the build failed, the job was cancelled before it ran): the
# step summary says INVALID then, never nothing, so a cancelled job cannot read as a PASS.
summary() {
	local out=${INPUT_OUT:-scalelab-runs} outcome=INVALID
	local md=$out/matrix.md sum=${GITHUB_STEP_SUMMARY:-/dev/stdout}
	if [[ -f $md ]]; then
		cat "$md" >>"$sum"
		case $(grep -m1 '^\*\*' "$md" || true) in
		'**PASS'*) outcome=PASS ;;
		'**FAIL'*) outcome=FAIL ;;
		esac
	else
		printf '# scalelab: INVALID\n\nNo %s was written: loadtest did not run to a report (bad input, a failed build, or the job was cancelled). See the step log.\n' "$md" >>"$sum"
	fi
	echo "outcome=$outcome"
}

case ${1:-} in
args | run | artifact | summary) "$1" ;;
*)
	echo "usage: $0 args|run|artifact|summary (inputs in INPUT_* variables)" >&2
	exit 2
	;;
esac
