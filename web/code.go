package web

import (
	"bytes"
	"html/template"
	"io"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/markup"
)

// maxInline is the largest file a page shows; larger ones are offered raw.
const maxInline = 1 << 20

// refPicker lists the branches and tags to switch the shown revision to.
type refPicker struct {
	Current  string
	Branches []string
	Tags     []string
	// URL is the page to show at another revision: URL + ref + Suffix.
	URL, Suffix string
}

// maxPickedRefs bounds the branches (and tags) a page offers to choose from.
const maxPickedRefs = 100

// branchNames returns the names of the first maxPickedRefs branches of project ref, ordered
// as sort says (forge.BranchListOptions; "" for by name), for a page's pickers.
func (h *Handler) branchNames(r *http.Request, ref, sort string) ([]string, error) {
	branches, _, err := h.forge.Repositories.ListBranches(r.Context(), api.Actor(r), forge.ParseRef(ref),
		forge.BranchListOptions{Sort: sort},
		forge.Page{Page: 1, PerPage: maxPickedRefs})
	names := make([]string, len(branches))
	for i, b := range branches {
		names[i] = b.Name
	}
	return names, err
}

// isBranch reports whether name is a branch of project ref, whether or not a picker lists it.
func (h *Handler) isBranch(r *http.Request, ref, name string) (bool, error) {
	_, err := h.forge.Repositories.GetBranch(r.Context(), api.Actor(r), forge.ParseRef(ref), name)
	if forge.ErrorCode(err) == forge.ENotFound {
		return false, nil
	}
	return err == nil, err
}

// bothBranches reports whether a and b are both branches of project ref.
func (h *Handler) bothBranches(r *http.Request, ref, a, b string) (bool, error) {
	ok, err := h.isBranch(r, ref, a)
	if ok && err == nil {
		ok, err = h.isBranch(r, ref, b)
	}
	return ok, err
}

// refs lists the revisions a page may switch to (the first hundred of each kind).
func (h *Handler) refs(r *http.Request, pn *projectNav, kind, current, p string) (refPicker, error) {
	a := api.Actor(r)
	ref := strconv.FormatInt(pn.View.ID, 10)
	rp := refPicker{Current: current, URL: pn.URL + "/-/" + kind + "/"}
	if p != "" {
		rp.Suffix = "/" + markup.EscapePath(p)
	}
	var err error
	if rp.Branches, err = h.branchNames(r, ref, ""); err != nil {
		return rp, err
	}
	tags, _, err := h.forge.Repositories.ListTags(r.Context(), a, forge.ParseRef(ref), forge.TagListOptions{},
		forge.Page{Page: 1, PerPage: maxPickedRefs})
	if err != nil {
		return rp, err
	}
	for _, t := range tags {
		rp.Tags = append(rp.Tags, t.Name)
	}
	return rp, nil
}

// treeData is a directory at a revision: the home page shows the top of the default branch.
type treeData struct {
	Ref     string
	Path    string
	Parents []crumb
	Entries []forge.TreeEntry
	More    int
	Last    *forge.Commit
	Readme  *readme
	Refs    refPicker
	// Home page only.
	Home      bool
	Languages []languageBar
	Branches  int
	Tags      int
	Empty     bool
}

type readme struct {
	Name string
	URL  string
	HTML template.HTML
}

type languageBar struct {
	Name    string
	Percent float64
	// Offset is where the language's part of the bar starts, in percent.
	Offset float64
	Class  string
}

// projectHome is a project's page: its description, clone address, the top of its default
// branch with the last commit and the README.
func (h *Handler) projectHome(w http.ResponseWriter, r *http.Request, v forge.ProjectView) error {
	pn := h.projectNav(r, v)
	d := &treeData{Home: true, Ref: v.DefaultBranch}
	if pn.Can.ReadCode {
		if v.EmptyRepo {
			d.Empty = true
		} else if err := h.fillTree(r, pn, d); err != nil {
			return err
		}
	}
	if pn.Can.ReadCode && !d.Empty {
		ref := forge.ID(v.ID)
		langs, err := h.projectLanguages(r, v, d.Last)
		if err != nil {
			return err
		}
		d.Languages = languageBars(langs)
		_, d.Branches, err = h.forge.Repositories.ListBranches(r.Context(), api.Actor(r), ref,
			forge.BranchListOptions{}, forge.Page{Page: 1, PerPage: 1})
		if err != nil {
			return err
		}
		_, d.Tags, err = h.forge.Repositories.ListTags(r.Context(), api.Actor(r), ref, forge.TagListOptions{},
			forge.Page{Page: 1, PerPage: 1})
		if err != nil {
			return err
		}
	}
	p := h.projectPage(r, pn, "code", "Project", d)
	p.Title = v.FullName()
	return h.render(w, r, http.StatusOK, "project", p)
}

