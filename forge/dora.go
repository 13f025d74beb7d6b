package forge

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/datetime"
)

// DORA's four key figures of software delivery, per project and per group (a group counts the
// projects of its subgroups too), over a range of days cut into days, months or one interval,
// as GitLab's DORA metrics API reports them. Each interval's figure:
//
//   - deployment_frequency: the successful deployments to environments of the requested tiers
//     (production by default) that finished in the interval. Daily, their number; monthly and
//     all, their number divided by the interval's days within the range: an average per day,
//     as GitLab reports them since it fixed the figure (gitlab-org/gitlab#371271).
//   - lead_time_for_changes: the median, in seconds, of deployment finish time minus commit
//     time, over every commit shipped by a deployment that finished in the interval. What a
//     deployment shipped is what it brought to its environment: the commits reachable from its
//     sha and not from the environment's previous successful deployment's (recorded when it
//     succeeded). The commit time is the committer's, when the commit that shipped was made: a
//     rebased or squashed change is a new commit whose author time is when its first draft was
//     written, not when the change as shipped existed. A commit reaching two environments of
//     the tiers counts for each, as GitLab's per-environment figures count it.
//   - change_failure_rate: the share of the deployments finished in the interval that a
//     critical defect followed: one detected after the deployment finished and no later than
//     the next successful deployment of its project finished (so each defect is charged to the
//     last deployment before its detection). Between 0 and 1. GitLab divides an incident count
//     by the deployment count instead, which passes 1 when incidents outnumber deployments;
//     DORA defines a share of deployments.
//   - time_to_restore_service: the median, in seconds, of resolution minus detection over the
//     critical defects resolved (at their latest fix) in the interval. Defects are bucketed by
//     resolution, as GitLab buckets incidents by closing, so that a past day's figure stays put
//     when an older defect is fixed later.
//
// A project that has no successful deployment to a production-tier environment is measured by
// its releases, when the tiers include production (GitClear's API records releases, not
// deployments): each release is a production deployment at its release time, and the commits
// it shipped since the release before it count for the lead time. The critical defects that
// count for a project are those recorded at it and at its namespace or any namespace above; for
// a group, those recorded at the group, its subgroups and their projects, and the groups above
// it, each charged (for the change failure rate) to the projects below where it was recorded.
// Monthly and all medians are of every value in the interval (GitLab takes the median of daily
// medians, which it documents as approximate). A value is null where there is nothing to
// measure: no deployments for the change failure rate, no commits or defects for the medians.

// The DORA figures' names, as GitLab's API spells them.
const (
	DORADeploymentFrequency  = "deployment_frequency"
	DORALeadTimeForChanges   = "lead_time_for_changes"
	DORATimeToRestoreService = "time_to_restore_service"
	DORAChangeFailureRate    = "change_failure_rate"
)

// The intervals DORA figures are cut into.
const (
	DORADaily   = "daily"
	DORAMonthly = "monthly"
	DORAAll     = "all"
)

// DORAMaxDays is the longest range (days from the first to the last) a DORA query may cover
// unless it sets its own bound: a year of daily figures, leap years included.
const DORAMaxDays = 366

// DORAQuery asks for one DORA figure over a range of days.
type DORAQuery struct {
	// Metric is one of the DORA figures' names.
	Metric string
	// Start and End are the first and last days of the range; only their dates count. A zero
	// End is today (UTC); a zero Start, three months before today, as GitLab defaults them.
	Start, End time.Time
	// Interval is daily (the default), monthly or all.
	Interval string
	// EnvironmentTiers are the tiers of the environments whose deployments count (default
	// production).
	EnvironmentTiers []string
	// MaxDays bounds the days from Start to End (zero: DORAMaxDays). GitLab's API sets 180.
	MaxDays int
}

// DORAValue is the figure of one interval.
type DORAValue struct {
	// Date is the interval's first day: the day, the first of the month (even when the range
	// starts later in the month, as GitLab dates it), or zero for the whole range.
	Date time.Time
	// Value is nil where there is nothing to measure.
	Value *float64
}

const dayMS = int64(24 * time.Hour / time.Millisecond)

// doraQuery is a DORAQuery checked and resolved against the clock.
type doraQuery struct {
	metric, interval string
	tiers            []string
	// withReleases says releases stand in for production deployments (the tiers include
	// production).
	withReleases bool
	// from and to bound the range: [first day 00:00, day after the last 00:00), UTC.
	from, to time.Time
	buckets  doraBuckets
}

