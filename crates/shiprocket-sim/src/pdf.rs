//! Minimal, dependency-free PDF 1.4 writer for shipping documents (labels,
//! manifests, invoices) with an optional Code 128 barcode.
//!
//! Output uses the standard Type1 fonts Helvetica / Helvetica-Bold with
//! WinAnsiEncoding and uncompressed content streams, so the files need no
//! embedded fonts and text-extraction tools (and tests) can find the strings.

use std::fmt::Write as _;

/// A document to render: a bold title, body lines and an optional barcode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// Printed in Helvetica-Bold at the top of the first page.
    pub title: String,
    /// Body lines, printed in order; long lines are word-wrapped.
    pub lines: Vec<String>,
    /// Text encoded as a Code 128 barcode (with the text printed under it),
    /// drawn below the title on the first page.
    pub barcode: Option<String>,
}

/// Page geometry in PDF points (1/72 inch).
#[derive(Clone, Copy)]
struct PageSize {
    w: f32,
    h: f32,
    margin: f32,
}

/// 4×6 inch thermal label: the usual courier label size.
const LABEL: PageSize = PageSize { w: 288.0, h: 432.0, margin: 14.0 };
/// A4, used (with page breaks) when the content does not fit on one label.
const A4: PageSize = PageSize { w: 595.0, h: 842.0, margin: 36.0 };
const TITLE_SIZE: f32 = 14.0;
const TITLE_LEAD: f32 = 18.0;
const BODY_SIZE: f32 = 9.0;
const BODY_LEAD: f32 = 12.0;
/// Helvetica-Bold is wider than Helvetica; over-estimate so titles never overflow.
const BOLD_FACTOR: f32 = 1.1;
const BAR_HEIGHT: f32 = 48.0;
/// Quiet zone on each side of the barcode, in modules (the spec minimum is 10).
const QUIET: usize = 10;
/// Cap on the module width so short codes do not become absurdly wide.
const MAX_MODULE: f32 = 2.0;

/// Renders `doc` as a complete PDF 1.4 file.
///
/// Uses one 4×6" label page when everything fits on it, otherwise A4 pages
/// with automatic page breaks (the title and barcode go on the first page).
/// Characters outside Latin-1 are printed as `?` since the standard fonts
/// cannot show them. A barcode whose text is not Code 128-B encodable is
/// skipped, but its text is still printed.
pub fn render(doc: &Document) -> Vec<u8> {
    let bars = doc.barcode.as_deref().and_then(code128_modules);
    let mut page = LABEL;
    let mut pages = layout(doc, bars.as_deref(), page);
    if pages.len() > 1 {
        page = A4;
        pages = layout(doc, bars.as_deref(), page);
    }
    assemble(&pages, page, &encode(&doc.title))
}

/// Lays the document out on pages of `page` size, returning one content
/// stream per page.
fn layout(doc: &Document, bars: Option<&[bool]>, page: PageSize) -> Vec<String> {
    let width = page.w - 2.0 * page.margin;
    let top = page.h - page.margin;
    let mut pages = Vec::new();
    let mut out = String::new();
    let mut y = top;
    if !doc.title.is_empty() {
        for line in wrap(&encode(&doc.title), TITLE_SIZE * BOLD_FACTOR, width) {
            y -= TITLE_LEAD;
            text(&mut out, "F2", TITLE_SIZE, page.margin, y, &line);
        }
    }
    if let Some(code) = &doc.barcode {
        y -= 6.0 + BAR_HEIGHT;
        if let Some(modules) = bars {
            draw_bars(&mut out, modules, page, y);
        }
        y -= BODY_LEAD;
        let label = encode(code);
        let x = (page.w - text_width(&label, BODY_SIZE)) / 2.0;
        text(&mut out, "F1", BODY_SIZE, x.max(page.margin), y, &label);
        y -= 6.0;
    }
    for source in &doc.lines {
        for line in wrap(&encode(source), BODY_SIZE, width) {
            if y - BODY_LEAD < page.margin {
                pages.push(std::mem::take(&mut out));
                y = top;
            }
            y -= BODY_LEAD;
            text(&mut out, "F1", BODY_SIZE, page.margin, y, &line);
        }
    }
    pages.push(out);
    pages
}

