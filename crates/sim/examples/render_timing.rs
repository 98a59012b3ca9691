//! Time spent rendering sheets, per condition, on one thread.
//!
//! `cargo run --release -p veedor-sim --example render_timing -- [PER_CONDITION] [CONDITIONS]`
//!
//! Renders PER_CONDITION sheets (default 6) of each condition (all, or the comma-separated
//! names given) and prints, per condition, the milliseconds per sheet on the CPU (this thread's
//! time from /proc/thread-self/schedstat, so other work on a shared machine does not count)
//! and on the wall clock, for `render` alone and with the JPEG encoding.

use std::time::Instant;

use veedor_sim::sheet::{Condition, FileFormat, Sheet, Ve2024Place, encode, render};

/// Nanoseconds this thread has run on a CPU, when the kernel says.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut arguments = std::env::args().skip(1);
    let per_condition: u64 = arguments
        .next()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(6);
    let only = arguments.next();
    let payload = "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0";
    let place = Ve2024Place {
        state: "EDO. ZULIA".to_owned(),
        municipality: "MP. MARACAIBO".to_owned(),
        parish: "PQ. CHIQUINQUIRA".to_owned(),
        centre: "U.E. NACIONAL SIMON BOLIVAR".to_owned(),
    };
    let sheet = Sheet::ve2024(payload, &place)?;
    println!("condition\tsheets\trender cpu ms\trender wall ms\t+ jpeg cpu ms");
    let (mut total_cpu, mut total_sheets) = (0.0, 0u64);
    for condition in Condition::ALL {
        if only
            .as_deref()
            .is_some_and(|names| !names.split(',').any(|name| name == condition.name()))
        {
            continue;
        }
        let (mut render_cpu, mut render_wall, mut encode_cpu) = (0u64, 0.0, 0u64);
        for index in 0..per_condition {
            let degradation = condition.degradation(1000 + index);
            let (cpu, wall) = (thread_cpu_ns().unwrap_or(0), Instant::now());
            let image = render(&sheet, &degradation)?;
            render_wall += wall.elapsed().as_secs_f64();
            let middle = thread_cpu_ns().unwrap_or(0);
            render_cpu += middle.saturating_sub(cpu);
            let bytes = encode(
                &[image],
                FileFormat::Jpeg {
                    quality: degradation.jpeg_quality,
                },
            )?;
            std::hint::black_box(bytes);
            encode_cpu += thread_cpu_ns().unwrap_or(0).saturating_sub(middle);
        }
        let per = |nanoseconds: u64| nanoseconds as f64 / 1e6 / per_condition as f64;
        println!(
            "{}\t{per_condition}\t{:.0}\t{:.0}\t{:.0}",
            condition.name(),
            per(render_cpu),
            render_wall * 1000.0 / per_condition as f64,
            per(encode_cpu)
        );
        total_cpu += (render_cpu + encode_cpu) as f64 / 1e9;
        total_sheets += per_condition;
    }
    println!(
        "all\t{total_sheets}\trender + jpeg: {:.0} ms cpu per sheet",
        total_cpu * 1000.0 / total_sheets as f64
    );
    Ok(())
}