// invalidDORA is the error of a refused DORA query value, worded as GitLab words it.
func invalidDORA(param, message string) *Error {
	return &Error{Code: EInvalid, Reason: ReasonInvalidDORAQuery, Params: []string{param}, Message: message}
}

// utcDate is the date of t, in t's own zone, as midnight UTC.
func utcDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// monthsBefore is the date n months before d, on the month's last day when it is shorter
// (as Rails' 3.months.ago, GitLab's default start).
func monthsBefore(d time.Time, n int) time.Time {
	m := int(d.Month()) - 1 - n
	y := d.Year() + m/12
	if m %= 12; m < 0 {
		m, y = m+12, y-1
	}
	month := time.Month(m + 1)
	return time.Date(y, month, min(d.Day(), datetime.DaysIn(month, y)), 0, 0, 0, 0, time.UTC)
}

// checkDORAQuery validates q, in GitLab's order and with its messages, and resolves its
// defaults against the clock.
func (s *Service) checkDORAQuery(q DORAQuery) (doraQuery, error) {
	today := utcDate(s.Now())
	end, start := today, monthsBefore(today, 3)
	if !q.End.IsZero() {
		end = utcDate(q.End)
	}
	if !q.Start.IsZero() {
		start = utcDate(q.Start)
	}
	maxDays := q.MaxDays
	if maxDays <= 0 {
		maxDays = DORAMaxDays
	}
	// Sub saturates rather than overflows, so far-apart years are refused here too.
	if end.Sub(start) > time.Duration(maxDays)*24*time.Hour {
		return doraQuery{}, invalidDORA("start_date", fmt.Sprintf("Date range must be shorter than %d days.", maxDays))
	}
	if start.After(end) {
		return doraQuery{}, invalidDORA("start_date", "The start date must be earlier than the end date.")
	}
	c := doraQuery{metric: q.Metric, interval: q.Interval, from: start, to: end.AddDate(0, 0, 1)}
	switch c.interval {
	case "":
		c.interval = DORADaily
	case DORADaily, DORAMonthly, DORAAll:
	default:
		return doraQuery{}, invalidDORA("interval", "The interval must be one of all,monthly,daily.")
	}
	switch c.metric {
	case DORADeploymentFrequency, DORALeadTimeForChanges, DORATimeToRestoreService, DORAChangeFailureRate:
	default:
		return doraQuery{}, invalidDORA("metric", "The metric must be one of deployment_frequency,"+
			"lead_time_for_changes,time_to_restore_service,change_failure_rate.")
	}
	for _, t := range q.EnvironmentTiers {
		switch t {
		case TierProduction, TierStaging, TierTesting, TierDevelopment, TierOther:
		default:
			return doraQuery{}, invalidDORA("environment_tiers",
				"The environment tiers must be from production, staging, testing, development, other.")
		}
		if !slices.Contains(c.tiers, t) {
			c.tiers = append(c.tiers, t)
		}
	}
	if len(c.tiers) == 0 {
		c.tiers = []string{TierProduction}
	}
	c.withReleases = slices.Contains(c.tiers, TierProduction)
	c.buckets = newDORABuckets(c.interval, start, end)
	return c, nil
}

// doraBuckets cuts a range of days into the intervals figures are given for.
type doraBuckets struct {
	fromMS int64
	// ofDay maps each day of the range (0 is the first) to its interval.
	ofDay []int
	// dates and days are each interval's date and number of days in the range.
	dates []time.Time
	days  []int
}

func newDORABuckets(interval string, start, end time.Time) doraBuckets {
	n := int(end.Sub(start)/(24*time.Hour)) + 1
	b := doraBuckets{fromMS: start.UnixMilli(), ofDay: make([]int, n)}
	for i := range n {
		d := start.AddDate(0, 0, i)
		var key time.Time
		switch interval {
		case DORADaily:
			key = d
		case DORAMonthly:
			key = time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
		}
		if len(b.dates) == 0 || !b.dates[len(b.dates)-1].Equal(key) {
			b.dates, b.days = append(b.dates, key), append(b.days, 0)
		}
		b.ofDay[i] = len(b.dates) - 1
		b.days[len(b.days)-1]++
	}
	return b
}

