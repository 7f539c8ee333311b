//! Bytes shown as readable text: what `show` prints and what reports quote.

/// `bytes` as text with control characters and invalid UTF-8 escaped (`\r`, `\n`, `\x00`,
/// `\xFF`, `\u{FEFF}` for the BOM), so every byte of a case is visible.
///
/// ```
/// use ssewire_conformance::escape;
/// assert_eq!(escape(b"\xEF\xBB\xBFdata: \xFF\r\n"), r"\u{FEFF}data: \xFF\r\n");
/// ```
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\r' => out.push_str(r"\r"),
                '\n' => out.push_str(r"\n"),
                '\t' => out.push_str(r"\t"),
                '\\' => out.push_str(r"\\"),
                c if u32::from(c) < 0x20 || c == '\u{7F}' => {
                    out.push_str(&format!(r"\x{:02X}", u32::from(c)))
                }
                c if c.is_control() || c == '\u{FEFF}' || c.is_whitespace() && c != ' ' => {
                    out.push_str(&format!(r"\u{{{:04X}}}", u32::from(c)))
                }
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!(r"\x{byte:02X}"));
        }
    }
    out
}

/// Like [`escape`], cut to about `max` characters with a note of how much was left out.
///
/// ```
/// let short = ssewire_conformance::escape_truncated(&[b'a'; 1000], 10);
/// assert_eq!(short, "aaaaaaaaaa… (990 more bytes)");
/// ```
pub fn escape_truncated(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        return escape(bytes);
    }
    let mut cut = max;
    while cut > 0 && bytes[cut] & 0xC0 == 0x80 {
        cut -= 1;
    }
    format!(
        "{}… ({} more bytes)",
        escape(&bytes[..cut]),
        bytes.len() - cut
    )
}
