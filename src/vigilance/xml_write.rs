//! The small quick-xml writing steps the vigilance XML writers share (MIR 7.2.1, EUDAMED
//! `mir_2Type` and `mtrType`): open and close an element, write a text leaf, skip an empty one.

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

pub(super) type W = Writer<Vec<u8>>;
pub(super) type R = std::io::Result<()>;

pub(super) fn open(w: &mut W, name: &str) -> R {
    w.write_event(Event::Start(BytesStart::new(name)))
}

pub(super) fn close(w: &mut W, name: &str) -> R {
    w.write_event(Event::End(BytesEnd::new(name)))
}

pub(super) fn leaf(w: &mut W, name: &str, text: &str) -> R {
    w.create_element(name)
        .write_text_content(BytesText::new(text))
        .map(|_| ())
}

/// A leaf only when there is text: blank and absent values are left out.
pub(super) fn opt(w: &mut W, name: &str, text: Option<&str>) -> R {
    match text {
        Some(t) if !t.trim().is_empty() => leaf(w, name, t),
        _ => Ok(()),
    }
}
