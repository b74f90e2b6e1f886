//! How fast the emulated wearer produces history: a week of samples (what a first fetch asks
//! for), a single minute (a random-access read), and one day's live-counter sums.

use std::hint::black_box;

use chrono::DateTime;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use miband::emulator::Person;
use miband::protocol::activity::SampleSize;

const WEEK: usize = 7 * 1440;
const START: i64 = 20_000 * 1440;

fn history(c: &mut Criterion) {
    let mut g = c.benchmark_group("world");
    g.throughput(Throughput::Elements(WEEK as u64));
    let mb4 = Person::new(1);
    let mb5 = Person::new(1).with_sample_size(SampleSize::Eight);
    g.bench_function("week_mb4", |b| {
        b.iter(|| mb4.history_from_minute(black_box(START), WEEK))
    });
    g.bench_function("week_mb5", |b| {
        b.iter(|| mb5.history_from_minute(black_box(START), WEEK))
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("single_minute", |b| {
        b.iter(|| mb4.sample_at_minute(black_box(START + 777)))
    });
    let noon = DateTime::from_timestamp((START + 720) * 60, 0).unwrap_or_default();
    g.bench_function("day_totals", |b| b.iter(|| mb4.day_totals(black_box(noon))));
    g.bench_function("battery", |b| b.iter(|| mb4.battery_at(black_box(noon))));
    g.finish();
}

criterion_group!(benches, history);
criterion_main!(benches);