/// Emits one self-contained text object; a `BT … ET` per line keeps the
/// output trivially parseable by extractors.
fn text(out: &mut String, font: &str, size: f32, x: f32, y: f32, line: &[u8]) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "BT /{font} {size} Tf {x:.2} {y:.2} Td ({}) Tj ET", escape(line));
}

/// Draws the barcode as filled rectangles, centred, bottom edge at `y`.
fn draw_bars(out: &mut String, modules: &[bool], page: PageSize, y: f32) {
    let total = (modules.len() + 2 * QUIET) as f32;
    let module = ((page.w - 2.0 * page.margin) / total).min(MAX_MODULE);
    let x0 = (page.w - total * module) / 2.0 + QUIET as f32 * module;
    out.push_str("0 g\n");
    let mut pos = 0;
    for run in modules.chunk_by(|a, b| a == b) {
        if run[0] {
            let (x, w) = (x0 + pos as f32 * module, run.len() as f32 * module);
            let _ = writeln!(out, "{x:.3} {y:.2} {w:.3} {BAR_HEIGHT:.2} re");
        }
        pos += run.len();
    }
    out.push_str("f\n");
}

/// Maps text to WinAnsi bytes: Latin-1 passes through, tabs become spaces,
/// control characters and anything beyond U+00FF become `?`.
fn encode(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '\t' => b' ',
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => c as u8,
            _ => b'?',
        })
        .collect()
}

/// Escapes bytes for a PDF literal string; non-ASCII bytes become octal
/// escapes so the content stream stays 7-bit clean.
fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'(' | b')' | b'\\' => {
                s.push('\\');
                s.push(b as char);
            }
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\{b:03o}");
            }
        }
    }
    s
}

