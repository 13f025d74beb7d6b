-- DORA's time to restore service counts the defects resolved in a period: one range of an
-- owner's resolved defects by resolution time, which holds the detection time too, so that the
-- scan never reads the table. (Detection-time ranges, for the change failure rate, use the
-- indexes of 0009.)
CREATE INDEX critical_defects_project_resolved ON critical_defects (project_id, resolved_at, detected_at)
  WHERE project_id IS NOT NULL AND resolved_at IS NOT NULL;
CREATE INDEX critical_defects_namespace_resolved ON critical_defects (namespace_id, resolved_at, detected_at)
  WHERE namespace_id IS NOT NULL AND resolved_at IS NOT NULL;
