//! Reading a bounce: an RFC 3464 delivery status notification (DSN) or an
//! RFC 5965 abuse report (ARF), both `multipart/report`. MIME is
//! mail-parser's; the report parts themselves (`message/delivery-status`,
//! `message/feedback-report`) are header-style field blocks, read here.
use mail_parser::{Message, MessageParser, MimeHeaders};

/// What a report says about one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classification {
    /// A permanent failure (5.x.x): the address does not take mail.
    Permanent,
    /// A temporary failure or a delay (4.x.x).
    Transient,
    /// The recipient reported the mail as abuse.
    Complaint,
    /// Nothing to act on (delivered, relayed, a not-spam report).
    Ignored,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Permanent => "permanent",
            Classification::Transient => "transient",
            Classification::Complaint => "complaint",
            Classification::Ignored => "ignored",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Dsn,
    Arf,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Dsn => "dsn",
            ReportKind::Arf => "arf",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientReport {
    /// The address the report is about, as the report gives it.
    pub address: String,
    pub classification: Classification,
    /// `5.1.1` and the like (DSN), or the feedback type (ARF).
    pub status: String,
    /// The remote server's words, if the report has them.
    pub diagnostic: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceReport {
    pub kind: ReportKind,
    pub recipients: Vec<RecipientReport>,
    /// Addresses that may be the VERP envelope sender the bounce was sent
    /// back to: the report's own recipients (`To`, `Delivered-To`,
    /// `X-Original-To`, `Envelope-To`), the returned message's
    /// `Return-Path` and an ARF report's `Original-Mail-From`.
    pub verp_candidates: Vec<String>,
}

/// Why a message is not a report tidings can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAReport {
    #[error("the message could not be parsed as email")]
    Unparsable,
    #[error("the message is not a delivery status notification (RFC 3464) or an abuse report (RFC 5965)")]
    NoReportPart,
}

const RECEIVED_AS: &[&str] = &["to", "delivered-to", "x-original-to", "envelope-to"];

/// mail-parser 0.11.9 reaches a `debug_assert!` ("Invalid part ID, could not
/// find multipart") on some crafted multipart messages, found by the
/// bounce_report fuzz target; release builds go on and recover what they can.
/// Anyone who can mail the bounce address can send such a message, so a debug
/// build (tests, `cargo run`) must not panic on it either: a parser panic
/// counts as an unparsable message. mail-parser 1.0 needs a newer rustc than
/// the toolchain pinned here.
fn parse_message(raw: &[u8]) -> Option<Message<'_>> {
    std::panic::catch_unwind(|| MessageParser::default().parse(raw))
        .ok()
        .flatten()
}

pub fn parse(raw: &[u8]) -> Result<BounceReport, NotAReport> {
    let message = parse_message(raw).ok_or(NotAReport::Unparsable)?;
    let mut verp_candidates = Vec::new();
    for (name, value) in message.headers_raw() {
        if RECEIVED_AS.contains(&name.to_ascii_lowercase().as_str()) {
            verp_candidates.extend(addresses_in(value));
        }
    }
    let mut report = None;
    let mut original_recipients = Vec::new();
    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let media = format!(
            "{}/{}",
            ct.ctype().to_ascii_lowercase(),
            ct.subtype().unwrap_or("").to_ascii_lowercase()
        );
        match media.as_str() {
            "message/delivery-status" | "message/global-delivery-status" => {
                report.get_or_insert((ReportKind::Dsn, part.contents().to_vec()));
            }
            "message/feedback-report" => {
                report.get_or_insert((ReportKind::Arf, part.contents().to_vec()));
            }
            "message/rfc822" | "message/global" => {
                if let Some(original) = part.message() {
                    read_original(original, &mut verp_candidates, &mut original_recipients);
                }
            }
            "text/rfc822-headers" | "message/rfc822-headers" => {
                if let Some(original) = MessageParser::default().parse_headers(part.contents()) {
                    read_original(&original, &mut verp_candidates, &mut original_recipients);
                }
            }
            _ => {}
        }
    }
    let (kind, body) = report.ok_or(NotAReport::NoReportPart)?;
    let text = String::from_utf8_lossy(&body);
    let blocks = field_blocks(&text);
    let recipients = match kind {
        ReportKind::Dsn => dsn_recipients(&blocks),
        ReportKind::Arf => {
            let (recipients, mail_from) = arf_recipients(&blocks, &original_recipients);
            verp_candidates.extend(mail_from);
            recipients
        }
    };
    verp_candidates.dedup();
    Ok(BounceReport {
        kind,
        recipients,
        verp_candidates,
    })
}

fn read_original(original: &Message<'_>, candidates: &mut Vec<String>, to: &mut Vec<String>) {
    for (name, value) in original.headers_raw() {
        let name = name.to_ascii_lowercase();
        if name == "return-path" {
            candidates.extend(addresses_in(value));
        } else if name == "to" {
            to.extend(addresses_in(value));
        }
    }
}

