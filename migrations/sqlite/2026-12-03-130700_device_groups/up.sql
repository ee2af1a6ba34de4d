-- PSUR device groups (MDCG 2022-21: devices grouped under a leading device, which sets the
-- schedule): every change of a group is a new version (members, justification, who, when),
-- so a PSUR's section 4 states the changes since the previous PSUR from the versions.
CREATE TABLE device_group_versions (
    leading_udi_di TEXT NOT NULL REFERENCES devices (basic_udi_di),
    version BIGINT NOT NULL,
    members TEXT NOT NULL,
    justification TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (leading_udi_di, version)
);