/// Helvetica advance widths (1/1000 em) for ASCII 32..=126, from the AFM.
const HELVETICA_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // sp-/
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0-?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @-O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P-_
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `-o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p-~
];

/// Width of one WinAnsi byte in points; Latin-1 letters use a typical width.
fn glyph_width(b: u8, size: f32) -> f32 {
    let units = match b {
        32..=126 => HELVETICA_WIDTHS[usize::from(b - 32)],
        _ => 556,
    };
    f32::from(units) * size / 1000.0
}

fn text_width(bytes: &[u8], size: f32) -> f32 {
    bytes.iter().map(|&b| glyph_width(b, size)).sum()
}

/// Greedy word wrap to `max` points; words longer than a line are split.
/// Always returns at least one (possibly empty) line so blank lines keep
/// their vertical space.
fn wrap(text: &[u8], size: f32, max: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    for (i, word) in text.split(|&b| b == b' ').enumerate() {
        if i > 0 {
            let sep = if cur.is_empty() { 0.0 } else { glyph_width(b' ', size) };
            if !cur.is_empty() && text_width(&cur, size) + sep + text_width(word, size) > max {
                lines.push(std::mem::take(&mut cur));
            } else {
                cur.push(b' ');
            }
        }
        for &b in word {
            if !cur.is_empty() && text_width(&cur, size) + glyph_width(b, size) > max {
                lines.push(std::mem::take(&mut cur));
            }
            cur.push(b);
        }
    }
    lines.push(cur);
    lines
}

/// Serialises the page content streams into a PDF with an exact xref table.
fn assemble(pages: &[String], page: PageSize, title: &[u8]) -> Vec<u8> {
    // Object numbers: 1 catalog, 2 page tree, 3/4 fonts, 5 info, then a
    // (page, content) pair per page starting at 6.
    let kids: Vec<String> = (0..pages.len()).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
    let font = |name: &str| format!("<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>");
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()),
        font("Helvetica"),
        font("Helvetica-Bold"),
        format!("<< /Producer (simpdf) /Title ({}) >>", escape(title)),
    ];
    for (i, content) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] \
             /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
            page.w,
            page.h,
            7 + 2 * i
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()));
    }
    // The binary comment marks the file as binary for transfer tools.
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    // Each xref entry is exactly 20 bytes: "oooooooooo ggggg n \n".
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        let _ = writeln!(tail, "{off:010} 00000 n ");
    }
    let _ =
        write!(tail, "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
    out.extend_from_slice(tail.as_bytes());
    out
}

/// Code 128 symbol patterns as bar/space widths (bar first), values 0..=105
/// plus the stop pattern (106), which has a final 2-module termination bar.
const PATTERNS: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", // 0
    "132212", "221213", "221312", "231212", "112232", "122132", "122231", "113222", // 8
    "123122", "123221", "223211", "221132", "221231", "213212", "223112", "312131", // 16
    "311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321", // 24
    "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313", // 32
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", // 40
    "313121", "211331", "231131", "213113", "213311", "213131", "311123", "311321", // 48
    "331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224", // 56
    "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114", // 64
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", // 72
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", // 80
    "421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113", // 88
    "114311", "411113", "411311", "113141", "114131", "311141", "411131", "211412", // 96
    "211214", "211232", "2331112", // 104 Start B, 105 Start C, 106 Stop
];
const START_B: u8 = 104;
const START_C: u8 = 105;
const STOP: u8 = 106;

/// Symbol values for `data`: start code, data, checksum and stop.
///
/// All-digit data of even length uses subset C (two digits per symbol,
/// giving a shorter, easier-to-scan code for AWB numbers); everything else
/// uses subset B. Returns `None` for empty data or characters outside
/// subset B (U+0020..=U+007F).
fn code128_values(data: &str) -> Option<Vec<u8>> {
    let bytes = data.as_bytes();
    let mut values = if bytes.len().is_multiple_of(2) && bytes.iter().all(u8::is_ascii_digit) {
        let pairs = bytes.chunks_exact(2).map(|p| (p[0] - b'0') * 10 + (p[1] - b'0'));
        std::iter::once(START_C).chain(pairs).collect::<Vec<u8>>()
    } else {
        let mut v = vec![START_B];
        for c in data.chars() {
            let code = u8::try_from(u32::from(c)).ok().filter(|b| (0x20..=0x7f).contains(b))?;
            v.push(code - 0x20);
        }
        v
    };
    if values.len() < 2 {
        return None;
    }
    // Weighted sum: the start symbol and the first data symbol both weigh 1.
    let sum: usize = values.iter().enumerate().map(|(i, &v)| i.max(1) * usize::from(v)).sum();
    values.push((sum % 103) as u8);
    values.push(STOP);
    Some(values)
}

/// Encodes `data` as Code 128 modules (`true` = black), without quiet zones:
/// start, data, checksum and stop, i.e. `11 * (symbols + 2) + 2` modules.
///
/// All-digit even-length data uses subset C, anything else subset B;
/// returns `None` for empty input or characters outside subset B.
pub fn code128_modules(data: &str) -> Option<Vec<bool>> {
    let values = code128_values(data)?;
    let mut modules = Vec::with_capacity(values.len() * 11 + 2);
    for v in values {
        for (i, w) in PATTERNS[usize::from(v)].bytes().enumerate() {
            let black = i % 2 == 0;
            modules.extend(std::iter::repeat_n(black, usize::from(w - b'0')));
        }
    }
    Some(modules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_table_is_well_formed() {
        for (v, p) in PATTERNS.iter().enumerate() {
            let widths: Vec<u32> = p.bytes().map(|b| u32::from(b - b'0')).collect();
            let bars: u32 = widths.iter().step_by(2).sum();
            let expected = if v == 106 { 13 } else { 11 };
            assert_eq!(widths.iter().sum::<u32>(), expected, "value {v}");
            assert_eq!(bars % 2, 0, "bar modules must be even, value {v}");
            assert!(PATTERNS[..v].iter().all(|q| q != p), "duplicate pattern {v}");
        }
    }

    #[test]
    fn wrap_splits_long_lines_and_keeps_blank_ones() {
        assert_eq!(wrap(b"", BODY_SIZE, 100.0), vec![Vec::<u8>::new()]);
        let lines = wrap(&[b'W'; 40], BODY_SIZE, 100.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| text_width(l, BODY_SIZE) <= 100.0));
        let lines = wrap(b"alpha beta gamma delta", BODY_SIZE, 60.0);
        assert_eq!(lines.concat().len() + lines.len() - 1, 22);
    }

    #[test]
    fn encode_and_escape() {
        assert_eq!(encode("a\u{e9}\u{20b9}\n"), b"a\xe9??".to_vec());
        assert_eq!(escape(b"a(b)c\\d\xe9"), "a\\(b\\)c\\\\d\\351");
    }
}
