// Command cairn is a self-hosted git forge in one binary: a GitLab-compatible API, git over
// HTTP, and web pages over SQLite and bare repositories in one data directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `cairn is a self-hosted git forge in one binary.

Usage:
  cairn serve [flags]                 run the server
  cairn admin user create [flags]     create a user in a data directory
  cairn admin user unlock [flags]     lift the lock failed passwords put on an account
  cairn admin token create [flags]    issue a personal access token
  cairn admin repo gc [PROJECT]       repack repositories and update their commit-graphs
  cairn version                       print the version

Run "cairn <command> --help" for a command's flags. Every flag can also be set
with an environment variable CAIRN_<FLAG> (for example CAIRN_DATA_DIR).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "cairn:", err)
			os.Exit(1)
		}
	}
}

// run executes one command line; it is main without the process around it, for tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "admin":
		return admin(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "cairn", version)
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// parseFlags parses args into fs, then fills every flag not given on the command line from
// its CAIRN_<NAME> environment variable.
func parseFlags(fs *flag.FlagSet, args []string) error {
	rest, err := parseFlagsAndArgs(fs, args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	}
	return err
}

// parseFlagsAndArgs is parseFlags for commands that take arguments besides flags, before
// or after them; it returns the arguments.
func parseFlagsAndArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return rest, fillFromEnvironment(fs)
}

// fillFromEnvironment sets every flag not given on the command line from its
// CAIRN_<NAME> environment variable.
func fillFromEnvironment(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		env := "CAIRN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s: %w", env, serr)
			}
		}
	})
	return err
}

// newFlagSet returns a flag set that prints its usage on --help and reports errors quietly.
func newFlagSet(name, synopsis string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: %s\n\nFlags (each also read from CAIRN_<FLAG>):\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
