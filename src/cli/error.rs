//! What can go wrong in a client command, and the exit code each gives:
//! 2 when the command itself is wrong (usage, bad JSON in an argument or on
//! stdin), 1 when the request failed (the API refused, the server could not
//! be reached).
use std::fmt;
use std::process::ExitCode;

#[derive(Debug)]
pub enum CliError {
    /// The command line or its input is wrong; nothing was sent.
    Usage(String),
    /// The API answered with an error: Zaqar's `{"title", "description"}`.
    Api {
        status: u16,
        title: String,
        description: Option<String>,
    },
    /// The server could not be reached (refused, DNS, TLS, timeout).
    Transport { url: String, reason: String },
    /// Anything else (a malformed answer, an I/O error), with context.
    Other(String),
    /// Whoever read stdout stopped (`| head`): stop quietly.
    StdoutClosed,
}

pub type CliResult<T> = Result<T, CliError>;

impl CliError {
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::Usage(message.into())
    }

    pub fn other(message: impl Into<String>) -> CliError {
        CliError::Other(message.into())
    }

    pub fn not_found(description: impl Into<String>) -> CliError {
        CliError::Api {
            status: 404,
            title: "Not found".into(),
            description: Some(description.into()),
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::StdoutClosed => ExitCode::SUCCESS,
            _ => ExitCode::from(1),
        }
    }

    /// Prefixes the message, e.g. to say how far a batch got.
    pub fn after(self, context: impl fmt::Display) -> CliError {
        match self {
            CliError::Api {
                status,
                title,
                description,
            } => CliError::Api {
                status,
                title: format!("{context}: {title}"),
                description,
            },
            CliError::Transport { url, reason } => CliError::Transport {
                url,
                reason: format!("{reason} ({context})"),
            },
            CliError::Usage(m) => CliError::Usage(format!("{context}: {m}")),
            CliError::Other(m) => CliError::Other(format!("{context}: {m}")),
            CliError::StdoutClosed => CliError::StdoutClosed,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Other(m) => f.write_str(m),
            CliError::Api {
                status,
                title,
                description,
            } => {
                // One line, as the server said it, whatever newlines it sent.
                let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
                write!(f, "{}", one_line(title))?;
                if let Some(d) = description.as_deref().filter(|d| !d.is_empty()) {
                    write!(f, ": {}", one_line(d))?;
                }
                write!(f, " (HTTP {status})")
            }
            CliError::Transport { url, reason } => {
                write!(f, "cannot reach tidings at {url}: {reason}")
            }
            CliError::StdoutClosed => f.write_str("stdout closed"),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(err: std::io::Error) -> CliError {
        CliError::Other(format!("I/O error: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_read_as_one_line_with_the_status() {
        let err = CliError::Api {
            status: 400,
            title: "Invalid API request".into(),
            description: Some("ttl must be\nat least 60.".into()),
        };
        assert_eq!(
            err.to_string(),
            "Invalid API request: ttl must be at least 60. (HTTP 400)"
        );
        let bare = CliError::Api {
            status: 404,
            title: "404 Not Found".into(),
            description: None,
        };
        assert_eq!(bare.to_string(), "404 Not Found (HTTP 404)");
    }

    #[test]
    fn usage_exits_2_and_the_rest_1() {
        assert_eq!(CliError::usage("x").exit_code(), ExitCode::from(2));
        assert_eq!(CliError::other("x").exit_code(), ExitCode::from(1));
        assert_eq!(CliError::not_found("x").exit_code(), ExitCode::from(1));
    }
}
