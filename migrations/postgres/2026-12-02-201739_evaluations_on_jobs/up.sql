-- Evaluations move onto the generic job queue: each evaluation becomes a job of kind
-- 'evaluation' (payload: model, as_of, trigger; result: the summary), findings point at the
-- job, and the evaluation-specific table goes.
INSERT INTO jobs (id, kind, subject, payload, state, progress_done, progress_total,
    progress_message, requested_by, created_at, started_at, finished_at, attempts, max_attempts,
    next_attempt_at, lease_owner, lease_until, checkpoint, result, result_blob, error,
    cancel_requested)
SELECT id, 'evaluation', model_name,
    json_build_object('model', model_name, 'as_of', as_of, 'trigger', trigger_kind)::TEXT,
    CASE status WHEN 'done' THEN 'succeeded' ELSE status END, 0, 0, NULL, requested_by,
    requested_at, started_at, finished_at, CASE status WHEN 'queued' THEN 0 ELSE 1 END, 1,
    requested_at, runner, lease_until, NULL, summary, NULL, error, FALSE
FROM evaluations;

ALTER TABLE findings DROP CONSTRAINT findings_evaluation_id_fkey;
ALTER TABLE findings ADD CONSTRAINT findings_evaluation_id_fkey
    FOREIGN KEY (evaluation_id) REFERENCES jobs (id);

DROP TABLE evaluations;
