package forge

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/cairn-forge/cairn/db"
	"golang.org/x/crypto/bcrypt"
)

// UserInput carries the fields of a user to create or change; nil means "not given".
type UserInput struct {
	Username       *string
	Email          *string
	Name           *string
	Password       *string
	Admin          *bool
	External       *bool
	CanCreateGroup *bool
	Bio            *string
	ProjectsLimit  *int
	Plan           *string
	RatePerMinute  *int
	RateBurst      *int
	// PasswordRequired refuses a user without a Password instead of giving them a random
	// one, as GitLab's API does unless asked for a random password.
	PasswordRequired bool
}

// UserView is a user as one actor may see them. What only the user and administrators see
// (email, administrator flag, plan, rate limits, failed sign-ins) is zero unless
// SeesPrivate. No User carries the password hash: it never leaves forge.
type UserView struct {
	User
	// SeesPrivate: the actor is the user or an administrator, so the private fields are kept.
	SeesPrivate bool
	// CanEdit: the actor may change the user (UpdateUser): it is the user or an
	// administrator, with a token that may write.
	CanEdit bool
}

// viewUser returns u as actor a may see it.
func viewUser(a *Actor, u User) UserView {
	self := a.SignedIn() && a.User.ID == u.ID
	v := UserView{
		User:        u,
		SeesPrivate: self || a.IsAdmin(),
		CanEdit:     (self || a.IsAdmin()) && a.Require(NeedWrite) == nil,
	}
	if !v.SeesPrivate {
		v.Email = ""
		v.IsAdmin = false
		v.Plan = ""
		v.RatePerMinute, v.RateBurst = 0, 0
		v.FailedAttempts = 0
	}
	return v
}

// Rate-limit plans of the .git dialect; enterprise limits are set per user by an admin.
const (
	PlanStarter    = "starter"
	PlanPro        = "pro"
	PlanEnterprise = "enterprise"
)

// Page selects one page of a list: Page counts from 1.
type Page struct {
	Page    int
	PerPage int
}

func (p Page) limit() int  { return p.PerPage }
func (p Page) offset() int { return (p.Page - 1) * p.PerPage }

// pageOf returns page pg of a list held whole, never nil.
func pageOf[T any](list []T, pg Page) []T {
	lo := min(max(pg.offset(), 0), len(list))
	hi := len(list)
	if pg.limit() > 0 {
		hi = min(lo+pg.limit(), len(list))
	}
	return append([]T{}, list[lo:hi]...)
}

// System is the actor of the command line and of the server's own bootstrap: an
// administrator who is no user.
func System() *Actor {
	return &Actor{User: &User{Username: "system", IsAdmin: true, State: "active"}}
}

// CreateUser makes a user and their personal namespace. Only administrators may, and only
// they learn what is missing.
func (s *Accounts) CreateUser(ctx context.Context, a *Actor, in UserInput) (UserView, error) {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return UserView{}, err
	}
	if in.PasswordRequired && in.Password == nil {
		return UserView{}, Missing("password")
	}
	var missing []string
	for _, f := range []struct {
		name string
		v    *string
	}{{"email", in.Email}, {"name", in.Name}, {"username", in.Username}} {
		if f.v == nil || strings.TrimSpace(*f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return UserView{}, Missing(missing...)
	}
	now := s.Now()
	u := User{State: "active", CanCreateGroup: true, ProjectsLimit: 100000, CreatedAt: now, UpdatedAt: now}
	password := ""
	if in.Password == nil || *in.Password == "" {
		password = s.randomSecret(24)
		in.Password = &password
	}
	passwordHash, err := s.applyUserInput(&u, in)
	if err != nil {
		return UserView{}, err
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if err := checkUserUnique(ctx, tx, u); err != nil {
			return err
		}
		id, err := insertUser(ctx, tx, u, passwordHash)
		u.ID = id
		return takenAs(err, "username")
	})
	if err != nil {
		return UserView{}, err
	}
	s.audit(ctx, a, "user_created", "user", u.ID, u.Username)
	created, err := db.UserByID(ctx, s.db.Read, u.ID)
	if err != nil {
		return UserView{}, err
	}
	return viewUser(a, created), nil
}

