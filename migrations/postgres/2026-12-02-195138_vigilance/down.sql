DROP TABLE incident_reports;
DROP TABLE incident_clock_events;
DROP TABLE incidents;
DROP TABLE device_software;
DROP TABLE devices;
