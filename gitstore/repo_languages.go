package gitstore

import (
	"context"

	"github.com/go-enry/go-enry/v2"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// languageSniff is how much of a file language detection reads when its name is not enough.
const languageSniff = 16 << 10

// Languages sums the sizes of the files of commit h per language, as GitHub's linguist
// counts them (through go-enry): vendored, documentation, generated, binary and dot files
// are left out, and only programming and markup languages count.
func (r *Repo) Languages(ctx context.Context, h plumbing.Hash) (map[string]int64, error) {
	sizes := map[string]int64{}
	n := 0
	err := r.WalkFiles(h, "", func(e Entry) error {
		if n++; n&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if e.Mode == filemode.Symlink || enry.IsVendor(e.Path) || enry.IsDocumentation(e.Path) ||
			enry.IsDotFile(e.Path) || enry.IsConfiguration(e.Path) || enry.IsImage(e.Path) {
			return nil
		}
		br, err := r.OpenBlob(e.Hash)
		if err != nil {
			return err
		}
		size := br.Size
		br.Close()
		if size == 0 {
			return nil
		}
		lang, safe := enry.GetLanguageByFilename(e.Name)
		if !safe {
			lang, safe = enry.GetLanguageByExtension(e.Name)
		}
		var content []byte
		if !safe {
			if content, err = r.ReadBlob(e.Hash, languageSniff); err != nil {
				return err
			}
			if enry.IsBinary(content) {
				return nil
			}
			lang = enry.GetLanguage(e.Name, content)
		}
		if lang == "" || enry.IsGenerated(e.Path, content) {
			return nil
		}
		if t := enry.GetLanguageType(lang); t != enry.Programming && t != enry.Markup {
			return nil
		}
		sizes[lang] += size
		return nil
	})
	return sizes, err
}

// IsGenerated reports whether a file looks generated (by its path, or its first bytes).
func IsGenerated(path string, content []byte) bool { return enry.IsGenerated(path, content) }
