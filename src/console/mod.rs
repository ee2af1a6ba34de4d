//! The console's pure side: the page registry behind the navigation (which page, for which
//! roles), session rules (lifetime, tokens, safe redirects), and the view models the pages
//! render (fleet overview rows, plan diffs, finding figures, incident clocks, shadow-run
//! dossiers). No web framework here: the
//! handlers and templates live in `web/`, so these rules are tested without a server.

pub mod alert_view;
pub mod diff;
pub mod findings_chart;
pub mod fleet;
pub mod format;
pub mod incident_view;
pub mod nav;
pub mod session;
pub mod shadow_view;