// UpdateUser changes a user. Administrators may change anyone; users may change their own
// name, email, bio and password. A new password ends the user's other sessions.
func (s *Accounts) UpdateUser(ctx context.Context, a *Actor, id int64, in UserInput) (UserView, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return UserView{}, err
	}
	if !a.IsAdmin() {
		if a.User.ID != id {
			return UserView{}, Forbidden()
		}
		if in.Admin != nil || in.External != nil || in.CanCreateGroup != nil || in.ProjectsLimit != nil ||
			in.Plan != nil || in.RatePerMinute != nil || in.RateBurst != nil || in.Username != nil {
			return UserView{}, Forbidden()
		}
	}
	if in.Password != nil {
		// A new instance hashes root's first password once it is ready: a password set
		// before has it hashed now and waits for it, so that it is not overwritten by it.
		s.ready()
		s.passwords.RLock()
		defer s.passwords.RUnlock()
	}
	var out User
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		u, err := db.UserByID(ctx, tx, id)
		if err != nil {
			return notFoundAs(err, ResourceUser)
		}
		oldUsername, oldName := u.Username, u.Name
		passwordHash, err := s.applyUserInput(&u, in)
		if err != nil {
			return err
		}
		if err := checkUserUnique(ctx, tx, u); err != nil {
			return err
		}
		u.UpdatedAt = s.Now()
		if err := db.UpdateUser(ctx, tx, u); err != nil {
			return takenAs(err, "username")
		}
		if in.Password != nil {
			if err := db.SetPasswordHash(ctx, tx, id, passwordHash); err != nil {
				return err
			}
			// Whoever held a session on the old password loses it; the browser making the
			// change keeps its own.
			var keep []byte
			if a.User.ID == id && a.Sudoer == nil {
				keep = a.session
			}
			if err := db.DeleteUserSessions(ctx, tx, id, keep); err != nil {
				return err
			}
		}
		if u.Username != oldUsername || u.Name != oldName {
			ns, err := db.NamespaceByID(ctx, tx, u.NamespaceID)
			if err != nil {
				return err
			}
			ns.Path, ns.FullPath, ns.Name, ns.FullName, ns.UpdatedAt = u.Username, u.Username, u.Name, u.Name, u.UpdatedAt
			if err := db.UpdateNamespace(ctx, tx, ns); err != nil {
				return takenAs(err, "username")
			}
		}
		out = u
		return nil
	})
	if err != nil {
		return UserView{}, err
	}
	if in.Password != nil {
		s.audit(ctx, a, "password_changed", "user", id, "other sessions ended")
	}
	return viewUser(a, out), nil
}

// applyUserInput validates in and copies it onto u. It returns the hash of in.Password, ""
// when in has none.
func (s *Service) applyUserInput(u *User, in UserInput) (passwordHash string, err error) {
	fe := FieldErrors{}
	if in.Username != nil {
		if msg := ValidateTopLevelPath(*in.Username); msg != "" {
			fe.Add("username", msg)
		}
		u.Username = *in.Username
	}
	if in.Email != nil {
		e := strings.TrimSpace(*in.Email)
		if at := strings.IndexByte(e, '@'); at < 1 || at == len(e)-1 || strings.IndexFunc(e, unicode.IsSpace) >= 0 ||
			strings.IndexFunc(e, unicode.IsControl) >= 0 {
			fe.Add("email", "is invalid")
		} else {
			checkText(fe, "email", e, limitName)
		}
		u.Email = e
	}
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" {
			fe.Add("name", "can't be blank")
		} else {
			checkText(fe, "name", n, limitName)
		}
		u.Name = n
	}
	if in.Bio != nil {
		checkText(fe, "bio", *in.Bio, limitShortDescription)
		u.Bio = *in.Bio
	}
	if in.Password != nil {
		if len(*in.Password) < 8 {
			fe.Add("password", "is too short (minimum is 8 characters)")
		} else if len(*in.Password) > 128 {
			fe.Add("password", "is too long (maximum is 128 characters)")
		}
	}
	if in.Plan != nil {
		switch p := strings.ToLower(*in.Plan); p {
		case "", PlanStarter, PlanPro, PlanEnterprise:
			u.Plan = p
		default:
			fe.Add("plan", "must be one of starter, pro, enterprise")
		}
	}
	for _, f := range []struct {
		name string
		v    *int
		dst  *int
	}{{"projects_limit", in.ProjectsLimit, &u.ProjectsLimit},
		{"rate_limit_per_minute", in.RatePerMinute, &u.RatePerMinute},
		{"rate_limit_burst", in.RateBurst, &u.RateBurst}} {
		if f.v != nil {
			if *f.v < 0 {
				fe.Add(f.name, "must be greater than or equal to 0")
			}
			*f.dst = *f.v
		}
	}
	if in.Admin != nil {
		u.IsAdmin = *in.Admin
	}
	if in.External != nil {
		u.External = *in.External
	}
	if in.CanCreateGroup != nil {
		u.CanCreateGroup = *in.CanCreateGroup
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	if in.Password == nil {
		return "", nil
	}
	return s.hashPassword(*in.Password)
}

