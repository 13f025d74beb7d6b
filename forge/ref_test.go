package forge

import "testing"

func TestRefNamesByIDOrByPath(t *testing.T) {
	for _, c := range []struct {
		name   string
		ref    Ref
		id     int64
		byID   bool
		string string
	}{
		{"an id from code", ID(42), 42, true, "42"},
		{"digits from a URL", ParseRef("42"), 42, true, "42"},
		{"digits with leading zeros keep their text", ParseRef("007"), 7, true, "007"},
		{"a full path", ParseRef("group/sub/project"), 0, false, "group/sub/project"},
		{"a username", ParseRef("alice"), 0, false, "alice"},
		{"zero is no id", ParseRef("0"), 0, false, "0"},
		{"a negative number is a path", ParseRef("-3"), 0, false, "-3"},
		{"nothing", ParseRef(""), 0, false, ""},
		{"the zero Ref", Ref{}, 0, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, ok := c.ref.ID()
			if id != c.id || ok != c.byID || c.ref.String() != c.string {
				t.Errorf("ID() = %d, %v; String() = %q; want %d, %v, %q", id, ok, c.ref.String(), c.id,
					c.byID, c.string)
			}
		})
	}
}
