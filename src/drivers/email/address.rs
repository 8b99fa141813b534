//! Log-safe rendering of email addresses: logs and attempt details name a
//! recipient well enough to debug, never well enough to harvest. The one
//! address masker is `domain::masking::mask_address` (templates use it too).

pub use crate::domain::masking::mask_address;

/// Masks every address-looking word of a free text, such as an SMTP reply
/// (`550 5.1.1 <alice@example.com>: user unknown`) or a sendmail stderr line.
pub fn mask_addresses_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.contains('@') {
            out.push_str(&mask_address(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, '<' | '>' | '"' | ',' | ';' | '(' | ')' | '[' | ']') {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_local_part() {
        assert_eq!(mask_address("alice@example.com"), "a***@example.com");
        assert_eq!(mask_address("@example.com"), "***@example.com");
        assert_eq!(mask_address("nobody"), "***");
        assert_eq!(
            mask_address("Alice Liddell <alice@example.com>"),
            "a***@example.com"
        );
    }

    #[test]
    fn masks_addresses_inside_text() {
        assert_eq!(
            mask_addresses_in("550 5.1.1 <alice@example.com>: user unknown"),
            "550 5.1.1 <a***@example.com>: user unknown"
        );
        assert_eq!(
            mask_addresses_in("to bob@x.org, carol@y.org"),
            "to b***@x.org, c***@y.org"
        );
    }
}
