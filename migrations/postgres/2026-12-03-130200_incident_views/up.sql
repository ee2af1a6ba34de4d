-- Views the "Alerts and incidents" dashboard reads (documented in README's Operations
-- section): where each incident's report sequence stands, its reporting clock, its IMDRF codes
-- and the time from awareness to the report. No free text, no patient data: ids, codes, days.

-- Every generated report: stage, when generated, and the submission a person recorded.
CREATE VIEW vigil_incident_reports AS
SELECT r.incident_id AS incident_id, r.seq AS seq, r.stage AS stage,
       ds.basic_udi_di AS device, i.awareness_day AS awareness_day, r.created_at AS created_at,
       CAST(r.submission AS json) ->> 'submitted_on' AS submitted_on,
       CASE WHEN r.stage IN ('initial', 'combined_initial_final') THEN 1 ELSE 0 END AS first_stage,
       CAST(CAST(r.submission AS json) ->> 'submitted_on' AS date) - CAST(i.awareness_day AS date) AS days_from_awareness
FROM incident_reports r
JOIN incidents i ON i.id = r.incident_id
LEFT JOIN device_software ds ON ds.model_id = i.model_id;

-- One row per incident: its device and where its report sequence stands (`stage`: the latest
-- report's stage, else `classified`, `assessed_not_reportable` or `awaiting_classification`);
-- open until a final or combined report exists.
CREATE VIEW vigil_incident_stages AS
SELECT i.id AS incident_id, m.name AS model, m.version AS version, ds.basic_udi_di AS device,
       i.reporting_country AS reporting_country, i.awareness_day AS awareness_day,
       i.created_at AS created_at, r.seq AS report_seq,
       CASE WHEN r.stage IS NOT NULL THEN r.stage
            WHEN c.kind IS NULL THEN 'awaiting_classification'
            WHEN c.kind = 'not_reportable' THEN 'assessed_not_reportable'
            ELSE 'classified' END AS stage,
       CASE WHEN EXISTS (SELECT 1 FROM incident_reports f
                         WHERE f.incident_id = i.id AND f.stage IN ('final_reportable', 'final_non_reportable', 'combined_initial_final'))
            THEN 0 ELSE 1 END AS is_open
FROM incidents i
JOIN models m ON m.id = i.model_id
LEFT JOIN device_software ds ON ds.model_id = i.model_id
LEFT JOIN incident_reports r ON r.incident_id = i.id
     AND r.seq = (SELECT MAX(x.seq) FROM incident_reports x WHERE x.incident_id = i.id)
LEFT JOIN incident_clock_events c ON c.incident_id = i.id
     AND c.seq = (SELECT MAX(y.seq) FROM incident_clock_events y WHERE y.incident_id = i.id);

-- The reporting clock of each incident's current period (as the API's `clock`): the period's
-- day 0, seriousness, due day (the earliest of the period), the first initial or combined
-- report submitted in it, the state and the days left (negative: overdue).
CREATE VIEW vigil_incident_clocks AS
SELECT k.incident_id AS incident_id, k.device AS device, k.reporting_country AS reporting_country,
       k.is_open AS is_open, k.period_start AS period_start, k.seriousness AS seriousness,
       k.due_day AS due_day, k.reported_on AS reported_on,
       CASE WHEN k.last_kind = 'not_reportable' THEN 'not_reportable'
            WHEN k.due_day IS NULL THEN 'awaiting_classification'
            WHEN k.reported_on IS NOT NULL THEN 'reported'
            WHEN CURRENT_DATE > CAST(k.due_day AS date) THEN 'overdue'
            ELSE 'due' END AS state,
       CAST(k.due_day AS date) - CURRENT_DATE AS days_left
FROM (
    SELECT s.incident_id AS incident_id, s.device AS device,
           s.reporting_country AS reporting_country, s.is_open AS is_open,
           COALESCE(l.awareness_day, s.awareness_day) AS period_start,
           l.kind AS last_kind, l.seriousness AS seriousness,
           CASE WHEN l.kind = 'not_reportable' THEN NULL
                ELSE (SELECT MIN(e.due_day) FROM incident_clock_events e
                      WHERE e.incident_id = s.incident_id
                        AND NOT EXISTS (SELECT 1 FROM incident_clock_events n
                                        WHERE n.incident_id = e.incident_id
                                          AND n.kind = 'reassessed' AND n.seq > e.seq))
           END AS due_day,
           (SELECT MIN(p.submitted_on) FROM vigil_incident_reports p
            WHERE p.incident_id = s.incident_id AND p.first_stage = 1
              AND p.submitted_on >= COALESCE(l.awareness_day, s.awareness_day)) AS reported_on
    FROM vigil_incident_stages s
    LEFT JOIN incident_clock_events l ON l.incident_id = s.incident_id
         AND l.seq = (SELECT MAX(x.seq) FROM incident_clock_events x
                      WHERE x.incident_id = s.incident_id)
) k;

-- The IMDRF codes of each incident's latest report, one row per code, with its annex.
CREATE VIEW vigil_incident_codes AS
SELECT s.incident_id AS incident_id, s.model AS model, s.version AS version,
       s.device AS device, c.annex AS annex, c.code AS code
FROM vigil_incident_stages s
JOIN incident_reports r ON r.incident_id = s.incident_id AND r.seq = s.report_seq
CROSS JOIN LATERAL (
    SELECT 'A' AS annex, value AS code FROM json_array_elements_text(CAST(r.fields AS json) -> 'device_problem_codes')
    UNION ALL SELECT 'B' AS annex, value AS code FROM json_array_elements_text(CAST(r.fields AS json) -> 'investigation_type_codes')
    UNION ALL SELECT 'C' AS annex, value AS code FROM json_array_elements_text(CAST(r.fields AS json) -> 'investigation_finding_codes')
    UNION ALL SELECT 'D' AS annex, value AS code FROM json_array_elements_text(CAST(r.fields AS json) -> 'investigation_conclusion_codes')
    UNION ALL SELECT 'E' AS annex, value AS code FROM json_array_elements_text(CAST(r.fields AS json) -> 'clinical_codes')
    UNION ALL SELECT 'F' AS annex, value AS code FROM json_array_elements_text(CAST(r.fields AS json) -> 'health_impact_codes')
    UNION ALL SELECT 'G' AS annex, value AS code FROM json_array_elements_text(CAST(r.fields AS json) -> 'component_codes')
) c;
