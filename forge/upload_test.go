package forge

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestUploadNamesAreSafe: a stored name is one plain path element of at most 255 bytes.
func TestUploadNamesAreSafe(t *testing.T) {
	for in, want := range map[string]string{
		"my shot.png": "my_shot.png", "../../etc/passwd": "passwd", `C:\dir\a b.txt`: "a_b.txt",
		"..": "file", "": "file", "résumé.pdf": "résumé.pdf", "a<b>.svg": "a_b_.svg",
	} {
		if got := uploadName(in); got != want {
			t.Errorf("uploadName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzUploadName(f *testing.F) {
	for _, s := range []string{"a.png", "../x", "\x00", strings.Repeat("é", 300) + ".png", "a." +
		strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := uploadName(name)
		if got == "" || strings.ContainsAny(got, "/\\\x00") || strings.Trim(got, ".") == "" || len(got) > 255 ||
			!utf8.ValidString(got) {
			t.Fatalf("uploadName(%q) = %q", name, got)
		}
	})
}
