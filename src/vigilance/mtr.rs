//! The manufacturer trend report (Art. 88) as EUDAMED DTX `mtrType` XML (root `mtrElement`,
//! namespace `.../Entity/Vigilance/v1`), written with quick-xml in the element order of the
//! XSD's sequences. Pure: it takes the trend signal's facts and the device, returns bytes.
//!
//! The DTX schema leaves its enumerations (report type, scope, trend basis, device category,
//! issuing entity, countries, IMDRF codes) to EUDAMED's enumeration service, so validation with
//! `xmllint --schema` checks the structure and types, not those values: the values written here
//! (`ENUMERATION_VALUES`) are Vigil's reading of the MTR form and must be mapped to EUDAMED's
//! codes before a machine-to-machine submission. Sections the schema makes all-or-nothing are
//! left out when Vigil lacks their data: device information without a notified body number,
//! the Annex E/F block unless the class names codes of both annexes.

use chrono::{DateTime, NaiveDate, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};

use super::device::Device;

use super::xml_write::{R, W, close, leaf, open};

pub const NAMESPACE: &str = "https://ec.europa.eu/tools/eudamed/dtx/datamodel/Entity/Vigilance/v1";
/// The namespace of the base types (identifiers, documents), prefixed `base:`.
pub const BASE_NAMESPACE: &str =
    "https://ec.europa.eu/tools/eudamed/dtx/datamodel/Entity/Vigilance";

/// The enumeration values this writer uses, by element (see the module comment).
pub const ENUMERATION_VALUES: &[(&str, &str)] = &[
    ("reportType", "INITIAL"),
    ("deviceScopeType", "DEVICE"),
    ("trendReportBasis", "FREQUENCY"),
    ("trendReportBasisIncreased", "INCIDENTS_NOT_SERIOUS"),
    ("deviceCategory", "MDR"),
    ("issuingAgency", "GS1"),
];

/// EEA countries with Switzerland, Turkey and Northern Ireland (the MTR's EU-extended list).
const EU_EXTENDED: &[&str] = &[
    "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK", "TR",
    "XI",
];

/// Everything one trend report's XML needs.
pub struct MtrInput<'a> {
    pub created_at: DateTime<Utc>,
    pub identified: NaiveDate,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// ISO 3166 alpha-2 codes of the countries whose sites contributed events.
    pub countries: &'a [String],
    pub device: Option<&'a Device>,
    /// The generated statement of the signal (method, counts, expected rate and its source).
    pub background: &'a str,
    pub imdrf_codes: &'a [String],
    /// File name and archive URI of the attached trend document (the JSON/PDF report).
    pub document: Option<(&'a str, &'a str)>,
}

fn ordinal(w: &mut W, name: &str, n: usize, text: &str) -> R {
    w.create_element(name)
        .with_attribute(("ordinal", n.to_string().as_str()))
        .write_text_content(BytesText::new(text))
        .map(|_| ())
}

fn enum_value(element: &str) -> &'static str {
    ENUMERATION_VALUES
        .iter()
        .find(|(e, _)| *e == element)
        .map_or("", |(_, v)| v)
}

/// The `mtrElement` document for `input`.
pub fn write_mtr(input: &MtrInput<'_>) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut root = BytesStart::new("mtrElement");
    root.push_attribute(("xmlns", NAMESPACE));
    root.push_attribute(("xmlns:base", BASE_NAMESPACE));
    root.push_attribute(("version", "1"));
    w.write_event(Event::Start(root))?;
    open(&mut w, "mtr")?;
    admin(&mut w, input)?;
    if let Some(d) = input.device.filter(|d| d.notified_body.is_some()) {
        device(&mut w, d)?;
    }
    details(&mut w, input)?;
    close(&mut w, "mtr")?;
    close(&mut w, "mtrElement")?;
    Ok(w.into_inner())
}

