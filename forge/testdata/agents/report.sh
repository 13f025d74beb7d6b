#!/bin/sh
# An external agent for the tests: it reads its parameters from standard input, streams log
# lines and findings on standard output in cairn's JSON-lines protocol, and ends with a
# result. It finds the TODO lines of the checkout it runs in.
params=$(cat)
echo '{"type": "log", "message": "report agent on '"$CAIRN_PROJECT_PATH"' at '"$CAIRN_REF"'"}'
echo "params on stdin: $params"
echo "greeting parameter: $CAIRN_PARAM_GREETING"
echo "stderr works too" >&2
n=0
for f in $(ls | sort); do
  [ -f "$f" ] || continue
  grep -n TODO "$f" | while IFS=: read -r line rest; do
    echo '{"type": "finding", "path": "'"$f"'", "line": '"$line"', "severity": "warning", "rule": "todo", "message": "TODO left in the code"}'
  done
done
echo '{"type": "result", "result": {"checked": true}}'
