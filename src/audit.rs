//! `ecommerce audit order ID`: an order's events and its state, replayed from the event
//! store by the same functions as the audit routes (`query_api::audit`).

use crate::cli::AuditCommand;
use anyhow::Result;
use infra::config::Settings;
use infra::event_store::stored::format_time;
use infra::event_store::{EventStore, RecordedEvent};
use query_api::audit::replay::OrderAsOf;
use query_api::audit::{self, AsOf};
use serde_json::json;
use std::io::{self, Write};

pub async fn run(settings: Settings, command: AuditCommand) -> Result<()> {
    // Never create a store here: a typo in `--data-dir` is an error, not a new empty log.
    let store = ecommerce::stores::events(&settings, false).await?;
    match command {
        AuditCommand::Order {
            id,
            at,
            version,
            json,
        } => {
            order(
                store.as_ref(),
                &id,
                AsOf::parse(at.as_deref(), version)?,
                json,
            )
            .await
        }
    }
}

async fn order(store: &dyn EventStore, id: &str, as_of: AsOf, json: bool) -> Result<()> {
    let state = audit::state_as_of(store, id, as_of).await?;
    // The events of the moment the state shows: all of them unless --at or --version.
    let events: Vec<RecordedEvent> = audit::trail(store, id)
        .await?
        .into_iter()
        .filter(|e| as_of.covers(e, state.reflects.position))
        .collect();
    let mut text = Vec::new();
    if json {
        let events: Vec<audit::AuditEvent> = events.into_iter().map(Into::into).collect();
        writeln!(text, "{}", json!({ "events": events, "state": state }))?;
    } else {
        table(&mut text, &events)?;
        writeln!(text)?;
        summary(&mut text, &state)?;
    }
    match io::stdout().lock().write_all(&text) {
        // The reader went away (`| head`): not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn table(out: &mut impl Write, events: &[RecordedEvent]) -> io::Result<()> {
    writeln!(
        out,
        "{:>8}  {:<27}  {:<45}  {:<24}  {:<36}  CORRELATION",
        "POSITION", "RECORDED AT", "STREAM", "TYPE", "USER"
    )?;
    for e in events {
        writeln!(
            out,
            "{:>8}  {:<27}  {:<45}  {:<24}  {:<36}  {}",
            e.position,
            format_time(e.recorded_at),
            e.stream,
            e.event_type,
            e.metadata.user_id.as_deref().unwrap_or("-"),
            e.metadata.correlation_id,
        )?;
    }
    Ok(())
}

fn summary(out: &mut impl Write, state: &OrderAsOf) -> io::Result<()> {
    let r = &state.reflects;
    let o = &state.order;
    match state.at {
        Some(at) => writeln!(out, "order {} as of {}", o.id, format_time(at))?,
        None => writeln!(out, "order {}", o.id)?,
    }
    writeln!(
        out,
        "  version {} (position {}, recorded {})",
        r.version,
        r.position,
        format_time(r.recorded_at)
    )?;
    writeln!(out, "  status     {}", o.status)?;
    writeln!(out, "  customer   {}", o.customer)?;
    writeln!(out, "  placed at  {}", format_time(o.placed_at))?;
    writeln!(out, "  total      {} {}", o.total.amount, o.total.currency)?;
    for line in &o.lines {
        writeln!(
            out,
            "  line       {} × {} at {} {}",
            line.quantity, line.product_id, line.unit_price.amount, line.unit_price.currency
        )?;
    }
    if let Some(reason) = &o.closing_reason {
        writeln!(out, "  reason     {reason}")?;
    }
    match &state.payment {
        Some(p) => writeln!(
            out,
            "  payment    {} {} (version {})",
            p.id, p.status, p.reflects.version
        )?,
        None => writeln!(out, "  payment    -")?,
    }
    match &state.shipment {
        Some(s) => writeln!(
            out,
            "  shipment   {} {} (version {})",
            s.id, s.status, s.reflects.version
        )?,
        None => writeln!(out, "  shipment   -")?,
    }
    Ok(())
}