// projectLanguages returns the languages of a project's default branch, whose tip is head,
// from the cache when that tip was seen before: counting them reads every file.
func (h *Handler) projectLanguages(r *http.Request, v forge.ProjectView,
	head *forge.Commit) ([]forge.LanguageShare, error) {
	key := ""
	if head != nil {
		key = strconv.FormatInt(v.ID, 10) + ":" + head.ID.String()
		if langs, ok := h.languages.get(key); ok {
			return langs, nil
		}
	}
	langs, err := h.forge.Repositories.Languages(r.Context(), api.Actor(r), forge.ID(v.ID))
	if err == nil && key != "" {
		h.languages.put(key, langs)
	}
	return langs, err
}

// languageBars lays out the languages bar: the largest seven, and the rest as "Other".
func languageBars(langs []forge.LanguageShare) []languageBar {
	var out []languageBar
	offset, other := 0.0, 0.0
	for i, l := range langs {
		if i >= 7 {
			other += l.Percent
			continue
		}
		out = append(out,
			languageBar{Name: l.Name, Percent: l.Percent, Offset: offset, Class: "lang" + strconv.Itoa(i)})
		offset += l.Percent
	}
	if other > 0 {
		out = append(out, languageBar{Name: "Other", Percent: other, Offset: offset, Class: "lang-other"})
	}
	return out
}

// tree shows a directory: "/-/tree/<ref>/<path>".
func (h *Handler) tree(tail string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		ref, p, err := h.splitRef(r, pn, tail)
		if err != nil {
			return err
		}
		d := &treeData{Ref: ref, Path: p}
		if err := h.fillTree(r, pn, d); err != nil {
			return err
		}
		if len(d.Entries) == 0 && p != "" {
			return notFound()
		}
		title := pn.View.Name
		if p != "" {
			title = p
		}
		return h.render(w, r, http.StatusOK, "tree", h.projectPage(r, pn, "code", title+" at "+ref, d))
	}
}

// splitRef reads the "<ref>/<path>" of a code page's URL; an empty one is the default branch.
func (h *Handler) splitRef(r *http.Request, pn *projectNav, tail string) (ref, p string, err error) {
	tail = unescape(tail)
	if strings.Trim(tail, "/") == "" {
		return pn.View.DefaultBranch, "", nil
	}
	ref, p, err = h.forge.Repositories.SplitRefPath(r.Context(), api.Actor(r), forge.ID(pn.View.ID), tail)
	if forge.ErrorCode(err) == forge.EInvalid {
		return "", "", notFound()
	}
	pn.Ref = ref
	return ref, p, err
}

// fillTree reads the directory d names, its last commit and README.
func (h *Handler) fillTree(r *http.Request, pn *projectNav, d *treeData) error {
	a := api.Actor(r)
	ctx := r.Context()
	ref := forge.ID(pn.View.ID)
	entries, total, err := h.forge.Repositories.ListTree(ctx, a, ref, d.Path, d.Ref, false,
		forge.Page{Page: 1, PerPage: 1000})
	if err != nil {
		return err
	}
	sort.SliceStable(entries, func(i, j int) bool {
		di, dj := entries[i].Kind() == "tree", entries[j].Kind() == "tree"
		if di != dj {
			return di
		}
		return strings.ToLower(entries[i].Name) < strings.ToLower(entries[j].Name)
	})
	d.Entries, d.More = entries, total-len(entries)
	d.Parents = pathCrumbs(pn, "tree", d.Ref, d.Path)
	commits, _, err := h.forge.Repositories.ListCommits(ctx, a, ref,
		forge.CommitListOptions{RefName: d.Ref, Path: d.Path}, forge.Page{Page: 1, PerPage: 1})
	if err != nil {
		return err
	}
	if len(commits) > 0 {
		d.Last = commits[0].Commit
	}
	if d.Refs, err = h.refs(r, pn, "tree", d.Ref, d.Path); err != nil {
		return err
	}
	for _, e := range entries {
		if e.Kind() == "blob" && isReadme(e.Name) {
			d.Readme, err = h.readReadme(r, pn, d.Ref, e)
			return err
		}
	}
	return nil
}

// isReadme reports whether a file name is a README the directory's page shows.
func isReadme(name string) bool {
	n := strings.ToLower(name)
	return n == "readme" || n == "readme.md" || n == "readme.markdown" || n == "readme.txt" || n == "readme.rst"
}

func isMarkdown(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".md" || ext == ".markdown" || ext == ".mdown" || ext == ".mkd"
}

