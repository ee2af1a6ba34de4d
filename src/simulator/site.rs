//! Simulated sites: a fixed profile per site (country, scanner, acquisition protocol) drawn
//! from the seed's profile stream of that site. Sites differ in scanner and protocol only;
//! their feature distributions are the shared in-control ones (see `demo`).

use rand::Rng;

use super::sample::{self, profile_stream};
use crate::domain::event::Scanner;

/// CT scanners in clinical use, as DICOM spells manufacturer and model.
pub const SCANNERS: [(&str, &str); 9] = [
    ("SIEMENS", "SOMATOM Force"),
    ("SIEMENS", "SOMATOM Definition AS+"),
    ("SIEMENS", "SOMATOM go.Top"),
    ("GE MEDICAL SYSTEMS", "Revolution CT"),
    ("GE MEDICAL SYSTEMS", "Optima CT660"),
    ("Philips", "IQon Spectral CT"),
    ("Philips", "Ingenuity CT"),
    ("CANON MEDICAL SYSTEMS", "Aquilion ONE"),
    ("CANON MEDICAL SYSTEMS", "Aquilion Prime SP"),
];

/// Reconstructed slice thicknesses of abdominal protocols, mm.
pub const SLICE_THICKNESSES_MM: [f64; 4] = [1.0, 1.25, 2.5, 3.0];

/// Tube voltages, kVp.
pub const KVPS: [f64; 2] = [100.0, 120.0];

const COUNTRIES: [&str; 10] = ["DE", "FR", "NL", "BE", "AT", "IT", "ES", "SE", "DK", "PL"];

/// A site's acquisition protocol.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Protocol {
    pub slice_thickness_mm: f64,
    /// Typical in-plane pixel spacing; each case varies around it with the field of view.
    pub pixel_spacing_mm: f64,
    pub kvp: f64,
}

/// The fixed profile of one simulated site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteProfile {
    /// 1-based site number.
    pub number: u32,
    /// `sim-site-01`, `sim-site-02`, ...
    pub id: String,
    pub name: String,
    pub country: String,
    pub scanner: Scanner,
    pub protocol: Protocol,
}

/// The id of site `number` (1-based): `sim-site-01`, ...
pub fn site_id(number: u32) -> String {
    format!("sim-site-{number:02}")
}

/// Draw a protocol from the fleet's mix (also used for the reference sample's rows).
pub fn draw_protocol(rng: &mut impl Rng) -> Protocol {
    let thickness = SLICE_THICKNESSES_MM[rng.random_range(0..SLICE_THICKNESSES_MM.len())];
    let spacing = rng.random_range(0.6..0.9_f64);
    Protocol {
        slice_thickness_mm: thickness,
        pixel_spacing_mm: (spacing * 1000.0).round() / 1000.0,
        kvp: KVPS[rng.random_range(0..KVPS.len())],
    }
}

/// The profile of site `number` under `seed`.
pub fn site_profile(seed: u64, number: u32) -> SiteProfile {
    let mut rng = profile_stream(seed, number);
    let (manufacturer, model) = SCANNERS[rng.random_range(0..SCANNERS.len())];
    let country = COUNTRIES[rng.random_range(0..COUNTRIES.len())];
    let protocol = draw_protocol(&mut rng);
    SiteProfile {
        number,
        id: site_id(number),
        name: format!("Simulated hospital {number:02}"),
        country: country.into(),
        scanner: Scanner {
            manufacturer: manufacturer.into(),
            model: model.into(),
        },
        protocol,
    }
}

/// A case's pixel spacing: the protocol's, varied by the field of view (SD 0.03 mm).
pub fn case_pixel_spacing(rng: &mut impl Rng, protocol: &Protocol) -> f64 {
    let v = sample::normal(rng, protocol.pixel_spacing_mm, 0.03).clamp(0.5, 1.0);
    (v * 1000.0).round() / 1000.0
}
