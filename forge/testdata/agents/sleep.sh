#!/bin/sh
# An external agent for the tests that says it started, then sleeps (and so does a child it
# starts) until it is stopped.
echo started
sleep 60 &
echo "child $!"
sleep 60
