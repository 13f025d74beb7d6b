package forge

// The forge's operations, by sub-domain. Each sub-service is a view of the one Service
// and shares its core: the database, the repositories, the clock and the background work.
// Files name their sub-service's area: user*.go are Accounts, issue*.go Issuables.

// Access authenticates callers and issues their credentials: sign-in, sessions, tokens,
// impersonation, deploy keys and deploy tokens, and the abilities derived from them.
type Access struct{ *Service }

// Accounts are users and what belongs to them: profiles, emails, keys, identities, status, custom
// attributes, blocking, banning and the first administrator.
type Accounts struct{ *Service }

// Projects are projects, groups and namespaces, with their members, forks, stars, topics, badges,
// uploads and activity.
type Projects struct{ *Service }

// Repositories reads and writes projects' git repositories: branches, tags, commits, files, trees,
// protections, commit statuses and comments, and pushes.
type Repositories struct{ *Service }

// Issuables are issues and merge requests, with their notes, labels and references, and the
// merging of merge requests.
type Issuables struct{ *Service }

// Delivery is what happens after a merge: environments, deployments, releases, defects, and the
// DORA metrics computed from them.
type Delivery struct{ *Service }

// Agents run automated reviews and other agent tasks on projects.
type Agents struct{ *Service }

// Instance holds what belongs to the whole instance: its settings, statistics, broadcast messages
// and audit log.
type Instance struct{ *Service }

// wire makes the sub-services of s; New calls it once.
func (s *Service) wire() {
	s.Access = &Access{s}
	s.Accounts = &Accounts{s}
	s.Projects = &Projects{s}
	s.Repositories = &Repositories{s}
	s.Issuables = &Issuables{s}
	s.Delivery = &Delivery{s}
	s.Agents = &Agents{s}
	s.Instance = &Instance{s}
}