// of is the interval of a time in Unix milliseconds, -1 outside the range.
func (b *doraBuckets) of(msec int64) int {
	day := (msec - b.fromMS) / dayMS
	if msec < b.fromMS || day >= int64(len(b.ofDay)) {
		return -1
	}
	return b.ofDay[day]
}

// values makes the intervals' figures from value, which reports false where there is
// nothing to measure.
func (b *doraBuckets) values(value func(i int) (float64, bool)) []DORAValue {
	out := make([]DORAValue, len(b.dates))
	for i, d := range b.dates {
		out[i].Date = d
		if v, ok := value(i); ok {
			out[i].Value = &v
		}
	}
	return out
}

// canReadDORA checks that an actor with access level may read DORA figures: a reporter or
// above, as in GitLab. Anonymous callers are asked to sign in.
func canReadDORA(a *Actor, level int) error {
	if !a.SignedIn() {
		return Unauthorized("")
	}
	if level < Reporter {
		return Forbiddenf("You do not have permission to access dora metrics.")
	}
	return nil
}

// doraScope is what a figure is computed over: projects, and the owners whose defects count.
type doraScope struct {
	projects []int64
	owners   db.DefectOwners
	// under lists, for each namespace of a group's tree, the projects below it; a defect
	// recorded at a namespace outside it (one above the group, or a project's) counts for
	// every project.
	under map[int64][]int64
}

// ProjectDORA computes one DORA figure of a project (see DORAQuery); reporters and above may
// read it.
func (s *Delivery) ProjectDORA(ctx context.Context, a *Actor, projectRef Ref, q DORAQuery) ([]DORAValue, error) {
	v, err := s.Projects.ProjectByRef(ctx, a, projectRef)
	if err != nil {
		return nil, err
	}
	if err := canReadDORA(a, v.Access); err != nil {
		return nil, err
	}
	c, err := s.checkDORAQuery(q)
	if err != nil {
		return nil, err
	}
	up, err := db.NamespaceAncestors(ctx, s.db.Read, v.NamespaceID)
	if err != nil {
		return nil, err
	}
	sc := doraScope{projects: []int64{v.ID},
		owners: db.DefectOwners{ProjectIDs: []int64{v.ID}, NamespaceIDs: []int64{v.NamespaceID}}}
	for _, ns := range up {
		sc.owners.NamespaceIDs = append(sc.owners.NamespaceIDs, ns.ID)
	}
	return s.doraFigures(ctx, sc, c)
}

// GroupDORA computes one DORA figure over the projects of a group and its subgroups (see
// DORAQuery); reporters and above of the group may read it.
func (s *Delivery) GroupDORA(ctx context.Context, a *Actor, groupRef Ref, q DORAQuery) ([]DORAValue, error) {
	if err := a.Require(NeedRead); err != nil {
		return nil, err
	}
	g, level, err := s.visibleGroup(ctx, a, groupRef)
	if err != nil {
		return nil, err
	}
	if err := canReadDORA(a, level); err != nil {
		return nil, err
	}
	c, err := s.checkDORAQuery(q)
	if err != nil {
		return nil, err
	}
	namespaces, projects, err := db.NamespaceTree(ctx, s.db.Read, g.ID)
	if err != nil {
		return nil, err
	}
	up, err := db.NamespaceAncestors(ctx, s.db.Read, g.ID)
	if err != nil {
		return nil, err
	}
	sc := doraScope{under: map[int64][]int64{}}
	parent := map[int64]int64{}
	for _, ns := range namespaces {
		parent[ns.ID] = ns.ParentID
		sc.owners.NamespaceIDs = append(sc.owners.NamespaceIDs, ns.ID)
		sc.under[ns.ID] = nil
	}
	for _, ns := range up {
		sc.owners.NamespaceIDs = append(sc.owners.NamespaceIDs, ns.ID)
	}
	for _, p := range projects {
		sc.projects = append(sc.projects, p.ID)
		sc.owners.ProjectIDs = append(sc.owners.ProjectIDs, p.ID)
		// The tree's root has parent 0 in it, which ends the walk.
		for ns := p.ParentID; ns != 0; ns = parent[ns] {
			sc.under[ns] = append(sc.under[ns], p.ID)
		}
	}
	return s.doraFigures(ctx, sc, c)
}

// doraSources are where a scope's deliveries come from: environments of the tiers, and the
// projects measured by their releases.
type doraSources struct {
	envIDs []int64
	// envProject maps each of envIDs to its project; deployers lists those projects.
	envProject map[int64]int64
	deployers  []int64
	releasers  []int64
}

