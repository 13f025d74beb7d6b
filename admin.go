package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/server"
)

const adminUsage = `Usage:
  cairn admin user create --username U --email E [--name N] [--password P] [--admin]
  cairn admin user unlock --username U
  cairn admin token create --username U [--name N] [--scopes api,...] [--expires YYYY-MM-DD|never]
                           [--allow-permanent-tokens]
  cairn admin repo gc [PROJECT]   (a path such as group/project, or an id; every repository when none)

Admin commands work on the data directory directly; the server need not be running.
`

func admin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, adminUsage)
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return errors.New("admin needs a subject and an action")
	}
	switch args[0] + " " + args[1] {
	case "user create":
		return adminUserCreate(ctx, args[2:], stdout, stderr)
	case "user unlock":
		return adminUserUnlock(ctx, args[2:], stdout, stderr)
	case "token create":
		return adminTokenCreate(ctx, args[2:], stdout, stderr)
	case "repo gc":
		return adminRepoGC(ctx, args[2:], stdout, stderr)
	}
	fmt.Fprint(stderr, adminUsage)
	return fmt.Errorf("unknown admin command %q", args[0]+" "+args[1])
}

// openForge opens a data directory's forge for an admin command.
func openForge(ctx context.Context, dir string, cfg forge.Config) (*forge.Service, func(), error) {
	d, _, f, err := server.OpenData(ctx, dir, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close(); d.Close() }, nil
}

// openForUser opens a data directory's forge and finds the user an admin command names.
func openForUser(ctx context.Context, dir string, cfg forge.Config, username string) (*forge.Service,
	forge.User, func(), error) {
	f, done, err := openForge(ctx, dir, cfg)
	if err != nil {
		return nil, forge.User{}, nil, err
	}
	u, err := f.Accounts.UserByRef(ctx, forge.System(), forge.ParseRef(username))
	if err != nil {
		done()
		return nil, forge.User{}, nil, describe(err)
	}
	return f, u, done, nil
}

func adminUserCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin user create", "cairn admin user create [flags]", stderr)
	dir := fs.String("data-dir", "./cairn-data", "data directory")
	username := fs.String("username", "", "username (required)")
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name (default: the username)")
	password := fs.String("password", "", "password (default: generated and printed)")
	isAdmin := fs.Bool("admin", false, "make the user an administrator")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" || *email == "" {
		fs.Usage()
		return errors.New("--username and --email are required")
	}
	if *name == "" {
		*name = *username
	}
	f, done, err := openForge(ctx, *dir, forge.Config{})
	if err != nil {
		return err
	}
	defer done()
	in := forge.UserInput{Username: username, Email: email, Name: name, Admin: isAdmin}
	generated := ""
	if *password == "" {
		generated = forge.RandomPassword()
		in.Password = &generated
	} else {
		in.Password = password
	}
	u, err := f.Accounts.CreateUser(ctx, forge.System(), in)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "created user %s (id %d)\n", u.Username, u.ID)
	if generated != "" {
		fmt.Fprintf(stdout, "password: %s\n", generated)
	}
	return nil
}

