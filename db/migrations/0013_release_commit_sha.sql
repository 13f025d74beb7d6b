-- Each commit counts for the first release of its project that shipped it: recording a
-- release looks its commits up in the releases before it and takes them from those after it,
-- one index probe per commit.
CREATE INDEX release_commits_sha ON release_commits (sha);
