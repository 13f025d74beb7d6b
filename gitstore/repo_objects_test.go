package gitstore

import (
	"reflect"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// goGitCommit decodes a commit with go-git alone.
func goGitCommit(h plumbing.Hash, data []byte) (*Commit, error) {
	obj := &plumbing.MemoryObject{}
	obj.SetType(plumbing.CommitObject)
	obj.Write(data)
	var c object.Commit
	if err := c.Decode(obj); err != nil {
		return nil, err
	}
	c.Hash = h
	return commitOf(&c), nil
}

const (
	tree1   = "tree 0123456789abcdef0123456789abcdef01234567\n"
	parent1 = "parent 89abcdef0123456789abcdef0123456789abcdef\n"
	author1 = "author Ada Lovelace <ada@example.com> 1271648087 +0130\n"
	commit1 = "committer C <c@example.com> 1271648090 -0800\n"
)

func FuzzCanonicalCommitsReadAsGoGitReadsThem(f *testing.F) {
	for _, s := range []string{
		tree1 + parent1 + author1 + commit1 + "\ntitle\n\nbody\n",
		tree1 + author1 + commit1 + "\nno newline at the end",
		tree1 + parent1 + parent1 + parent1 + author1 + commit1 + "\n",
		tree1 + author1 + commit1,
		tree1 + author1 + commit1 + "gpgsig -----BEGIN\n x\n -----END\n\nsigned\n",
		tree1 + author1 + commit1 + "encoding ISO-8859-1\n\nmsg\n",
		tree1 + commit1 + author1 + "\nswapped\n",
		"tree 0123\n" + author1 + commit1 + "\n",
		tree1 + "author <> 0 +0000\ncommitter x\n\n\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h := plumbing.NewHash("fedcba9876543210fedcba9876543210fedcba98")
		fast, ok := decodeCanonicalCommit(h, data)
		if !ok {
			return
		}
		want, err := goGitCommit(h, data)
		if err != nil {
			t.Fatalf("read directly, refused by go-git: %v", err)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("read directly:\n%+v\ngo-git:\n%+v", fast, want)
		}
	})
}

func TestCommitsReadAsGoGitReadsThem(t *testing.T) {
	h := plumbing.NewHash("fedcba9876543210fedcba9876543210fedcba98")
	for _, s := range []string{
		tree1 + parent1 + author1 + commit1 + "\ntitle\n\nbody\n",
		tree1 + author1 + commit1 + "gpgsig -----BEGIN\n x\n -----END\n\nsigned\n",
		tree1 + author1 + commit1 + "encoding ISO-8859-1\n\nmsg\n",
		tree1 + commit1 + author1 + "\nswapped\n",
		tree1 + author1 + commit1,
	} {
		got, err := decodeCommit(h, []byte(s))
		want, werr := goGitCommit(h, []byte(s))
		if err != nil || werr != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n%+v %v\ngo-git:\n%+v %v", s, got, err, want, werr)
		}
	}
}