// adminUserUnlock lifts the lock that failed passwords put on an account.
func adminUserUnlock(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin user unlock", "cairn admin user unlock [flags]", stderr)
	dir := fs.String("data-dir", "./cairn-data", "data directory")
	username := fs.String("username", "", "the user to unlock (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" {
		fs.Usage()
		return errors.New("--username is required")
	}
	f, u, done, err := openForUser(ctx, *dir, forge.Config{}, *username)
	if err != nil {
		return err
	}
	defer done()
	was, err := f.Accounts.UnlockUser(ctx, forge.System(), u.ID)
	if err != nil {
		return describe(err)
	}
	if was {
		fmt.Fprintf(stdout, "unlocked user %s\n", u.Username)
	} else {
		fmt.Fprintf(stdout, "user %s was not locked\n", u.Username)
	}
	return nil
}

func adminTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin token create", "cairn admin token create [flags]", stderr)
	dir := fs.String("data-dir", "./cairn-data", "data directory")
	username := fs.String("username", "", "the token's user (required)")
	name := fs.String("name", "", "the token's name (default: token-<today's date>)")
	scopes := fs.String("scopes", "api", "comma-separated scopes: "+fmt.Sprint(forge.AllScopes))
	expires := fs.String("expires", "", "expiry date YYYY-MM-DD, or never (default: 30 days)")
	fs.StringVar(expires, "expires-at", "", "the same as --expires")
	allowPermanent := fs.Bool("allow-permanent-tokens", false,
		"the instance allows tokens without an expiry date, as serve's flag of that name says")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" {
		fs.Usage()
		return errors.New("--username is required")
	}
	sc, err := scopeList(*scopes)
	if err != nil {
		return err
	}
	in := forge.TokenInput{Name: *name, Scopes: sc}
	switch *expires {
	case "":
	case "never":
		if !*allowPermanent {
			return errors.New("--expires never: this instance does not allow permanent tokens " +
				"(give --allow-permanent-tokens, or CAIRN_ALLOW_PERMANENT_TOKENS=true, here as to cairn serve)")
		}
		in.Permanent = true
	default:
		t, err := time.Parse("2006-01-02", *expires)
		if err != nil {
			return fmt.Errorf("--expires: %q is neither a date YYYY-MM-DD nor never", *expires)
		}
		in.ExpiresAt = &t
	}
	f, u, done, err := openForUser(ctx, *dir, forge.Config{AllowPermanentTokens: *allowPermanent}, *username)
	if err != nil {
		return err
	}
	defer done()
	_, secret, err := f.Access.CreateToken(ctx, forge.System(), u.ID, in)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintln(stdout, secret)
	return nil
}

// adminRepoGC repacks the repository of one project, or of every project, into one pack
// with a reachability bitmap and brings its commit-graph up to date: what the server does
// in the background after pushes, on demand. It is safe while the server runs.
func adminRepoGC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin repo gc", "cairn admin repo gc [flags] [PROJECT]", stderr)
	dir := fs.String("data-dir", "./cairn-data", "data directory")
	rest, err := parseFlagsAndArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", rest[1])
	}
	d, repos, f, err := server.OpenData(ctx, *dir, forge.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer func() { f.Close(); d.Close() }()
	type target struct {
		id   int64
		name string
	}
	var targets []target
	if len(rest) == 1 {
		v, err := f.Projects.ProjectByRef(ctx, forge.System(), forge.ParseRef(rest[0]))
		if err != nil {
			return describe(err)
		}
		targets = append(targets, target{v.ID, v.FullPath()})
	} else {
		ids, err := repos.IDs()
		if err != nil {
			return err
		}
		for _, id := range ids {
			name := fmt.Sprintf("repository %d", id)
			if v, err := f.Projects.ProjectByRef(ctx, forge.System(), forge.ID(id)); err == nil {
				name = v.FullPath()
			}
			targets = append(targets, target{id, name})
		}
	}
	failed := 0
	for _, t := range targets {
		st, err := repos.GC(ctx, t.id)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", t.name, err)
			failed++
			continue
		}
		what := "already in one pack with a bitmap"
		if st.Repacked {
			what = fmt.Sprintf("%d packs and %d loose objects into one pack of %d objects", st.PacksBefore,
				st.LooseRemoved, st.Objects)
		}
		fmt.Fprintf(stdout, "%s: %s; commit-graph of %d commits\n", t.name, what, st.Commits)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d repositories failed", failed, len(targets))
	}
	return nil
}

// describe turns a forge error into a sentence for the command line.
func describe(err error) error {
	fe := forge.ErrorOf(err)
	if fe.Code == forge.EInternal {
		return err
	}
	if len(fe.Fields) > 0 {
		return errors.New(fe.FieldSummary())
	}
	return errors.New(fe.Detail())
}
