package forge

import (
	"context"
	"strings"

	"github.com/cairn-forge/cairn/markup"
)

// MarkdownInput is a text to render, and the project whose repository its relative links
// point into ("" for none).
type MarkdownInput struct {
	Text    string
	Project string
}

// RenderMarkdown renders a text with the pages' renderer (GitHub Flavored Markdown, sanitised),
// headings at the level written. Signed-in users may, as on GitLab; with a project, which the
// actor must see, relative links and images point into its default branch by absolute URLs.
// References ("#1", "group/project!2", "@alice", commit ids) link to their pages, as the pages
// link them, when the actor may see what they name.
func (s *Issuables) RenderMarkdown(ctx context.Context, a *Actor, in MarkdownInput) (string, error) {
	if err := a.requireUser(NeedRead); err != nil {
		return "", err
	}
	var links *markup.Links
	var from *ProjectView
	site := strings.TrimRight(s.externalURL(), "/")
	if in.Project != "" {
		v, err := s.visibleProject(ctx, a, ParseRef(in.Project))
		if err != nil {
			return "", err
		}
		base := site + "/" + markup.EscapePath(v.FullPath())
		ref := markup.EscapePath(v.DefaultBranch)
		links = &markup.Links{Blob: base + "/-/blob/" + ref + "/", Raw: base + "/-/raw/" + ref + "/"}
		from = &v
	}
	return string(s.markdown.RenderLinked(in.Text, links, s.ReferenceLinks(ctx, a, from, site))), nil
}
