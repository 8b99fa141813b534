//! How results are printed: a readable table (the default), `-o json` (the
//! API's objects, stable, for scripts) or `-o value` (one column, one line
//! per row). Colour only when stdout is a terminal (and NO_COLOR is unset).
use std::io::Write;

use clap::{Args, ValueEnum};
use comfy_table::{
    Cell, Color, ContentArrangement, ContentLineStyle, LineStyle, Table, TableStyle,
};
use serde_json::Value;

use super::error::{CliError, CliResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable table (or blocks)
    Table,
    /// JSON, in the documented stable shapes
    Json,
    /// One column only, one line per row (pick it with -c)
    Value,
}

#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        default_value_t = Format::Table,
        global = true,
        help_heading = "Output"
    )]
    pub format: Format,
    /// The column (or field) `-o value` prints [default: the first]
    #[arg(
        short = 'c',
        long = "column",
        value_name = "COLUMN",
        global = true,
        help_heading = "Output"
    )]
    pub column: Option<String>,
}

/// How a table cell may be coloured on a terminal.
#[derive(Clone, Copy)]
pub enum Tone {
    Good,
    Bad,
    Waiting,
}

/// One column of a list, or one field of an object.
pub struct Column {
    /// What `-c` names (lower case, `-` between words).
    pub name: &'static str,
    pub header: &'static str,
    pub get: fn(&Value) -> String,
    pub tone: fn(&str) -> Option<Tone>,
    /// Never wrapped on a narrow terminal (ids people copy).
    pub whole: bool,
}

impl Column {
    pub const fn new(name: &'static str, header: &'static str, get: fn(&Value) -> String) -> Self {
        Column {
            name,
            header,
            get,
            tone: |_| None,
            whole: false,
        }
    }

    pub const fn whole(mut self) -> Self {
        self.whole = true;
        self
    }

    pub const fn toned(mut self, tone: fn(&str) -> Option<Tone>) -> Self {
        self.tone = tone;
        self
    }
}

/// The usual tones of a status word.
pub fn status_tone(s: &str) -> Option<Tone> {
    match s {
        "delivered" | "active" | "confirmed" | "yes" => Some(Tone::Good),
        "failed" | "unsubscribed" | "no" => Some(Tone::Bad),
        "pending" => Some(Tone::Waiting),
        _ => None,
    }
}

pub struct Out {
    pub format: Format,
    column: Option<String>,
    colour: bool,
}