// insertUser stores a new user with their personal namespace, and returns the user's id.
// passwordHash is "" for a user who cannot sign in with a password.
func insertUser(ctx context.Context, tx *sql.Tx, u User, passwordHash string) (int64, error) {
	id, err := db.InsertUser(ctx, tx, u, passwordHash)
	if err != nil {
		return 0, err
	}
	_, err = db.InsertNamespace(ctx, tx, Namespace{
		Kind:       "user",
		Name:       u.Name,
		Path:       u.Username,
		FullPath:   u.Username,
		FullName:   u.Name,
		OwnerID:    id,
		Visibility: Public,
		CreatedAt:  u.CreatedAt,
		UpdatedAt:  u.CreatedAt,
	})
	return id, err
}

// checkUserUnique refuses a username or email another user or a group already has.
func checkUserUnique(ctx context.Context, q db.Querier, u User) error {
	if other, err := db.UserByUsername(ctx, q, u.Username); err == nil && other.ID != u.ID {
		return Conflictf("Username has already been taken")
	}
	if ns, err := db.NamespaceByPath(ctx, q, u.Username); err == nil && (ns.Kind != "user" || ns.OwnerID != u.ID) {
		return Conflictf("Username has already been taken")
	}
	if other, err := db.UserByEmail(ctx, q, u.Email); err == nil && other.ID != u.ID {
		return Conflictf("Email has already been taken")
	}
	return nil
}

// GetUser returns a user to a signed-in caller.
func (s *Accounts) GetUser(ctx context.Context, a *Actor, id int64) (UserView, error) {
	if !a.SignedIn() {
		return UserView{}, Forbiddenf("Not authorized!")
	}
	if err := a.Require(NeedReadUser); err != nil {
		return UserView{}, err
	}
	u, err := db.UserByID(ctx, s.db.Read, id)
	if err != nil {
		return UserView{}, notFoundAs(err, ResourceUser)
	}
	return viewUser(a, u), nil
}

// CurrentUser returns the caller.
func (s *Accounts) CurrentUser(ctx context.Context, a *Actor) (UserView, error) {
	if err := a.requireUser(NeedReadUser); err != nil {
		return UserView{}, err
	}
	return viewUser(a, *a.User), nil
}

// UserByRef finds a user by id or username, for callers who may read users.
func (s *Accounts) UserByRef(ctx context.Context, a *Actor, ref Ref) (User, error) {
	if err := a.Require(NeedReadUser); err != nil {
		return User{}, err
	}
	var u User
	var err error
	if id, ok := ref.ID(); ok {
		u, err = db.UserByID(ctx, s.db.Read, id)
	} else {
		u, err = db.UserByUsername(ctx, s.db.Read, ref.String())
	}
	return u, notFoundAs(err, ResourceUser)
}

// UserListOptions filter the user list.
type UserListOptions struct {
	Username string
	Search   string
	Active   bool
	Blocked  bool
	Admins   *bool
	External *bool
	OrderBy  string
	Desc     bool
}

// ListUsers lists users. Anonymous callers may only look a username up.
func (s *Accounts) ListUsers(ctx context.Context, a *Actor, o UserListOptions, pg Page) ([]UserView, int, error) {
	if !a.SignedIn() && o.Username == "" {
		return nil, 0, Forbiddenf("Not authorized to access /api/v4/users")
	}
	if err := a.Require(NeedReadUser); err != nil {
		return nil, 0, err
	}
	f := db.UserFilter{
		Username: o.Username,
		Search:   o.Search,
		OrderBy:  o.OrderBy,
		Desc:     o.Desc,
		Limit:    pg.limit(),
		Offset:   pg.offset(),
	}
	switch {
	case o.Blocked:
		f.State = "blocked"
	case o.Active:
		f.State = "active"
	}
	if a.IsAdmin() {
		f.Admins, f.External = o.Admins, o.External
	}
	users, total, err := db.ListUsers(ctx, s.db.Read, f)
	if err != nil {
		return nil, 0, err
	}
	views := make([]UserView, len(users))
	for i, u := range users {
		views[i] = viewUser(a, u)
	}
	return views, total, nil
}

