//! A day of sales at a time: the partitions example of the user guide
//! (`docs/guide/partitions.md`). `cargo run -- generate` writes January 2024's sales; then
//! `cargo run -- backfill --job daily_job --from 2024-01-01 --to 2024-01-31` and
//! `cargo run -- run --job trends_job --partition 2024-01-31`.

use kedrust::prelude::*;
use serde_json::{Value as Json, json};

/// One day's sales, summed.
fn total_day(sales: Vec<i64>) -> i64 {
    sales.iter().sum()
}

/// The day's report.
fn report_day(total: i64) -> Json {
    json!({ "total": total })
}

/// Today's total against yesterday's (a partition mapping reads yesterday's).
fn change_day(today: i64, yesterday: i64) -> i64 {
    today - yesterday
}

/// The week up to the day: a partition mapping gives the node the day's report and the six
/// before it, each read when the node asks for it.
fn trail_week(days: PartitionMap) -> Result<Json, String> {
    let mut total = 0;
    for day in days.ids() {
        let report: Json = days.load(day).map_err(|e| e.to_string())?;
        total += report["total"].as_i64().unwrap_or_default();
    }
    Ok(json!({ "days": days.len(), "total": total }))
}

/// Customers found at run time: the list becomes keys of the dynamic partitions `customers`.
fn find_customers(signups: Vec<String>) -> Vec<String> {
    signups
}

/// One customer's orders, summed.
fn summarise_customer(orders: Vec<i64>) -> Json {
    json!({ "orders": orders.len(), "total": orders.iter().sum::<i64>() })
}

/// January 2024's sales (day `d` sells `d` and `2 d`), three customers' orders and the
/// sign-ups that name them.
fn generate(root: &std::path::Path) -> std::io::Result<()> {
    let write = |path: &str, text: String| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a file in a folder"))?;
        std::fs::write(path, text)
    };
    for d in 1..=31 {
        write(
            &format!("data/01_raw/sales/2024-01-{d:02}.json"),
            format!("[{d}, {}]", 2 * d),
        )?;
    }
    for (customer, orders) in [
        ("acme", "[5, 7]"),
        ("globex", "[1]"),
        ("initech", "[2, 2, 2]"),
    ] {
        write(
            &format!("data/01_raw/customers/{customer}/orders.json"),
            orders.to_owned(),
        )?;
    }
    write(
        "data/01_raw/signups.json",
        r#"["acme", "globex", "initech"]"#.to_owned(),
    )
}

fn main() -> std::process::ExitCode {
    let project = Project::new("daily-sales")
        .root(env!("CARGO_MANIFEST_DIR"))
        .pipeline("daily", || {
            Pipeline::new([
                node(total_day, "sales", "day_total").name("total_day"),
                node(report_day, "day_total", "day_report").name("report_day"),
            ])
        })
        .pipeline("trends", || {
            Pipeline::new([
                node(
                    change_day,
                    ["day_total", "previous_day_total"],
                    "day_change",
                )
                .name("change_day"),
                try_node(trail_week, "days_of_week", "week_report").name("trail_week"),
            ])
        })
        .pipeline("signup", || {
            Pipeline::new([node(find_customers, "signups", "new_customers").name("find_customers")])
        })
        .pipeline("customers", || {
            Pipeline::new([
                node(summarise_customer, "customer_orders", "customer_summary")
                    .name("summarise_customer"),
            ])
        })
        .command(
            "generate",
            "writes January 2024's sales files, orders and sign-ups",
            |root, _| generate(root).map_err(Into::into),
        );
    kedrust::cli::main(project)
}
