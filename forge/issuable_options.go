package forge

import "time"

// The inputs and list options of issues and merge requests: what both take, and what each
// adds, side by side.

// IssuableInput carries the fields issues and merge requests share to create or change one;
// nil means "not given". Labels replaces the labels, AddLabels and RemoveLabels change them;
// StateEvent is "close" or "reopen" (updates only).
type IssuableInput struct {
	Title        *string
	Description  *string
	Labels       *[]string
	AddLabels    []string
	RemoveLabels []string
	AssigneeIDs  *[]int64
	StateEvent   string
}

// IssueInput is c as the input of an issue, to which the fields only issues have are added.
func (c IssuableInput) IssueInput() IssueInput {
	return IssueInput{
		Title:        c.Title,
		Description:  c.Description,
		Labels:       c.Labels,
		AddLabels:    c.AddLabels,
		RemoveLabels: c.RemoveLabels,
		AssigneeIDs:  c.AssigneeIDs,
		StateEvent:   c.StateEvent,
	}
}

// MergeRequestInput is c as the input of a merge request.
func (c IssuableInput) MergeRequestInput() MergeRequestInput {
	return MergeRequestInput{
		Title:        c.Title,
		Description:  c.Description,
		Labels:       c.Labels,
		AddLabels:    c.AddLabels,
		RemoveLabels: c.RemoveLabels,
		AssigneeIDs:  c.AssigneeIDs,
		StateEvent:   c.StateEvent,
	}
}

// IssuableListOptions are the options lists of issues and of merge requests share; see
// IssueListOptions and MergeRequestListOptions for their values.
type IssuableListOptions struct {
	Scope, State   string
	Labels         []string
	Search         string
	AuthorID       int64
	AuthorUsername string
	AssigneeID     string
	// AssigneeName filters issues only.
	AssigneeName string
	IIDs         []int64

	CreatedAfter, CreatedBefore, UpdatedAfter, UpdatedBefore *time.Time

	OrderBy string
	Desc    bool
}

// IssueListOptions is o as the options of a list of issues.
func (o IssuableListOptions) IssueListOptions() IssueListOptions {
	return IssueListOptions{
		Scope:          o.Scope,
		State:          o.State,
		Labels:         o.Labels,
		Search:         o.Search,
		AuthorID:       o.AuthorID,
		AuthorUsername: o.AuthorUsername,
		AssigneeID:     o.AssigneeID,
		AssigneeName:   o.AssigneeName,
		IIDs:           o.IIDs,
		CreatedAfter:   o.CreatedAfter,
		CreatedBefore:  o.CreatedBefore,
		UpdatedAfter:   o.UpdatedAfter,
		UpdatedBefore:  o.UpdatedBefore,
		OrderBy:        o.OrderBy,
		Desc:           o.Desc,
	}
}

// MergeRequestListOptions is o as the options of a list of merge requests.
func (o IssuableListOptions) MergeRequestListOptions() MergeRequestListOptions {
	return MergeRequestListOptions{
		Scope:          o.Scope,
		State:          o.State,
		Labels:         o.Labels,
		Search:         o.Search,
		AuthorID:       o.AuthorID,
		AuthorUsername: o.AuthorUsername,
		AssigneeID:     o.AssigneeID,
		IIDs:           o.IIDs,
		CreatedAfter:   o.CreatedAfter,
		CreatedBefore:  o.CreatedBefore,
		UpdatedAfter:   o.UpdatedAfter,
		UpdatedBefore:  o.UpdatedBefore,
		OrderBy:        o.OrderBy,
		Desc:           o.Desc,
	}
}

func (o IssueListOptions) issuable() IssuableListOptions {
	return IssuableListOptions{
		Scope:          o.Scope,
		State:          o.State,
		Labels:         o.Labels,
		Search:         o.Search,
		AuthorID:       o.AuthorID,
		AuthorUsername: o.AuthorUsername,
		AssigneeID:     o.AssigneeID,
		AssigneeName:   o.AssigneeName,
		IIDs:           o.IIDs,
		CreatedAfter:   o.CreatedAfter,
		CreatedBefore:  o.CreatedBefore,
		UpdatedAfter:   o.UpdatedAfter,
		UpdatedBefore:  o.UpdatedBefore,
		OrderBy:        o.OrderBy,
		Desc:           o.Desc,
	}
}

