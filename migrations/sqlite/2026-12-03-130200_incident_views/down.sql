DROP VIEW vigil_incident_codes;
DROP VIEW vigil_incident_clocks;
DROP VIEW vigil_incident_stages;
DROP VIEW vigil_incident_reports;