func (s *Service) doraSources(ctx context.Context, sc doraScope, q doraQuery) (doraSources, error) {
	tiers := q.tiers
	if !q.withReleases {
		// Whether a project deploys to production decides whether releases stand in for it.
		tiers = append(slices.Clone(tiers), TierProduction)
	}
	envs, err := db.DORAEnvironments(ctx, s.db.Read, sc.projects, tiers)
	if err != nil {
		return doraSources{}, err
	}
	src := doraSources{envProject: map[int64]int64{}}
	deploysToProduction, deployer := map[int64]bool{}, map[int64]bool{}
	for _, e := range envs {
		if e.Tier == TierProduction && e.Deployed {
			deploysToProduction[e.ProjectID] = true
		}
		if !slices.Contains(q.tiers, e.Tier) {
			continue
		}
		src.envIDs = append(src.envIDs, e.ID)
		src.envProject[e.ID] = e.ProjectID
		if !deployer[e.ProjectID] {
			deployer[e.ProjectID] = true
			src.deployers = append(src.deployers, e.ProjectID)
		}
	}
	if q.withReleases {
		for _, p := range sc.projects {
			if !deploysToProduction[p] {
				src.releasers = append(src.releasers, p)
			}
		}
	}
	return src, nil
}

// doraFigures computes q's figure over sc.
func (s *Service) doraFigures(ctx context.Context, sc doraScope, q doraQuery) ([]DORAValue, error) {
	src, err := s.doraSources(ctx, sc, q)
	if err != nil {
		return nil, err
	}
	switch q.metric {
	case DORADeploymentFrequency:
		return s.deploymentFrequency(ctx, src, q)
	case DORALeadTimeForChanges:
		return s.leadTimeForChanges(ctx, src, q)
	case DORATimeToRestoreService:
		return s.timeToRestoreService(ctx, sc, q)
	}
	return s.changeFailureRate(ctx, sc, src, q)
}

func (s *Service) deploymentFrequency(ctx context.Context, src doraSources, q doraQuery) ([]DORAValue, error) {
	b := &q.buckets
	counts := make([]int, len(b.dates))
	count := func(_ int64, at time.Time) {
		if i := b.of(at.UnixMilli()); i >= 0 {
			counts[i]++
		}
	}
	if len(src.envIDs) > 0 {
		if err := db.SuccessfulDeployments(ctx, s.db.Read, src.envIDs, q.from, q.to, count); err != nil {
			return nil, err
		}
	}
	if len(src.releasers) > 0 {
		if err := db.Releases(ctx, s.db.Read, src.releasers, q.from, q.to, count); err != nil {
			return nil, err
		}
	}
	return b.values(func(i int) (float64, bool) {
		if q.interval == DORADaily {
			return float64(counts[i]), true
		}
		return float64(counts[i]) / float64(b.days[i]), true
	}), nil
}

// durations collects durations in milliseconds per interval, for medians.
type durations [][]int64

// add records end minus start (Unix milliseconds) in the interval of end; a negative
// duration (clocks that disagree) counts as zero.
func (d durations) add(b *doraBuckets, end, start int64) {
	if i := b.of(end); i >= 0 {
		d[i] = append(d[i], max(0, end-start))
	}
}

// adder is add for b as a callback.
func (d durations) adder(b *doraBuckets) func(end, start int64) {
	return func(end, start int64) { d.add(b, end, start) }
}

// median is the median of interval i in seconds (the mean of the middle two of an even
// count), false when it has no values.
func (d durations) median(i int) (float64, bool) {
	v := d[i]
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return float64(v[n/2]) / 1000, true
	}
	return float64(v[n/2-1]+v[n/2]) / 2000, true
}

func (s *Service) leadTimeForChanges(ctx context.Context, src doraSources, q doraQuery) ([]DORAValue, error) {
	b := &q.buckets
	d := make(durations, len(b.dates))
	if len(src.envIDs) > 0 {
		if err := db.DeploymentLeadTimes(ctx, s.db.Read, src.deployers, src.envIDs, q.from, q.to,
			d.adder(b)); err != nil {
			return nil, err
		}
	}
	if len(src.releasers) > 0 {
		add := func(shipped, committed time.Time) { d.add(b, shipped.UnixMilli(), committed.UnixMilli()) }
		if err := db.ReleaseLeadTimes(ctx, s.db.Read, src.releasers, q.from, q.to, add); err != nil {
			return nil, err
		}
	}
	return b.values(d.median), nil
}

