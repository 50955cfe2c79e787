//! Logging: pretty in dev, JSON lines in production; `RUST_LOG` overrides the
//! level (`authd::access=off` silences the access log). Lines reach stdout
//! through [`log_sink`](crate::boot::log_sink): batched by a thread of their own,
//! so a slow stdout never holds up a request.
//!
//! A JSON line is `{"timestamp", "level", "fields": {…}, "span": {…, "name"},
//! "spans": [{…, "name"}, …]}` (the innermost span, then the chain from the
//! root), tracing-subscriber's JSON shape. [`JsonLines`] writes it directly:
//! the crate's own formatter parses each span's stored fields back from JSON
//! twice per line and builds a map of the event's, which cost the access log
//! more than a token check. A span's fields are stored as written once, as
//! the members of a JSON object ([`JsonSpanFields`]; the crate's `JsonFields`
//! built a map of values and serialized it at every span and record).

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::span::Record;
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::{LookupSpan, Registry, SpanRef};
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// What is logged when `RUST_LOG` is unset (or invalid).
const DEFAULT_LEVELS: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// Installs the subscriber; keep the guard until exit, which writes what is
/// still queued when dropped.
pub fn init(format: LogFormat) -> crate::boot::log_sink::LogGuard {
    let (writer, guard) = crate::boot::log_sink::spawn(std::io::stdout());
    let lines = tracing_subscriber::fmt::layer().with_target(false).with_writer(writer);
    let registry = tracing_subscriber::registry().with(level_filter(std::env::var("RUST_LOG").ok().as_deref()));
    // A second init (tests building several apps) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => registry.with(lines.fmt_fields(JsonSpanFields).event_format(JsonLines)).try_init(),
        LogFormat::Pretty => registry.with(lines).try_init(),
    };
    guard
}

/// The filter for `RUST_LOG`'s directives. Levels by target alone (`info`,
/// `authd::access=off`) are a [`Targets`], which decides once per callsite;
/// [`EnvFilter`] is kept for span and field directives (`[request]=debug`),
/// since it reads a locked map of spans at every span entered and left,
/// several times a request.
fn level_filter(directives: Option<&str>) -> Box<dyn Layer<Registry> + Send + Sync> {
    let directives = directives.map(str::trim).filter(|d| !d.is_empty()).unwrap_or(DEFAULT_LEVELS);
    if !directives.contains(['[', '{'])
        && let Ok(targets) = directives.parse::<Targets>()
    {
        return Box::new(targets);
    }
    Box::new(EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new(DEFAULT_LEVELS)))
}

/// One JSON object per event, spans spliced in as stored (see the module doc).
pub struct JsonLines;

