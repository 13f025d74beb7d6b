package forge

import "strconv"

// Ref names a project, a group or namespace, a user or a token as a caller knows it: by its
// id, or by its path (a full path such as "group/project", a username, a token's name).
// Callers that hold an id name it with ID; text from a URL or a form goes through ParseRef,
// which reads digits as an id, as GitLab's :id does.
type Ref struct {
	id   int64
	text string
}

// ID names something by its id.
func ID(id int64) Ref { return Ref{id: id} }

// Path names something by its path (a full path, a username), digits or not: a group whose
// path is "2024" is not the group of id 2024.
func Path(p string) Ref { return Ref{text: p} }

// ParseRef reads a reference from a URL or a form: a positive number is an id, anything else
// a path.
func ParseRef(s string) Ref {
	id, _ := parseID(s)
	return Ref{id: id, text: s}
}

// ID returns the id the reference names, false when it names a path.
func (r Ref) ID() (int64, bool) { return r.id, r.id > 0 }

// String returns the reference as it was written: the id in digits, or the path.
func (r Ref) String() string {
	if r.text == "" && r.id > 0 {
		return strconv.FormatInt(r.id, 10)
	}
	return r.text
}