impl Out {
    pub fn new(args: &OutputArgs) -> Out {
        let choice = anstream::AutoStream::choice(&std::io::stdout());
        Out {
            format: args.format,
            column: args.column.clone(),
            colour: !matches!(choice, anstream::ColorChoice::Never),
        }
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// A list: `json` is what `-o json` prints (usually `rows` itself).
    pub fn list(&self, json: &Value, rows: &[Value], columns: &[Column]) -> CliResult<()> {
        match self.format {
            Format::Json => self.print_json(json),
            Format::Value => {
                let column = self.pick(columns)?;
                let mut text = String::new();
                for row in rows {
                    text.push_str(&(column.get)(row));
                    text.push('\n');
                }
                write_stdout(&text)
            }
            Format::Table => {
                let mut table = self.table();
                table.set_header(columns.iter().map(|c| self.header(c.header)));
                for row in rows {
                    table.add_row(columns.iter().map(|c| self.cell(c, row)));
                }
                keep_whole(&mut table, columns.iter().map(|c| c.whole));
                write_stdout(&format!("{table}\n"))
            }
        }
    }

    /// One object, shown as a Field | Value table.
    pub fn object(&self, json: &Value, fields: &[Column]) -> CliResult<()> {
        match self.format {
            Format::Json => self.print_json(json),
            Format::Value => {
                let field = self.pick(fields)?;
                write_stdout(&format!("{}\n", (field.get)(json)))
            }
            Format::Table => {
                let mut table = self.table();
                table.set_header([self.header("Field"), self.header("Value")]);
                for f in fields {
                    table.add_row([Cell::new(f.header), self.cell(f, json)]);
                }
                keep_whole(&mut table, [true, false].into_iter());
                write_stdout(&format!("{table}\n"))
            }
        }
    }

    /// A result that is a sentence for people, `json` for scripts and
    /// `value` (an id, a name) for `-o value`.
    pub fn done(&self, json: &Value, value: &str, sentence: &str) -> CliResult<()> {
        match self.format {
            Format::Json => self.print_json(json),
            Format::Value => write_stdout(&format!("{value}\n")),
            Format::Table => write_stdout(&format!("{sentence}\n")),
        }
    }

    /// Free text for the table format (listener blocks); json and value as
    /// for a list.
    pub fn text(&self, json: &Value, values: &[String], text: &str) -> CliResult<()> {
        match self.format {
            Format::Json => self.print_json(json),
            Format::Value => {
                write_stdout(&values.iter().map(|v| format!("{v}\n")).collect::<String>())
            }
            Format::Table => write_stdout(text),
        }
    }

    fn print_json(&self, json: &Value) -> CliResult<()> {
        let text = serde_json::to_string_pretty(json)
            .map_err(|e| CliError::other(format!("cannot print JSON: {e}")))?;
        write_stdout(&format!("{text}\n"))
    }

    fn pick<'a>(&self, columns: &'a [Column]) -> CliResult<&'a Column> {
        let Some(wanted) = &self.column else {
            return columns
                .first()
                .ok_or_else(|| CliError::other("nothing to print"));
        };
        let wanted = wanted.to_ascii_lowercase().replace('_', "-");
        columns
            .iter()
            .find(|c| c.name == wanted || c.header.to_ascii_lowercase() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
                CliError::usage(format!(
                    "no column {wanted:?} here; -c takes one of: {}",
                    names.join(", ")
                ))
            })
    }

    fn table(&self) -> Table {
        let mut table = Table::new();
        table
            .load_style(OPENSTACK_STYLE)
            .set_content_arrangement(ContentArrangement::Dynamic);
        // A pseudo-terminal may report no width at all (`script`, some CI
        // runners): then do not wrap cells to nothing.
        if table.width().is_some_and(|w| w < 40) {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
        if self.colour {
            table.enforce_styling();
        }
        table
    }

    fn header(&self, text: &str) -> Cell {
        let cell = Cell::new(text);
        if self.colour {
            cell.add_attribute(comfy_table::Attribute::Bold)
        } else {
            cell
        }
    }

    fn cell(&self, column: &Column, row: &Value) -> Cell {
        let text = (column.get)(row);
        let tone = (column.tone)(&text);
        let cell = Cell::new(text);
        match tone {
            Some(t) if self.colour => cell.fg(match t {
                Tone::Good => Color::Green,
                Tone::Bad => Color::Red,
                Tone::Waiting => Color::Yellow,
            }),
            _ => cell,
        }
    }
}

fn keep_whole(table: &mut Table, whole: impl Iterator<Item = bool>) {
    for (i, keep) in whole.enumerate() {
        if let (true, Some(column)) = (keep, table.column_mut(i)) {
            column.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
        }
    }
}

/// The look of `openstack` tables (cliff over prettytable).
const OPENSTACK_STYLE: TableStyle = TableStyle::new()
    .top_border(LineStyle::new('+', '-', '+', '+'))
    .header_lines(ContentLineStyle::new('|', '|', '|'))
    .header_separator(LineStyle::new('+', '-', '+', '+'))
    .content_lines(ContentLineStyle::new('|', '|', '|'))
    .bottom_border(LineStyle::new('+', '-', '+', '+'));

/// Writes to stdout; a closed pipe (`| head`) ends the command quietly.
pub fn write_stdout(text: &str) -> CliResult<()> {
    let mut out = anstream::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::StdoutClosed),
        Err(e) => Err(e.into()),
    }
}

/// A notice for people on stderr (never mixed into the output).
pub fn notice(text: &str) {
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// A field as text: strings bare, null and absent empty, the rest as JSON.
pub fn text_of(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `yes`/`no` for a boolean field.
pub fn yes_no(v: Option<&Value>) -> String {
    match v.and_then(Value::as_bool) {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => String::new(),
    }
}
