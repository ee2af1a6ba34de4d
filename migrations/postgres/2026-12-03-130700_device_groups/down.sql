DROP TABLE device_group_versions;
