#!/bin/sh
# An external agent for the tests that fails.
echo "something went wrong" >&2
exit 3
