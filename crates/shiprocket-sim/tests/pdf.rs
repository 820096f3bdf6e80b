#![allow(clippy::unwrap_used, clippy::expect_used)]

use shiprocket_sim::pdf::{Document, code128_modules, render};

const AWB: &str = "19041400000123";

fn bits(s: &str) -> Vec<bool> {
    s.bytes().map(|b| b == b'1').collect()
}

fn load(pdf: &[u8]) -> lopdf::Document {
    lopdf::Document::load_mem(pdf).expect("rendered PDF must parse")
}

fn label() -> Document {
    Document {
        title: "Shiprocket Shipping Label".into(),
        lines: vec![
            format!("AWB: {AWB}"),
            "Courier: Delhivery Surface".into(),
            "From: Acme (Warehouse 2), Plot 5\\B, Okhla, New Delhi 110020".into(),
            "To: R. Sharma (Flat 4), MG Road, Bengaluru 560001 - COD ₹1,250.00".into(),
        ],
        barcode: Some(AWB.into()),
    }
}

#[test]
fn label_parses_with_one_page_and_extractable_text() {
    let pdf = render(&label());
    assert!(pdf.starts_with(b"%PDF-1.4"));
    let doc = load(&pdf);
    assert_eq!(doc.get_pages().len(), 1);
    let text = doc.extract_text(&[1]).expect("extract");
    assert!(text.contains(AWB), "{text}");
    assert!(text.contains("Delhivery Surface"), "{text}");
    assert!(text.contains("Acme (Warehouse 2), Plot 5\\B"), "{text}");
    assert!(text.contains("?1,250.00"), "non-Latin-1 must become '?': {text}");
    // The page is a 4x6 inch label and the barcode is drawn as rectangles.
    let page_id = doc.page_iter().next().expect("page");
    let content = String::from_utf8(doc.get_page_content(page_id)).expect("ascii");
    assert!(content.contains(" re\n") && content.contains("\nf\n"));
    let media = doc.get_dictionary(page_id).and_then(|d| d.get(b"MediaBox")).expect("MediaBox");
    let dims: Vec<f32> = media.as_array().expect("array").iter().map(|o| o.as_float().expect("num")).collect();
    assert_eq!(dims, vec![0.0, 0.0, 288.0, 432.0]);
}

#[test]
fn xref_offsets_are_exact() {
    let pdf = render(&label());
    let text = String::from_utf8_lossy(&pdf);
    let startxref: usize = text
        .rsplit("startxref\n")
        .next()
        .and_then(|s| s.lines().next())
        .and_then(|s| s.parse().ok())
        .expect("startxref");
    assert!(pdf[startxref..].starts_with(b"xref\n0 "));
    let table = &text[startxref..];
    for (n, entry) in table.lines().skip(3).take_while(|l| l.ends_with(" n")).enumerate() {
        let off: usize = entry[..10].parse().expect("offset");
        assert!(pdf[off..].starts_with(format!("{} 0 obj\n", n + 1).as_bytes()), "object {}", n + 1);
    }
}

#[test]
fn escaping_round_trips() {
    let doc = Document { title: "t".into(), lines: vec!["a(b)c\\d".into()], barcode: None };
    let text = load(&render(&doc)).extract_text(&[1]).expect("extract");
    assert!(text.contains("a(b)c\\d"), "{text}");
}

#[test]
fn code128b_pjj123c_matches_published_encoding() {
    // Values: Start B 104, P 48, J 42, J 42, 1 17, 2 18, 3 19, C 35,
    // checksum (104 + 48 + 84 + 126 + 68 + 90 + 114 + 245) % 103 = 55, stop.
    let expected = [
        "11010010000",   // Start B
        "11101110110",   // P (48)
        "10110111000",   // J (42)
        "10110111000",   // J (42)
        "10011100110",   // 1 (17)
        "11001110010",   // 2 (18)
        "11001011100",   // 3 (19)
        "10001000110",   // C (35)
        "11101000110",   // checksum 55
        "1100011101011", // Stop
    ]
    .concat();
    assert_eq!(code128_modules("PJJ123C"), Some(bits(&expected)));
}

/// Decodes 11-module symbols back to values via the patterns the encoder uses
/// for a one-character input, for structural checks.
fn symbol_value(sym: &[bool]) -> usize {
    (0..=95u8)
        .find(|&v| code128_modules(&char::from(v + 32).to_string()).expect("valid")[11..22] == *sym)
        .map(usize::from)
        .expect("known data symbol")
}

#[test]
fn code128b_structure_and_checksum() {
    let data = "Shiprocket AWB #42 (COD)";
    let m = code128_modules(data).expect("subset B");
    let n = data.len();
    assert_eq!(m.len(), 11 * (n + 3) + 2);
    assert_eq!(m[..11], bits("11010010000")[..]);
    assert_eq!(m[m.len() - 13..], bits("1100011101011")[..]);
    let values: Vec<usize> = m[11..m.len() - 13].chunks(11).map(symbol_value).collect();
    for (v, c) in values.iter().zip(data.bytes()) {
        assert_eq!(*v, usize::from(c - 32));
    }
    let sum: usize = 104 + values[..n].iter().enumerate().map(|(i, v)| (i + 1) * v).sum::<usize>();
    assert_eq!(values[n], sum % 103);
}

#[test]
fn code128c_for_even_digit_strings() {
    let m = code128_modules(AWB).expect("subset C");
    assert_eq!(m.len(), 11 * (AWB.len() / 2 + 3) + 2);
    assert_eq!(m[..11], bits("11010011100")[..]); // Start C
    assert_eq!(m[m.len() - 13..], bits("1100011101011")[..]);
    // Odd-length digits fall back to subset B.
    assert_eq!(code128_modules("123").expect("B").len(), 11 * 6 + 2);
}

#[test]
fn code128_rejects_non_subset_b() {
    assert_eq!(code128_modules("₹100"), None);
    assert_eq!(code128_modules("tab\there"), None);
    assert_eq!(code128_modules(""), None);
}

#[test]
fn many_line_manifest_paginates_on_a4() {
    let lines: Vec<String> = (1..=80)
        .map(|i| format!("{i:>3}  AWB 1904140000{i:04}  Delhivery  Mumbai -> Pune  1.5 kg  COD 499.00"))
        .collect();
    let doc = Document { title: "Manifest MNF-0001".into(), lines, barcode: Some("MNF-0001".into()) };
    let parsed = load(&render(&doc));
    let pages = parsed.get_pages();
    assert!(pages.len() >= 2, "80 rows should need more than one A4 page");
    let all: Vec<u32> = pages.keys().copied().collect();
    let text = parsed.extract_text(&all).expect("extract");
    assert!(text.contains("AWB 19041400000001") && text.contains("AWB 19041400000080"));
}

#[test]
fn invalid_barcode_still_prints_text() {
    let doc = Document { title: "x".into(), lines: vec![], barcode: Some("₹".into()) };
    let text = load(&render(&doc)).extract_text(&[1]).expect("extract");
    assert!(text.contains('?'));
}
