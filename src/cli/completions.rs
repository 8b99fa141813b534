//! `tidings completions SHELL` and `tidings man`, both generated from the
//! clap definitions, so they never drift from the commands.
use std::path::PathBuf;

use clap::Args;
use clap_complete::Shell;

use super::error::{CliError, CliResult};
use super::output::write_stdout;

#[derive(Args)]
#[command(after_help = "Install, e.g.:
  bash: tidings completions bash > ~/.local/share/bash-completion/completions/tidings
  zsh:  tidings completions zsh > ~/.zfunc/_tidings   (with fpath+=~/.zfunc before compinit)
  fish: tidings completions fish > ~/.config/fish/completions/tidings.fish")]
pub struct CompletionArgs {
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Args)]
#[command(after_help = "Install, e.g.:
  tidings man --dir /usr/local/share/man/man1 && mandb -q
then `man tidings`, `man tidings-listener-email-create`.
Without --dir the page of `tidings` itself goes to stdout: tidings man | man -l -")]
pub struct ManArgs {
    /// Write one page per command (tidings.1, tidings-queue.1, ...) into this directory
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn completions(args: &CompletionArgs, mut app: clap::Command) -> CliResult<()> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut app, "tidings", &mut script);
    write_stdout(&String::from_utf8_lossy(&script))
}

pub fn man(args: &ManArgs, app: clap::Command) -> CliResult<()> {
    match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::other(format!("cannot create {}: {e}", dir.display())))?;
            clap_mangen::generate_to(app, dir).map_err(|e| {
                CliError::other(format!(
                    "cannot write the man pages to {}: {e}",
                    dir.display()
                ))
            })?;
            write_stdout(&format!("Wrote the man pages to {}\n", dir.display()))
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(app).render(&mut page)?;
            write_stdout(&String::from_utf8_lossy(&page))
        }
    }
}