type Block = Vec<(String, String)>;

/// RFC 822-style fields in blank-line separated blocks, continuation lines
/// unfolded, names in lower case.
fn field_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Block = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            current.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

fn field<'a>(block: &'a Block, name: &str) -> Option<&'a str> {
    block
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `rfc822; user@host` → `user@host`.
fn typed_address(value: &str) -> Option<String> {
    let address = value.split_once(';').map_or(value, |(_, a)| a);
    addresses_in(address).into_iter().next()
}

fn dsn_recipients(blocks: &[Block]) -> Vec<RecipientReport> {
    // The first block is about the message; each later one is a recipient.
    blocks
        .iter()
        .skip(1)
        .filter_map(|block| {
            let address = field(block, "final-recipient")
                .or_else(|| field(block, "original-recipient"))
                .and_then(typed_address)?;
            let action = field(block, "action").unwrap_or("").to_ascii_lowercase();
            let status = field(block, "status")
                .and_then(|s| s.split_whitespace().next())
                .unwrap_or("")
                .to_string();
            let classification = match (action.as_str(), status.chars().next()) {
                ("delivered" | "relayed" | "expanded", _) => Classification::Ignored,
                ("delayed", _) | (_, Some('4')) => Classification::Transient,
                (_, Some('5')) => Classification::Permanent,
                ("failed", _) => Classification::Permanent,
                _ => Classification::Ignored,
            };
            Some(RecipientReport {
                address,
                classification,
                status,
                diagnostic: field(block, "diagnostic-code").map(String::from),
            })
        })
        .collect()
}

fn arf_recipients(blocks: &[Block], original_to: &[String]) -> (Vec<RecipientReport>, Vec<String>) {
    let fields: Block = blocks.iter().flatten().cloned().collect();
    let feedback_type = field(&fields, "feedback-type")
        .unwrap_or("other")
        .to_ascii_lowercase();
    let classification = if feedback_type == "not-spam" {
        Classification::Ignored
    } else {
        Classification::Complaint
    };
    let mut addresses: Vec<String> = fields
        .iter()
        .filter(|(n, _)| n == "original-rcpt-to" || n == "removal-recipient")
        .flat_map(|(_, v)| addresses_in(v))
        .collect();
    if addresses.is_empty() {
        addresses = original_to.to_vec();
    }
    let mail_from = fields
        .iter()
        .filter(|(n, _)| n == "original-mail-from")
        .flat_map(|(_, v)| addresses_in(v))
        .collect();
    let recipients = addresses
        .into_iter()
        .map(|address| RecipientReport {
            address,
            classification,
            status: feedback_type.clone(),
            diagnostic: None,
        })
        .collect();
    (recipients, mail_from)
}

/// Every `local@domain` in a header value (angle brackets, display names,
/// comments and list separators dropped).
fn addresses_in(value: &str) -> Vec<String> {
    value
        .split(|c: char| c.is_whitespace() || "<>,;\"()".contains(c))
        .map(|w| w.trim_matches(|c: char| c == '.' || c == ':'))
        .filter(|w| {
            w.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
        })
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSN: &str = "To: bounces+abc@example.com\r\n\
Subject: failure\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain\r\n\
\r\n\
It failed.\r\n\
--b\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example.com\r\n\
\r\n\
Final-Recipient: rfc822; Gone@Example.org\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 no such\r\n  user\r\n\
\r\n\
Final-Recipient: rfc822;late@example.org\r\n\
Action: delayed\r\n\
Status: 4.4.1\r\n\
\r\n\
Final-Recipient: rfc822;fine@example.org\r\n\
Action: delivered\r\n\
Status: 2.0.0\r\n\
--b\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
Return-Path: <bounces+def@example.com>\r\n\
To: gone@example.org\r\n\
--b--\r\n";

    #[test]
    fn reads_a_dsn() {
        let report = parse(DSN.as_bytes()).unwrap();
        assert_eq!(report.kind, ReportKind::Dsn);
        let got: Vec<_> = report
            .recipients
            .iter()
            .map(|r| (r.address.as_str(), r.classification, r.status.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("Gone@Example.org", Classification::Permanent, "5.1.1"),
                ("late@example.org", Classification::Transient, "4.4.1"),
                ("fine@example.org", Classification::Ignored, "2.0.0"),
            ]
        );
        assert_eq!(
            report.recipients[0].diagnostic.as_deref(),
            Some("smtp; 550 5.1.1 no such user")
        );
        assert_eq!(
            report.verp_candidates,
            ["bounces+abc@example.com", "bounces+def@example.com"]
        );
    }

    #[test]
    fn plain_mail_is_not_a_report() {
        let plain = "To: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n";
        assert_eq!(parse(plain.as_bytes()), Err(NotAReport::NoReportPart));
        assert!(parse(b"").is_err());
        assert!(parse(&[0xff, 0x00, 0x13]).is_err());
    }
}
