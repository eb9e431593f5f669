//! `centinela user add|list|remove|token`: who may log in to the web UI.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Global, UserCommand};
use crate::commands::text::clean;
use crate::config;
use crate::pipeline::DataDir;
use crate::web::users::{Role, UserError, Users};

pub fn run(global: &Global, cmd: &UserCommand) -> anyhow::Result<ExitCode> {
    let cfg = match config::load_or_report(&global.config) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let data = DataDir::of(global, &cfg);
    // A fresh installation may add its first admin before the first crawl.
    let db = if data.db().exists() {
        crate::pipeline::open_db(&data)?
    } else {
        crate::pipeline::create_db(&data)?
    };
    let users = Users::open(&db)?;
    match cmd {
        UserCommand::Add {
            name,
            role,
            password_file,
        } => {
            let Some(role) = Role::parse(role) else {
                eprintln!("centinela: --role {role:?}: use admin or investigator");
                return Ok(ExitCode::from(2));
            };
            let password = match password_file {
                Some(f) => {
                    let text = std::fs::read_to_string(f)
                        .with_context(|| format!("cannot read {}", f.display()))?;
                    text.lines().next().unwrap_or("").to_string()
                }
                None => read_password()?,
            };
            match users.set(name, role, &password) {
                Ok(existed) => {
                    println!(
                        "user {name} {} ({})",
                        if existed { "updated" } else { "added" },
                        role.as_str()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ (UserError::BadName(_) | UserError::ShortPassword)) => {
                    eprintln!("centinela: {e}");
                    Ok(ExitCode::from(2))
                }
                Err(e) => Err(e.into()),
            }
        }
        UserCommand::List => {
            let all = users.list()?;
            if all.is_empty() {
                println!("No users yet (add one with `centinela user add NAME --role admin`).");
            }
            for u in all {
                println!(
                    "{:<24} {:<13} since {}",
                    clean(&u.name),
                    u.role.as_str(),
                    centinela_index::time::Timestamp(u.created_at).rfc3339()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::Remove { name } => match users.remove(name) {
            Ok(()) => {
                println!("user {name} removed (open sessions end when the web UI restarts)");
                Ok(ExitCode::SUCCESS)
            }
            Err(e @ UserError::Unknown(_)) => {
                eprintln!("centinela: {e}");
                Ok(ExitCode::from(2))
            }
            Err(e) => Err(e.into()),
        },
        UserCommand::Token { name } => match users.new_token(name) {
            Ok(t) => {
                println!("{t}");
                Ok(ExitCode::SUCCESS)
            }
            Err(e @ UserError::Unknown(_)) => {
                eprintln!("centinela: {e}");
                Ok(ExitCode::from(2))
            }
            Err(e) => Err(e.into()),
        },
    }
}

/// The password from the terminal (not echoed) or from standard input's first line.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("Password (12 characters or more): ")?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(p == again, "the two passwords differ");
        Ok(p)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}