func (o MergeRequestListOptions) issuable() IssuableListOptions {
	return IssuableListOptions{
		Scope:          o.Scope,
		State:          o.State,
		Labels:         o.Labels,
		Search:         o.Search,
		AuthorID:       o.AuthorID,
		AuthorUsername: o.AuthorUsername,
		AssigneeID:     o.AssigneeID,
		IIDs:           o.IIDs,
		CreatedAfter:   o.CreatedAfter,
		CreatedBefore:  o.CreatedBefore,
		UpdatedAfter:   o.UpdatedAfter,
		UpdatedBefore:  o.UpdatedBefore,
		OrderBy:        o.OrderBy,
		Desc:           o.Desc,
	}
}

// IssueInput carries the fields of an issue to create or change; nil means "not given".
type IssueInput struct {
	Title       *string
	Description *string
	// Labels replaces the issue's labels; AddLabels and RemoveLabels change them. Labels the
	// project lacks are created.
	Labels       *[]string
	AddLabels    []string
	RemoveLabels []string
	// AssigneeIDs replaces the assignees; users who are not members are left out.
	AssigneeIDs  *[]int64
	Confidential *bool
	// DueDate is set when SetDueDate; nil then clears it.
	SetDueDate bool
	DueDate    *time.Time
	// StateEvent is "close" or "reopen" (updates only).
	StateEvent string
	// CreatedAt backdates a new issue; only administrators and project owners may.
	CreatedAt *time.Time
}

// IssueListOptions filter and order a list of issues.
type IssueListOptions struct {
	// Scope, for the list across projects: created_by_me (default), assigned_to_me or all.
	Scope string
	// State is opened, closed or all (default).
	State string
	// Labels keeps issues carrying every one; the single names None and Any select issues
	// with no label and with some.
	Labels []string
	Search string
	// AuthorID and AssigneeID keep one user's issues; AssigneeID also takes "None" and "Any".
	AuthorID       int64
	AuthorUsername string
	AssigneeID     string
	AssigneeName   string
	IIDs           []int64
	Confidential   *bool

	CreatedAfter, CreatedBefore, UpdatedAfter, UpdatedBefore *time.Time

	// OrderBy is created_at (default), updated_at, title or due_date; GitLab's other orders
	// (priority, label_priority, popularity, ...) fall back to created_at.
	OrderBy string
	Desc    bool
}

// MergeRequestInput carries the fields of a merge request to create or change; nil means
// "not given".
type MergeRequestInput struct {
	Title        *string
	Description  *string
	SourceBranch *string
	TargetBranch *string
	// Draft adds or removes the title's "Draft:" prefix, which is what makes a draft.
	Draft *bool
	// Labels replaces the labels; AddLabels and RemoveLabels change them.
	Labels       *[]string
	AddLabels    []string
	RemoveLabels []string
	AssigneeIDs  *[]int64
	ReviewerIDs  *[]int64
	Squash       *bool
	// RemoveSourceBranch asks that the source branch be deleted when merged.
	RemoveSourceBranch *bool
	// StateEvent is "close" or "reopen" (updates only).
	StateEvent string
}

// MergeRequestListOptions filter and order a list of merge requests.
type MergeRequestListOptions struct {
	// Scope, across projects: created_by_me (default), assigned_to_me, reviews_for_me or all.
	Scope string
	// State is opened, closed, locked, merged or all (default).
	State          string
	Labels         []string
	Search         string
	AuthorID       int64
	AuthorUsername string
	// AssigneeID and ReviewerID take a user id, "None" or "Any".
	AssigneeID   string
	ReviewerID   string
	SourceBranch string
	TargetBranch string
	Draft        *bool
	IIDs         []int64

	CreatedAfter, CreatedBefore, UpdatedAfter, UpdatedBefore *time.Time

	// OrderBy is created_at (default), updated_at, merged_at or title.
	OrderBy string
	Desc    bool
}