func (s *Service) timeToRestoreService(ctx context.Context, sc doraScope, q doraQuery) ([]DORAValue, error) {
	b := &q.buckets
	d := make(durations, len(b.dates))
	err := db.ResolvedDefects(ctx, s.db.Read, sc.owners, q.from, q.to, func(detected, resolved time.Time) {
		d.add(b, resolved.UnixMilli(), detected.UnixMilli())
	})
	if err != nil {
		return nil, err
	}
	return b.values(d.median), nil
}

func (s *Service) changeFailureRate(ctx context.Context, sc doraScope, src doraSources,
	q doraQuery) ([]DORAValue, error) {
	b := &q.buckets
	// Each project's deliveries in the range, and the first after it.
	shipped := map[int64][]int64{}
	next := map[int64]int64{}
	if len(src.envIDs) > 0 {
		err := db.SuccessfulDeployments(ctx, s.db.Read, src.envIDs, q.from, q.to, func(env int64, at time.Time) {
			p := src.envProject[env]
			shipped[p] = append(shipped[p], at.UnixMilli())
		})
		if err != nil {
			return nil, err
		}
		after, err := db.NextDeployments(ctx, s.db.Read, src.envIDs, q.to)
		if err != nil {
			return nil, err
		}
		for env, at := range after {
			p := src.envProject[env]
			if t, ok := next[p]; !ok || at.UnixMilli() < t {
				next[p] = at.UnixMilli()
			}
		}
	}
	if len(src.releasers) > 0 {
		err := db.Releases(ctx, s.db.Read, src.releasers, q.from, q.to, func(p int64, at time.Time) {
			shipped[p] = append(shipped[p], at.UnixMilli())
		})
		if err != nil {
			return nil, err
		}
		after, err := db.NextReleases(ctx, s.db.Read, src.releasers, q.to)
		if err != nil {
			return nil, err
		}
		for p, at := range after {
			next[p] = at.UnixMilli()
		}
	}
	total, failed := make([]int, len(b.dates)), make([]int, len(b.dates))
	if len(shipped) > 0 {
		defects, err := s.chargedDefects(ctx, sc, q, shipped, next)
		if err != nil {
			return nil, err
		}
		for p, times := range shipped {
			slices.Sort(times)
			found := defects[p]
			slices.Sort(found)
			j := 0
			for i, t := range times {
				until, bounded := next[p], true
				if i+1 < len(times) {
					until = times[i+1]
				} else if _, ok := next[p]; !ok {
					bounded = false
				}
				for j < len(found) && found[j] <= t {
					j++
				}
				k := b.of(t)
				if k < 0 {
					continue
				}
				total[k]++
				if j < len(found) && (!bounded || found[j] <= until) {
					failed[k]++
				}
			}
		}
	}
	return b.values(func(i int) (float64, bool) {
		if total[i] == 0 {
			return 0, false
		}
		return float64(failed[i]) / float64(total[i]), true
	}), nil
}

// chargedDefects returns, for each project that shipped in the range, the detection times (Unix
// milliseconds) of the defects that count for it, detected from the range's start to the
// latest next delivery (no end when a project has none after the range).
func (s *Service) chargedDefects(ctx context.Context, sc doraScope, q doraQuery, shipped map[int64][]int64,
	next map[int64]int64) (map[int64][]int64, error) {
	var until time.Time
	for p := range shipped {
		t, ok := next[p]
		if !ok {
			until = time.Time{}
			break
		}
		// A defect detected at the next delivery's very millisecond still counts.
		if at := time.UnixMilli(t + 1).UTC(); at.After(until) {
			until = at
		}
	}
	out := map[int64][]int64{}
	err := db.DetectedDefects(ctx, s.db.Read, sc.owners, q.from, until, func(d db.DefectDetection) {
		at := d.DetectedAt.UnixMilli()
		if d.ProjectID != 0 {
			if _, ok := shipped[d.ProjectID]; ok {
				out[d.ProjectID] = append(out[d.ProjectID], at)
			}
			return
		}
		below, inTree := sc.under[d.NamespaceID]
		if !inTree {
			for p := range shipped {
				out[p] = append(out[p], at)
			}
			return
		}
		for _, p := range below {
			if _, ok := shipped[p]; ok {
				out[p] = append(out[p], at)
			}
		}
	})
	return out, err
}
