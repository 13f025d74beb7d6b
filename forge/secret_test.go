package forge_test

import (
	"bytes"
	"reflect"
	"regexp"
	"strconv"
	"testing"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge"
)

// secretName matches the names of fields that would hold a secret.
var secretName = regexp.MustCompile(`(?i)hash|digest|password|secret|salt`)

// secretFields lists the fields of t, at any depth (embedded, pointed to, in slices and maps),
// whose names say they hold a secret.
func secretFields(t reflect.Type) []string {
	var found []string
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			walk(t.Elem(), path)
			return
		case reflect.Struct:
		default:
			return
		}
		if seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			if secretName.MatchString(f.Name) {
				found = append(found, path+f.Name)
			}
			walk(f.Type, path+f.Name+".")
		}
	}
	walk(t, t.Name()+".")
	return found
}

// holds reports whether v, at any depth, has a string or byte slice equal to secret.
func holds(v reflect.Value, secret []byte) bool {
	switch v.Kind() {
	case reflect.String:
		return v.String() == string(secret)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return bytes.Equal(v.Bytes(), secret)
		}
		fallthrough
	case reflect.Array:
		for i := range v.Len() {
			if holds(v.Index(i), secret) {
				return true
			}
		}
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && holds(v.Elem(), secret)
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if holds(it.Key(), secret) || holds(it.Value(), secret) {
				return true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if holds(v.Field(i), secret) {
				return true
			}
		}
	}
	return false
}

// TestUserByRefCarriesNoSecret checks that the user a dialect or page looks up, by id or by
// username, has no field for a password hash or a token digest, and carries neither value.
func TestUserByRefCarriesNoSecret(t *testing.T) {
	t.Parallel()
	e := newDefectEnv(t)
	e.user("ann", forge.MemberSource{}, 0, forge.ScopeAPI)
	ann := e.users["ann"].User
	hash, err := db.PasswordHash(e.ctx, e.db.Read, ann.ID)
	if err != nil || hash == "" {
		t.Fatalf("ann's password hash: %q, %v", hash, err)
	}
	_, secret, err := e.forge.Access.CreateToken(e.ctx, e.root, ann.ID,
		forge.TokenInput{Name: "more", Scopes: []string{forge.ScopeAPI}})
	if err != nil {
		t.Fatal(err)
	}
	digest := forge.HashToken(secret)
	for _, ref := range []string{"ann", strconv.FormatInt(ann.ID, 10)} {
		for _, a := range []*forge.Actor{e.root, e.users["ann"], forge.System()} {
			u, err := e.forge.Accounts.UserByRef(e.ctx, a, forge.ParseRef(ref))
			if err != nil || u.ID != ann.ID {
				t.Fatalf("UserByRef(%q): user %d, %v", ref, u.ID, err)
			}
			if f := secretFields(reflect.TypeOf(u)); len(f) > 0 {
				t.Errorf("UserByRef returns a type with secret fields %v", f)
			}
			if holds(reflect.ValueOf(u), []byte(hash)) || holds(reflect.ValueOf(u), digest) {
				t.Errorf("UserByRef(%q) as %s carries a secret: %+v", ref, a.User.Username, u)
			}
		}
	}
}