// readReadme renders a directory's README: Markdown as HTML, anything else as text.
func (h *Handler) readReadme(r *http.Request, pn *projectNav, ref string, e forge.TreeEntry) (*readme, error) {
	f, err := h.forge.Repositories.OpenFile(r.Context(), api.Actor(r), forge.ID(pn.View.ID), e.Path, ref)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd := &readme{Name: e.Name, URL: pn.URL + "/-/blob/" + markup.EscapePath(ref) + "/" + markup.EscapePath(e.Path)}
	if f.Size > maxInline {
		return rd, nil
	}
	body, err := f.ReadAll()
	if err != nil {
		return nil, err
	}
	if isMarkdown(e.Name) {
		rd.HTML = h.markdownIn(r, pn, ref, e.Path, string(body))
	} else {
		rd.HTML = template.HTML("<pre>" + template.HTMLEscapeString(string(body)) + "</pre>")
	}
	return rd, nil
}

// repoLinks resolves the relative links of a file at path p of revision ref.
func (h *Handler) repoLinks(pn *projectNav, ref, p string) *markup.Links {
	dir := path.Dir(p)
	if dir == "." {
		dir = ""
	} else {
		dir += "/"
	}
	return &markup.Links{Blob: pn.URL + "/-/blob/" + markup.EscapePath(ref) + "/", Raw: pn.URL +
		"/-/raw/" + markup.EscapePath(ref) + "/", Dir: dir}
}

// pathCrumbs are the links to the directories above path p (the project's top first).
func pathCrumbs(pn *projectNav, kind, ref, p string) []crumb {
	out := []crumb{{Name: pn.View.Path, URL: pn.URL + "/-/tree/" + markup.EscapePath(ref)}}
	if p == "" {
		return out
	}
	parts := strings.Split(p, "/")
	for i := range parts {
		out = append(out,
			crumb{Name: parts[i], URL: pn.URL + "/-/tree/" + markup.EscapePath(ref) +
				"/" + markup.EscapePath(strings.Join(parts[:i+1], "/"))})
	}
	return out
}

// blobData is a file at a revision.
type blobData struct {
	Ref     string
	Path    string
	Parents []crumb
	File    *forge.File
	Last    *forge.Commit
	Refs    refPicker
	RawURL  string
	// What the page shows: Lines of code, Rendered Markdown, an Image, or only a note
	// (TooLarge, Binary).
	Lines    []template.HTML
	Rendered template.HTML
	Image    bool
	TooLarge bool
	Binary   bool
	// Plain asks a Markdown file's source instead of its rendering.
	Plain bool
	// Blame pairs lines with the commits that last changed them.
	Blame []blameChunk
}

type blameChunk struct {
	Commit *forge.Commit
	Start  int
	Lines  []template.HTML
}

var imageTypes = map[string]string{
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".bmp":  "image/bmp",
	".ico":  "image/x-icon",
	".svg":  "image/svg+xml",
	".avif": "image/avif",
}

// blob shows a file: "/-/blob/<ref>/<path>".
func (h *Handler) blob(tail string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		d, err := h.openBlob(r, pn, tail, "blob")
		if err != nil {
			return err
		}
		defer d.File.Close()
		if err := h.readBlob(d); err != nil {
			return err
		}
		if isMarkdown(d.Path) && !d.Plain && !d.Binary && !d.TooLarge {
			body, err := d.File.ReadAll()
			if err != nil {
				return err
			}
			d.Rendered = h.markdownIn(r, pn, d.Ref, d.Path, string(body))
		} else if !d.Image && !d.Binary && !d.TooLarge {
			if d.Lines, err = h.highlightBlob(d.File); err != nil {
				return err
			}
		}
		return h.render(w, r, http.StatusOK, "blob", h.projectPage(r, pn, "code", d.Path+" at "+d.Ref, d))
	}
}