// SetUserBlocked blocks or unblocks a user; only administrators may, and not themselves.
// It reports whether the state changed.
func (s *Accounts) SetUserBlocked(ctx context.Context, a *Actor, id int64, blocked bool) (bool, error) {
	if err := a.requireAdmin(NeedWrite); err != nil {
		return false, err
	}
	if a.User.ID == id && blocked {
		return false, Forbiddenf("The API initiating user cannot be blocked by the API")
	}
	changed := false
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		u, err := db.UserByID(ctx, tx, id)
		if err != nil {
			return notFoundAs(err, ResourceUser)
		}
		state := "active"
		if blocked {
			state = "blocked"
		}
		if !blocked {
			// The Ghost User only stands in for deleted users; it never signs in.
			ghost, err := ghostUserID(ctx, tx)
			if err != nil {
				return err
			}
			if ghost == id {
				return Forbiddenf("Could not unblock internal user")
			}
		}
		if u.State == state {
			return nil
		}
		u.State, u.UpdatedAt, changed = state, s.Now(), true
		if blocked {
			if err := db.DeleteUserSessions(ctx, tx, id, nil); err != nil {
				return err
			}
		}
		return db.UpdateUser(ctx, tx, u)
	})
	if err != nil {
		return false, err
	}
	if changed {
		action := "user_unblocked"
		if blocked {
			action = "user_blocked"
		}
		s.audit(ctx, a, action, "user", id, "")
	}
	return changed, nil
}

// VerifyPassword checks a username-or-email and password; failures are audited and counted
// against the account, which they lock at MaxFailedSignIns (see SignInLocked).
func (s *Accounts) VerifyPassword(ctx context.Context, login, password, ip string) (User, error) {
	s.ready() // a first start's root password, if still to hash, is hashed now
	s.passwords.RLock()
	defer s.passwords.RUnlock()
	u, err := db.UserByUsername(ctx, s.db.Read, login)
	if errors.Is(err, db.ErrNotFound) {
		u, err = db.UserByEmail(ctx, s.db.Read, login)
	}
	found := err == nil
	var own string
	if found {
		if own, err = db.PasswordHash(ctx, s.db.Read, u.ID); err != nil {
			return User{}, err
		}
	}
	// A locked account is compared like one that cannot sign in: the answer, and how long
	// it takes, are a wrong password's.
	hash, usable := s.signInHash(u, own, found && !s.SignInLocked(u))
	// The comparison runs whether or not the login can sign in: how long a failure takes must
	// not tell whether an account exists.
	matched := checkPassword(hash, password)
	if usable && matched {
		if err := s.clearFailedSignIns(ctx, u, ip); err != nil {
			return User{}, err
		}
		return u, nil
	}
	s.audit(ctx, Anonymous(ip), "sign_in_failed", "user", u.ID, login)
	if found {
		if err := s.recordFailedSignIn(ctx, u.ID, ip); err != nil {
			return User{}, err
		}
	}
	return User{}, Unauthorized("")
}

// signInHash returns the hash a sign-in as u, whose password hashes to own, compares its
// password with, and whether a match signs u in. A login that cannot sign in (no such user,
// blocked, without a password) gets unusableHash at the cost of the instance's own hashes, so
// that it costs as much to check.
func (s *Service) signInHash(u User, own string, found bool) (hash string, usable bool) {
	if found && u.State == "active" && own != "" {
		return own, true
	}
	cost := s.cfg.PasswordCost
	if cost < bcrypt.MinCost {
		cost = bcrypt.DefaultCost // as bcrypt.GenerateFromPassword does
	}
	return fmt.Sprintf("$2a$%02d$%s", cost, unusableHash), false
}

// unusableHash is the salt and digest of a bcrypt hash of a random password that was thrown
// away, for signInHash to put behind a cost.
const unusableHash = "9xk./kLqEVVC5jvG0GOyYex9tfkc7oRayJJmtRqBAAoStVogVdPu."

// RandomPassword returns a new random password for a user who was given none.
func RandomPassword() string {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		panic("forge: random source failed: " + err.Error())
	}
	return secretEncoding.EncodeToString(b)
}

// ChangePassword sets the actor's own password to next, given its current one: a session
// left open must not let someone else lock its owner out. A wrong current password is
// unauthorized, and audited as a failed sign-in.
func (s *Accounts) ChangePassword(ctx context.Context, a *Actor, current, next, ip string) error {
	if err := a.requireUser(NeedWrite); err != nil {
		return err
	}
	if _, err := s.VerifyPassword(ctx, a.User.Username, current, ip); err != nil {
		return err
	}
	_, err := s.UpdateUser(ctx, a, a.User.ID, UserInput{Password: &next})
	return err
}
