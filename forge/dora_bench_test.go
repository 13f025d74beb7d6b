package forge_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
)

// BenchmarkDORAYearDaily computes a year of daily figures, each of the four, of a project with
// 100,000 successful production deployments in that year (three shipped commits each) and
// 10,000 critical defects (half recorded at the project, half at its group; half of them
// fixed), written with batched SQL.
func BenchmarkDORAYearDaily(b *testing.B) {
	e := newDORAEnv(b)
	prod, err := e.forge.Delivery.CreateEnvironment(e.ctx, e.root, forge.ParseRef(e.shop.FullPath()),
		forge.EnvironmentInput{Name: name("production")})
	if err != nil {
		b.Fatal(err)
	}
	year := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const deployments, commitsEach, defects = 100_000, 3, 10_000
	// A deployment every 315 s fills the year (365 × 86,400 s / 100,000 = 315.36 s).
	const every = int64(315_000)
	t0 := year.UnixMilli()
	err = e.db.Write(e.ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(e.ctx,
			`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
			INSERT INTO deployments (project_id, iid, environment_id, ref, sha, status, created_at, updated_at,
				queued_at, started_at, finished_at)
			SELECT ?, 1000 + i, ?, 'main', printf('%040x', i), 'success', ? + i * ?, ? + i * ?, ? + i * ?, ? + i * ?, ? + i * ? + 60000
			FROM n`, deployments, e.shop.ID, prod.ID, t0, every, t0, every, t0, every, t0, every, t0,
			every); err != nil {
			return err
		}
		// Commits made between one and 49 hours before their deployment finished.
		if _, err := tx.ExecContext(e.ctx,
			`WITH RECURSIVE c(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM c WHERE k + 1 < ?)
			INSERT INTO deployment_commits (deployment_id, sha, authored_at, committed_at, project_id, environment_id, finished_at)
			SELECT d.id, printf('%038x%02d', d.iid, c.k), d.finished_at - 3600000 * (1 + (d.iid * 7 + c.k * 13) % 48),
				d.finished_at - 3600000 * (1 + (d.iid * 7 + c.k * 13) % 48), d.project_id, d.environment_id, d.finished_at
			FROM deployments d, c WHERE d.project_id = ?`, commitsEach, e.shop.ID); err != nil {
			return err
		}
		// A defect every 52.56 minutes; even ones at the project, odd ones at its group.
		if _, err := tx.ExecContext(e.ctx,
			`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
			INSERT INTO critical_defects (namespace_id, project_id, defect_key, detected_at, created_at, updated_at)
			SELECT CASE WHEN i % 2 = 1 THEN ? END, CASE WHEN i % 2 = 0 THEN ? END, 'D-' || i,
				? + i * 3153600, ? + i * 3153600, ? + i * 3153600 FROM n`,
			defects, e.shop.NamespaceID, e.shop.ID, t0, t0, t0); err != nil {
			return err
		}
		// Every other one fixed one to eight hours later (the trigger sets resolved_at).
		_, err := tx.ExecContext(e.ctx,
			`INSERT INTO critical_defect_fixes (defect_id, project_id, sha, released_at, created_at)
			SELECT id, ?, '', detected_at + 3600000 * (1 + id % 8), detected_at FROM critical_defects WHERE id % 2 = 0`, e.shop.ID)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	q := forge.DORAQuery{Start: year, End: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)}
	for _, metric := range []string{forge.DORADeploymentFrequency, forge.DORALeadTimeForChanges,
		forge.DORATimeToRestoreService, forge.DORAChangeFailureRate} {
		b.Run(metric, func(b *testing.B) {
			q.Metric = metric
			for b.Loop() {
				vals, err := e.forge.Delivery.ProjectDORA(e.ctx, e.root, forge.ParseRef(e.shop.FullPath()), q)
				if err != nil || len(vals) != 365 || vals[100].Value == nil {
					b.Fatalf("%d values, err %v", len(vals), err)
				}
			}
		})
	}
}