fn admin(w: &mut W, input: &MtrInput<'_>) -> R {
    open(w, "administrativeInformation")?;
    open(w, "adminInfoSection")?;
    leaf(w, "reportType", enum_value("reportType"))?;
    open(w, "dateOfIncidentTrendSection")?;
    leaf(w, "dateTrendIdentified", &input.identified.to_string())?;
    leaf(w, "startDateTrendPeriod", &input.period_from.to_string())?;
    leaf(w, "endDateTrendPeriod", &input.period_to.to_string())?;
    close(w, "dateOfIncidentTrendSection")?;
    leaf(w, "deviceScopeType", enum_value("deviceScopeType"))?;
    leaf(w, "trendReportBasis", enum_value("trendReportBasis"))?;
    leaf(
        w,
        "trendReportBasisIncreased",
        enum_value("trendReportBasisIncreased"),
    )?;
    leaf(w, "hasDetectedInvestigation", "false")?;
    let (eu, other): (Vec<&String>, Vec<&String>) = input
        .countries
        .iter()
        .partition(|c| EU_EXTENDED.contains(&c.as_str()));
    if !eu.is_empty() {
        open(w, "affectedCountrySection")?;
        for c in &eu {
            leaf(w, "affectedEuExtendedCountries", c)?;
        }
        for (i, c) in other.iter().enumerate() {
            ordinal(w, "otherNonEuCountries", i + 1, c)?;
        }
        close(w, "affectedCountrySection")?;
    }
    close(w, "adminInfoSection")?;
    close(w, "administrativeInformation")
}

fn device(w: &mut W, d: &Device) -> R {
    open(w, "deviceInformation")?;
    open(w, "deviceInformationSection")?;
    leaf(w, "deviceCategory", enum_value("deviceCategory"))?;
    close(w, "deviceInformationSection")?;
    open(w, "basic_udi_Section")?;
    w.create_element("deviceNotinEUDAMED_BUDI")
        .with_attribute(("ordinal", "1"))
        .write_inner_content(|w| {
            leaf(w, "base:udiDiCode", &d.basic_udi_di)?;
            leaf(w, "base:issuingAgency", enum_value("issuingAgency"))
        })?;
    close(w, "basic_udi_Section")?;
    open(w, "mtr_mdr_Section")?;
    leaf(w, "deviceRiskClass_mdr", d.mdr_class.mir_value())?;
    close(w, "mtr_mdr_Section")?;
    if let Some(nb) = &d.notified_body {
        ordinal(w, "nbNumber", 1, nb)?;
    }
    close(w, "deviceInformation")
}

fn details(w: &mut W, input: &MtrInput<'_>) -> R {
    open(w, "trendDetails")?;
    open(w, "trendDetailsSection")?;
    leaf(w, "backGroundInformation", input.background)?;
    close(w, "trendDetailsSection")?;
    let annex = |letter: char| -> Vec<&String> {
        input
            .imdrf_codes
            .iter()
            .filter(|c| c.starts_with(letter))
            .collect()
    };
    let (a, e, f) = (annex('A'), annex('E'), annex('F'));
    if !a.is_empty() || (!e.is_empty() && !f.is_empty()) {
        open(w, "codedInformationSection")?;
        if !a.is_empty() {
            open(w, "imdrfAnnexASection")?;
            for (i, c) in a.iter().enumerate() {
                ordinal(w, "imdrfCodeAnnexA", i + 1, c)?;
            }
            close(w, "imdrfAnnexASection")?;
        }
        if !e.is_empty() && !f.is_empty() {
            open(w, "imdrfAnnexEFSection")?;
            for (i, c) in e.iter().enumerate() {
                ordinal(w, "imdrfCodeAnnexE", i + 1, c)?;
            }
            for (i, c) in f.iter().enumerate() {
                ordinal(w, "imdrfCodeAnnexF", i + 1, c)?;
            }
            close(w, "imdrfAnnexEFSection")?;
        }
        close(w, "codedInformationSection")?;
    }
    if let Some((name, uri)) = input.document {
        open(w, "trendDocument")?;
        leaf(w, "base:FileName", name)?;
        leaf(w, "base:FileURI", uri)?;
        close(w, "trendDocument")?;
    }
    let comment = "Draft generated by Vigil from post-market monitoring data. Root-cause \
                   analysis and risk-reduction actions are to be written by the manufacturer.";
    leaf(w, "generalComments", comment)?;
    close(w, "trendDetails")
}