impl<S> FormatEvent<S, JsonSpanFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonSpanFields>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        write!(w, r#"{{"timestamp":"{now}","level":"{}","fields":{{"#, event.metadata().level())?;
        let mut fields = Fields { out: &mut w, first: true, result: Ok(()) };
        event.record(&mut fields);
        fields.result?;
        w.write_char('}')?;
        if let Some(span) = event.parent().and_then(|id| ctx.span(id)).or_else(|| ctx.lookup_current()) {
            w.write_str(r#","span":"#)?;
            write_span(&mut w, &span)?;
            w.write_str(r#","spans":["#)?;
            for (i, s) in span.scope().from_root().enumerate() {
                if i > 0 {
                    w.write_char(',')?;
                }
                write_span(&mut w, &s)?;
            }
            w.write_char(']')?;
        }
        w.write_str("}\n")
    }
}

/// A span's fields, stored as the members of a JSON object (`"k":v,…`,
/// empty while it has none), extended in place when one is recorded later.
pub struct JsonSpanFields;

impl<'w> FormatFields<'w> for JsonSpanFields {
    fn format_fields<R: RecordFields>(&self, mut w: Writer<'w>, fields: R) -> fmt::Result {
        let mut members = Fields { out: &mut w, first: true, result: Ok(()) };
        fields.record(&mut members);
        members.result
    }

    fn add_fields(&self, current: &'w mut FormattedFields<Self>, fields: &Record<'_>) -> fmt::Result {
        let first = current.fields.is_empty();
        let mut w = current.as_writer();
        let mut members = Fields { out: &mut w, first, result: Ok(()) };
        fields.record(&mut members);
        members.result
    }
}

/// `{<the span's stored fields>, "name": …}`.
fn write_span<S: for<'a> LookupSpan<'a>>(w: &mut Writer<'_>, span: &SpanRef<'_, S>) -> fmt::Result {
    let ext = span.extensions();
    let stored = ext.get::<FormattedFields<JsonSpanFields>>().map_or("", |f| f.fields.as_str());
    w.write_char('{')?;
    if !stored.is_empty() {
        w.write_str(stored)?;
        w.write_char(',')?;
    }
    w.write_str(r#""name":"#)?;
    write_json_str(w, span.name())?;
    w.write_char('}')
}

struct Fields<'a, 'w> {
    out: &'a mut Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl Fields<'_, '_> {
    fn key(&mut self, field: &Field) -> fmt::Result {
        if !std::mem::take(&mut self.first) {
            self.out.write_char(',')?;
        }
        write_json_str(self.out, field.name())?;
        self.out.write_char(':')
    }

    fn put(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = self.key(field).and_then(|()| value(self.out));
        }
    }
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, |w| write_json_str(w, value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, |w| write!(w, "{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, |w| write!(w, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, |w| write!(w, "{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity: those are written as text.
        if value.is_finite() {
            self.put(field, |w| write!(w, "{value}"));
        } else {
            self.put(field, |w| write_json_str(w, &value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, |w| {
            w.write_char('"')?;
            fmt::Write::write_fmt(&mut Escaped(w), format_args!("{value:?}"))?;
            w.write_char('"')
        });
    }
}

/// Writes what it is given with JSON string escapes, unquoted.
struct Escaped<'a, W>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Escaped<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_escaped(self.0, s)
    }
}

/// `s` as a JSON string (RFC 8259 §7): quotes, backslashes and control
/// characters escaped.
fn write_json_str(w: &mut impl fmt::Write, s: &str) -> fmt::Result {
    w.write_char('"')?;
    write_escaped(w, s)?;
    w.write_char('"')
}

/// `s` with JSON string escapes, unquoted.
fn write_escaped(w: &mut impl fmt::Write, s: &str) -> fmt::Result {
    // Every character that needs an escape is ASCII, so scanning bytes finds
    // them at character boundaries and passes the rest through whole.
    let mut plain = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            b if b < 0x20 => "",
            _ => continue,
        };
        w.write_str(&s[plain..i])?;
        if escaped.is_empty() {
            write!(w, "\\u{b:04x}")?;
        } else {
            w.write_str(escaped)?;
        }
        plain = i + 1;
    }
    w.write_str(&s[plain..])
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_json_line_has_the_event_its_span_and_the_span_chain_and_escapes_what_it_must() {
        let lines = Lines::default();
        let sink = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .fmt_fields(JsonSpanFields)
            .event_format(JsonLines)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let outer =
                tracing::info_span!("request", request_id = "r-1", method = "GET", app_id = tracing::field::Empty);
            outer.record("app_id", "a-9");
            let _o = outer.enter();
            let inner = tracing::info_span!("check");
            let _i = inner.enter();
            let weird = "quote \" backslash \\ newline \n bell \u{7} é";
            tracing::warn!(
                status = 401u64,
                latency_ms = 0.25,
                ok = false,
                delta = -3i64,
                text = weird,
                "answered {}",
                1
            );
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        let line: serde_json::Value = serde_json::from_str(text.trim_end()).expect("one valid JSON object");
        assert_eq!(line["level"], "WARN");
        assert!(chrono::DateTime::parse_from_rfc3339(line["timestamp"].as_str().unwrap()).is_ok());
        assert_eq!(
            line["fields"],
            serde_json::json!({
                "message": "answered 1", "status": 401, "latency_ms": 0.25, "ok": false, "delta": -3,
                "text": "quote \" backslash \\ newline \n bell \u{7} é"
            })
        );
        assert_eq!(line["span"], serde_json::json!({ "name": "check" }), "the innermost span");
        assert_eq!(
            line["spans"],
            serde_json::json!([
                { "request_id": "r-1", "method": "GET", "app_id": "a-9", "name": "request" },
                { "name": "check" }
            ])
        );
    }

    /// The messages `directives` lets through, of a fixed set of events.
    fn logged(directives: Option<&str>) -> Vec<String> {
        let lines = Lines::default();
        let sink = lines.clone();
        let subscriber = tracing_subscriber::registry().with(level_filter(directives)).with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || sink.clone())
                .fmt_fields(JsonSpanFields)
                .event_format(JsonLines),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "authd::access", "access");
            tracing::info!(target: "authd", "info");
            tracing::debug!(target: "authd", "debug");
            tracing::info!(target: "sqlx::query", "sqlx");
            let _r = tracing::info_span!("request").entered();
            tracing::debug!(target: "authd", "debug in request");
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["fields"]["message"].as_str().unwrap().into()
            })
            .collect()
    }

    #[test]
    fn rust_log_filters_by_target_and_by_span_and_falls_back_to_the_default_levels() {
        assert_eq!(logged(None), ["access", "info"], "default: info, sqlx at warn");
        assert_eq!(logged(Some("  ")), ["access", "info"], "blank is the default");
        assert_eq!(logged(Some("info,authd::access=off")), ["info", "sqlx"]);
        assert_eq!(logged(Some("debug,sqlx=off")), ["access", "info", "debug", "debug in request"]);
        assert_eq!(logged(Some("warn,[request]=debug")), ["debug in request"], "a span directive");
        assert_eq!(logged(Some("authd=loud")), ["access", "info"], "invalid: the default");
    }
}
