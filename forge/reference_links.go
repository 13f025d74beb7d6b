package forge

import (
	"context"
	"strconv"

	"github.com/cairn-forge/cairn/markup"
)

// maxLinkedReferences bounds the distinct references one resolver looks up, whatever the
// texts it serves hold (a page's notes, say): past it, references stay text.
const maxLinkedReferences = 1000

// ReferenceLinks returns the resolver of the references ("#12", "!3", "@alice",
// "group/project#12", commit ids) of texts written in project from (nil outside a project),
// for actor a: each links to its page under base ("" for paths of this site, the external URL
// for the API), titled and, for a closed issue or a closed or merged merge request, with its
// state. What a may not see is not linked. Each reference is looked up once, so the notes of
// one page naming the same things cost one lookup; a lookup that fails leaves its references
// as text, logged.
func (s *Issuables) ReferenceLinks(ctx context.Context, a *Actor, from *ProjectView, base string) markup.Resolver {
	known := map[markup.Reference]*markup.ReferenceLink{}
	return func(refs []markup.Reference) map[markup.Reference]markup.ReferenceLink {
		var ask []Reference
		for _, ref := range refs {
			if _, done := known[ref]; !done && len(known)+len(ask) < maxLinkedReferences {
				ask = append(ask, Reference(ref))
			}
		}
		if len(ask) > 0 {
			found, err := s.ResolveReferences(ctx, a, from, ask)
			if err != nil {
				// The text is still worth showing, with its references as text.
				s.log.Error("resolve references", "err", err)
			}
			for _, ref := range ask {
				var link *markup.ReferenceLink
				if t, ok := found[ref]; ok {
					link = t.link(base)
				}
				known[markup.Reference(ref)] = link
			}
		}
		out := map[markup.Reference]markup.ReferenceLink{}
		for _, ref := range refs {
			if l := known[ref]; l != nil {
				out[ref] = *l
			}
		}
		return out
	}
}

// link is the link of what a reference names: its page under base, title and state.
func (t ReferenceTarget) link(base string) *markup.ReferenceLink {
	project := base
	if t.Project != nil {
		project += "/" + markup.EscapePath(t.Project.FullPath())
	}
	switch {
	case t.Issue != nil:
		l := &markup.ReferenceLink{URL: project + "/-/issues/" + strconv.FormatInt(t.Issue.IID, 10),
			Title: t.Issue.Title}
		if t.Issue.State == StateClosed {
			l.State = "closed"
		}
		return l
	case t.MergeRequest != nil:
		l := &markup.ReferenceLink{URL: project + "/-/merge_requests/" + strconv.FormatInt(t.MergeRequest.IID, 10),
			Title: t.MergeRequest.Title}
		if st := t.MergeRequest.State; st == StateClosed || st == StateMerged {
			l.State = st
		}
		return l
	case t.Commit != nil:
		return &markup.ReferenceLink{URL: project + "/-/commit/" + t.Commit.ID.String(), Title: t.Commit.Title()}
	case t.Namespace != nil:
		return &markup.ReferenceLink{URL: base + "/" + markup.EscapePath(t.Namespace.FullPath), Title: t.Namespace.Name}
	}
	return nil
}
