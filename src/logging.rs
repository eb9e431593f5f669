//! Where `tracing` events go. Interactive commands print the few that matter as
//! `centinela: message` lines on stderr (stdout is the command's output, which other
//! tools read). The daemon logs every event with its time and level, as text or as one
//! JSON object per line (`--log-format json`) for the operator's log collector.
//!
//! Nothing logged carries a secret: the transport redacts hosts, URLs and credentials
//! from its errors, cookie values are never put in events, and the SMTP password is a
//! type that does not print.

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// How the daemon writes its log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Time, level and message, one event per line.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// Which events: `$CENTINELA_LOG` (an `EnvFilter`: `info`, `centinela=debug`…), else
/// Centinela's own at `info` and its libraries' (arti among them) at `warn`. The
/// crawler's per-fetch retries are `info` there, so an interactive command quietens them.
fn filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_env("CENTINELA_LOG").unwrap_or_else(|_| EnvFilter::new(default))
}

/// For interactive commands.
pub fn init_cli() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(
            "warn,centinela=info,centinela_crawler=warn,centinela_index=warn",
        ))
        .with_writer(std::io::stderr)
        .event_format(Plain)
        .try_init();
}

/// For the daemon.
pub fn init_daemon(format: LogFormat) {
    let filter = filter("warn,centinela=info,centinela_crawler=info,centinela_index=info");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Human => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    };
}

/// `centinela: message key=value`.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "centinela: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
