//! The page registry: every console page that appears in the navigation, with the roles that
//! may open it. A capability that lands later adds one entry here and one handler module in
//! `web/`; the navigation and the role checks follow from it.

use crate::domain::Role;

/// One navigation entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Stable key, also used to mark the current page.
    pub key: &'static str,
    pub path: &'static str,
    pub label: &'static str,
    /// Roles that may open the page (admin only where named: segregation of duties).
    pub roles: &'static [Role],
}

const READERS: &[Role] = &[Role::Quality, Role::Regulatory, Role::Ml, Role::Admin];
const QUALITY_READERS: &[Role] = &[Role::Quality, Role::Regulatory, Role::Admin];

/// Every page in navigation order.
pub const PAGES: &[Page] = &[
    Page {
        key: "fleet",
        path: "/console",
        label: "Fleet",
        roles: READERS,
    },
    Page {
        key: "alerts",
        path: "/console/alerts",
        label: "Alerts",
        roles: QUALITY_READERS,
    },
    Page {
        key: "incidents",
        path: "/console/incidents",
        label: "Incidents",
        roles: QUALITY_READERS,
    },
    Page {
        key: "reports",
        path: "/console/reports",
        label: "Reports",
        roles: QUALITY_READERS,
    },
    Page {
        key: "models",
        path: "/console/models",
        label: "Models",
        roles: READERS,
    },
    Page {
        key: "shadow",
        path: "/console/shadow-runs",
        label: "Shadow runs",
        roles: READERS,
    },
    Page {
        key: "audit",
        path: "/console/audit",
        label: "Audit log",
        roles: QUALITY_READERS,
    },
    Page {
        key: "admin",
        path: "/console/admin",
        label: "Sites & users",
        roles: ADMINS,
    },
];

/// Roles that manage sites, users and keys.
pub const ADMINS: &[Role] = &[Role::Admin];

/// Roles allowed to act on alerts (acknowledge, resolve, escalate), as in the API.
pub const ALERT_ACTORS: &[Role] = &[Role::Quality];

/// Roles allowed to classify an incident (and so start or stop its clock), as in the API.
pub const INCIDENT_CLASSIFIERS: &[Role] = &[Role::Quality];

/// Roles allowed to add a report stage and record its submission, as in the API.
pub const INCIDENT_REPORTERS: &[Role] = &[Role::Quality, Role::Regulatory];

/// Roles allowed to request and approve MDR reports and edit their narratives, as in the API.
pub const REPORT_ACTORS: &[Role] = &[Role::Regulatory];

/// Roles allowed to start shadow runs and promote a model version, as in the API.
pub const SHADOW_ACTORS: &[Role] = &[Role::Ml];

/// Whether `role` may use something open to `roles` (admin only where named).
pub fn allows(roles: &[Role], role: Role) -> bool {
    roles.contains(&role)
}

/// The registered page with this key.
pub fn page(key: &str) -> Option<&'static Page> {
    PAGES.iter().find(|p| p.key == key)
}

/// The pages `role` sees in the navigation.
pub fn visible(role: Role) -> impl Iterator<Item = &'static Page> {
    PAGES.iter().filter(move |p| allows(p.roles, role))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(role: Role) -> Vec<&'static str> {
        visible(role).map(|p| p.key).collect()
    }

    #[test]
    fn each_role_sees_only_its_pages() {
        assert_eq!(
            keys(Role::Admin),
            [
                "fleet",
                "alerts",
                "incidents",
                "reports",
                "models",
                "shadow",
                "audit",
                "admin"
            ]
        );
        let quality = [
            "fleet",
            "alerts",
            "incidents",
            "reports",
            "models",
            "shadow",
            "audit",
        ];
        assert_eq!(keys(Role::Quality), quality);
        assert_eq!(keys(Role::Regulatory), quality);
        assert_eq!(keys(Role::Ml), ["fleet", "models", "shadow"]);
    }

    #[test]
    fn only_quality_acts_on_alerts() {
        assert!(allows(ALERT_ACTORS, Role::Quality));
        assert!(!allows(ALERT_ACTORS, Role::Admin));
        assert!(!allows(ALERT_ACTORS, Role::Regulatory));
        assert!(!allows(ALERT_ACTORS, Role::Ml));
    }

    #[test]
    fn incident_and_shadow_actions_follow_the_api_roles() {
        assert!(allows(INCIDENT_CLASSIFIERS, Role::Quality));
        assert!(!allows(INCIDENT_CLASSIFIERS, Role::Regulatory));
        assert!(allows(INCIDENT_REPORTERS, Role::Regulatory));
        assert!(!allows(INCIDENT_REPORTERS, Role::Ml));
        assert!(allows(REPORT_ACTORS, Role::Regulatory));
        assert!(!allows(REPORT_ACTORS, Role::Quality));
        assert!(!allows(REPORT_ACTORS, Role::Admin));
        assert!(allows(SHADOW_ACTORS, Role::Ml));
        assert!(!allows(SHADOW_ACTORS, Role::Quality));
    }

    #[test]
    fn every_page_path_is_under_the_console_and_keys_are_unique() {
        for (i, p) in PAGES.iter().enumerate() {
            assert!(p.path.starts_with("/console"), "{}", p.path);
            assert!(PAGES[i + 1..].iter().all(|q| q.key != p.key));
            assert_eq!(page(p.key), Some(p));
        }
    }
}
