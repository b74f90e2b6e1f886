//! How fast a week of minute history (10,080 samples) goes from 0x0005 packets to timestamped
//! samples: [`HistoryAssembler`] (counter check, reassembly, sample decode) plus `into_timed`
//! (the `stamp` step). Mi Band 4 (4-byte samples) and Mi Band 5 (8-byte) at the default ATT MTU
//! of 23 and at the larger MTUs a band may ask for (event 0x16; 247 in GB's captures, 517 max).
//! Figures and the command to reproduce them are in README.md, "Protocol benchmarks".

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use miband::protocol::activity::{ActivitySample, SampleSize};
use miband::protocol::fetch::{packetize, HistoryAssembler};

/// Minutes in seven days.
const WEEK: usize = 7 * 24 * 60;

/// A deterministic week that looks like a real one: sleep and activity kinds, heart rate missing
/// now and then, the MB5 extra bytes filled.
fn week(size: SampleSize) -> Vec<ActivitySample> {
    const KINDS: [u8; 8] = [0x01, 0x50, 0x5a, 0x60, 0x70, 0x09, 0x0b, 0x10];
    (0..WEEK)
        .map(|i| ActivitySample {
            kind: KINDS[(i / 45) % KINDS.len()],
            intensity: (i * 7 % 180) as u8,
            steps: (i * 13 % 120) as u8,
            heart_rate: (i % 7 != 0).then_some(55 + (i % 60) as u8),
            extra: (size == SampleSize::Eight).then_some([i as u8, 0, (i >> 8) as u8, 0]),
        })
        .collect()
}

fn history_decode(c: &mut Criterion) {
    let start: DateTime<Utc> = DateTime::from_timestamp(1_700_000_000, 0).expect("valid start");
    let mut group = c.benchmark_group("history_decode");
    group.throughput(Throughput::Elements(WEEK as u64));
    for (band, size) in [
        ("mb4_4byte", SampleSize::Four),
        ("mb5_8byte", SampleSize::Eight),
    ] {
        let samples = week(size);
        for mtu in [23usize, 247, 517] {
            let packets = packetize(&samples, size, mtu, 0);
            group.bench_with_input(
                BenchmarkId::new(band, format!("mtu{mtu}")),
                &packets,
                |b, packets| {
                    b.iter(|| {
                        let mut assembler = HistoryAssembler::new(size);
                        for p in packets {
                            assembler.push(p).expect("consecutive counters");
                        }
                        let timed = assembler.into_timed(start);
                        assert_eq!(timed.len(), WEEK);
                        black_box(timed)
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, history_decode);
criterion_main!(benches);