// openBlob resolves the file a code page names, with what every file page shows.
func (h *Handler) openBlob(r *http.Request, pn *projectNav, tail, kind string) (*blobData, error) {
	ref, p, err := h.splitRef(r, pn, tail)
	if err != nil {
		return nil, err
	}
	if p == "" {
		return nil, notFound()
	}
	f, err := h.forge.Repositories.OpenFile(r.Context(), api.Actor(r), forge.ID(pn.View.ID), p, ref)
	if err != nil {
		return nil, err
	}
	d := &blobData{Ref: ref, Path: f.Path, File: f, Plain: r.URL.Query().Get("plain") == "1",
		RawURL: pn.URL + "/-/raw/" + markup.EscapePath(ref) + "/" + markup.EscapePath(f.Path)}
	d.Parents = pathCrumbs(pn, "tree", ref, path.Dir(f.Path))
	if path.Dir(f.Path) == "." {
		d.Parents = d.Parents[:1]
	}
	d.Parents = append(d.Parents, crumb{Name: f.Name})
	if !f.LastCommitID.IsZero() {
		c, err := h.forge.Repositories.GetCommit(r.Context(), api.Actor(r), forge.ID(pn.View.ID),
			f.LastCommitID.String(), false)
		if err != nil {
			f.Close()
			return nil, err
		}
		d.Last = c.Commit
	}
	if d.Refs, err = h.refs(r, pn, kind, ref, f.Path); err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

// readBlob decides how a file is shown: as an image, not at all (too large, binary), or as text.
func (h *Handler) readBlob(d *blobData) error {
	if _, ok := imageTypes[strings.ToLower(path.Ext(d.Path))]; ok {
		d.Image = true
		return nil
	}
	if d.File.Size > maxInline {
		d.TooLarge = true
		return nil
	}
	head, err := readHead(d.File, 8000)
	if err != nil {
		return err
	}
	d.Binary = isBinary(head)
	return nil
}

func readHead(f *forge.File, n int) ([]byte, error) {
	br, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer br.Close()
	buf := make([]byte, n)
	m, err := io.ReadFull(br, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	return buf[:m], nil
}

// isBinary guesses as git does: a NUL byte in the first 8000 bytes, or text that is not UTF-8.
func isBinary(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	// The head may end inside a character: judge the complete part only.
	for i := 0; i < 3 && len(head) > 0 && !utf8.Valid(head); i++ {
		head = head[:len(head)-1]
	}
	return !utf8.Valid(head)
}

// highlightBlob returns a file's lines, highlighted, from the cache when seen before.
func (h *Handler) highlightBlob(f *forge.File) ([]template.HTML, error) {
	if lines, ok := h.blobs.get(f.BlobID.String() + "\x00" + f.Name); ok {
		return lines, nil
	}
	body, err := f.ReadAll()
	if err != nil {
		return nil, err
	}
	text := string(body)
	lines := h.highlight.Lines(h.highlight.LexerForContent(f.Name, text), text)
	h.blobs.put(f.BlobID.String()+"\x00"+f.Name, lines)
	return lines, nil
}

// raw answers a file's bytes: "/-/raw/<ref>/<path>". Text is served as text/plain and
// images as themselves, all sandboxed: a file of the repository never runs as a page of
// this site.
func (h *Handler) raw(tail string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		ref, p, err := h.splitRef(r, pn, tail)
		if err != nil {
			return err
		}
		if p == "" {
			return notFound()
		}
		f, err := h.forge.Repositories.OpenFile(r.Context(), api.Actor(r), forge.ID(pn.View.ID), p, ref)
		if err != nil {
			return err
		}
		defer f.Close()
		head, err := readHead(f, 8000)
		if err != nil {
			return err
		}
		ctype := "text/plain; charset=utf-8"
		if t, ok := imageTypes[strings.ToLower(path.Ext(f.Name))]; ok {
			ctype = t
		} else if isBinary(head) {
			ctype = "application/octet-stream"
			w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(f.Name, `"`, "")+`"`)
		}
		hdr := w.Header()
		hdr.Set("Content-Type", ctype)
		hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
		hdr.Set("Content-Length", strconv.FormatInt(f.Size, 10))
		hdr.Set("ETag", `"`+f.BlobID.String()+`"`)
		hdr.Set("Cache-Control", "private, no-cache")
		if api.ETagMatches(r.Header.Get("If-None-Match"), `"`+f.BlobID.String()+`"`) {
			hdr.Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		if r.Method == http.MethodHead {
			return nil
		}
		br, err := f.Open()
		if err != nil {
			return err
		}
		defer br.Close()
		_, err = io.Copy(w, br)
		return err
	}
}

// blame shows each line of a file with the commit that last changed it.
func (h *Handler) blame(tail string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, pn *projectNav) error {
		d, err := h.openBlob(r, pn, tail, "blame")
		if err != nil {
			return err
		}
		defer d.File.Close()
		if err := h.readBlob(d); err != nil {
			return err
		}
		if !d.Binary && !d.TooLarge && !d.Image {
			lines, err := h.highlightBlob(d.File)
			if err != nil {
				return err
			}
			_, ranges, err := h.forge.Repositories.Blame(r.Context(), api.Actor(r), forge.ID(pn.View.ID),
				d.Path, d.Ref, 0, 0)
			if err != nil {
				return err
			}
			n := 0
			for _, br := range ranges {
				c := blameChunk{Commit: br.Commit, Start: n + 1}
				for range br.Lines {
					if n < len(lines) {
						c.Lines = append(c.Lines, lines[n])
					} else {
						c.Lines = append(c.Lines, "")
					}
					n++
				}
				d.Blame = append(d.Blame, c)
			}
		}
		return h.render(w, r, http.StatusOK, "blame", h.projectPage(r, pn, "code", "Blame "+d.Path, d))
	}
}
