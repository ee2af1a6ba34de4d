//! Where the words of a report PDF lie on its pages (`pdftotext -bbox`), to check the layout:
//! text that runs over its table cell, off the page or into other text shows up as a word box
//! beyond an edge or two boxes that intersect.

use std::process::Command;

/// One word of a page and its box in PDF points, origin top left.
#[derive(Debug, Clone)]
pub struct Word {
    pub text: String,
    pub x_min: f64,
    pub y_min: f64,
    pub x_max: f64,
    pub y_max: f64,
}

impl Word {
    /// Whether the two boxes share area (touching edges and a tolerance of 0.5 pt do not
    /// count: pdftotext's boxes of neighbouring words may meet).
    pub fn overlaps(&self, other: &Word) -> bool {
        let tol = 0.5;
        self.x_min + tol < other.x_max
            && other.x_min + tol < self.x_max
            && self.y_min + tol < other.y_max
            && other.y_min + tol < self.y_max
    }
}

/// A page's size and words.
#[derive(Debug, Clone)]
pub struct Page {
    pub width: f64,
    pub words: Vec<Word>,
}

fn attr(tag: &str, name: &str) -> f64 {
    let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    let len = tag[start..].find('"').unwrap();
    tag[start..start + len].parse().unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The pages of `pdf` with their words, in reading order.
pub fn pages(pdf: &[u8]) -> Vec<Page> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-bbox")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    let html = String::from_utf8(out.stdout).unwrap();
    let mut pages: Vec<Page> = Vec::new();
    for line in html.lines().map(str::trim) {
        if line.starts_with("<page ") {
            pages.push(Page {
                width: attr(line, "width"),
                words: Vec::new(),
            });
        } else if let Some(rest) = line.strip_prefix("<word ") {
            let close = rest.find('>').unwrap();
            let text = rest[close + 1..].trim_end_matches("</word>");
            let page = pages.last_mut().unwrap();
            page.words.push(Word {
                text: unescape(text),
                x_min: attr(rest, "xMin"),
                y_min: attr(rest, "yMin"),
                x_max: attr(rest, "xMax"),
                y_max: attr(rest, "yMax"),
            });
        }
    }
    pages
}

/// The words' texts in reading order (top to bottom, then left to right), joined by `sep`.
pub fn text_of(words: &[&Word], sep: &str) -> String {
    let mut w = words.to_vec();
    w.sort_by(|a, b| (a.y_min, a.x_min).partial_cmp(&(b.y_min, b.x_min)).unwrap());
    w.iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(sep)
}

/// The words of the table titled `Table <number>` (e.g. `T1:`): those below the title and
/// above its provenance line (`Source: ...`), on the first page that has the title.
pub fn table_words<'a>(pages: &'a [Page], number: &str) -> Vec<&'a Word> {
    let (page, title) = pages
        .iter()
        .find_map(|p| {
            let at = p
                .words
                .windows(2)
                .position(|w| w[0].text == "Table" && w[1].text == number)?;
            Some((p, at + 1))
        })
        .unwrap_or_else(|| panic!("no page with Table {number}"));
    let top = page.words[title].y_max;
    let bottom = page.words[title..]
        .iter()
        .find(|w| w.text == "Source:")
        .expect("the table's provenance line")
        .y_min;
    page.words
        .iter()
        .filter(|w| w.y_min > top && w.y_max < bottom)
        .collect()
}

/// Panics, naming the page and words, when a word lies outside `margin` points from the
/// page's left and right edges or when two words' boxes intersect.
pub fn assert_words_apart_and_inside(pages: &[Page], margin: f64) {
    for (n, page) in pages.iter().enumerate() {
        for (i, w) in page.words.iter().enumerate() {
            assert!(
                w.x_min >= margin - 0.5 && w.x_max <= page.width - margin + 0.5,
                "page {}: {:?} runs past the text area ({margin} pt margins)",
                n + 1,
                w
            );
            for v in &page.words[i + 1..] {
                assert!(!w.overlaps(v), "page {}: {w:?} overlaps {v:?}", n + 1);
            }
        }
    }
}
